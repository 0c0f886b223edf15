// kreg: reproduce and measure container-host kernel pathologies in QEMU.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "harness/cli/bisect_cli.hpp"
#include "harness/cli/catalog_command.hpp"
#include "harness/cli/cluster_cli.hpp"
#include "harness/cli/findings_command.hpp"
#include "harness/cli/kernels_command.hpp"
#include "harness/cli/report_command.hpp"
#include "harness/cli/run_command.hpp"
#include "harness/cli/scenario_command.hpp"
#include "harness/compare/compare_command.hpp"
#include "vm/common/build_info.hpp"
#include "vm/common/error.hpp"

namespace {

// Options shared by every command that boots a VM (or runs --local).
void add_vm_options(CLI::App* cmd, kreg::RunOptions& run) {
  cmd->add_flag("--local", run.local, "run on the host kernel (root; only touches what it creates)");
  cmd->add_option("--kernel", run.kernels,
                  "kernel under test, repeatable, replacing the suite's: bzImage, .deb, .rpm, "
                  "debian:<suite>[:<version>], or built from source: src:PATH (tree or .tar.xz/.tar.gz), "
                  "debian-source:<suite>[:<version>]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--results", run.results_root, "results root directory")->capture_default_str();
  cmd->add_option("--run-id", run.run_id, "name of the run directory (default: timestamp-suite)");
  cmd->add_option("--accel", run.accel, "auto, kvm or tcg")->capture_default_str();
  cmd->add_option("--qemu", run.qemu, "QEMU binary")->capture_default_str();
  cmd->add_option("--cache", run.cache_dir, "kernel cache directory (default: ~/.cache/kreg)");
  cmd->add_option("--append", run.append, "extra guest kernel command line, e.g. cgroup.memory=nokmem");
  cmd->add_option("--samples", run.samples, "latency samples per metric and point");
  cmd->add_option("--vcpus", run.vcpus, "guest vCPUs (default: the suite's)");
  cmd->add_option("--memory", run.memory_mib, "guest memory in MiB (default: the suite's, or sized from the job)");
  cmd->add_option("--timeout", run.timeout_s, "seconds before a VM is killed (default: the suite's)");
  cmd->add_option("--hello-timeout", run.hello_timeout_s,
                  "seconds to wait for the guest agent's hello (default: the suite's)");
  cmd->add_option("--parallel", run.parallel, "VMs at once (default: host CPUs / vCPUs per VM)");
  cmd->add_option("--cgroup-mode", run.cgroup_modes, "cgroup modes replacing the suite's: v1, v2 (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kreg: kernel regression reproduction and benchmark harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kreg " + kreg::kreg_version() + " (commit " + kreg::kreg_commit() + ")");

  kreg::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "boot the kernel under test in QEMU and run a suite's jobs");
  run_cmd
      ->add_option("suite", run.suite, "suite: a name in suites/ (default, smoke, full, bench, speed) or a .toml path")
      ->capture_default_str();
  run_cmd->add_option("--resume", run.resume, "complete run RUN_ID: re-run only the units without a record");
  run_cmd->add_option("--targets", run.targets, "dying-memcg sweep targets, e.g. 0,500,1000")->delimiter(',');
  run_cmd->add_option("--page-cache-bytes", run.page_cache_bytes, "bytes of tmpfs page cache per memcg");
  add_vm_options(run_cmd, run);

  kreg::ScenarioOptions scenario;
  kreg::RunOptions scenario_run;
  CLI::App* scenario_cmd = app.add_subcommand(
      "scenario", "run one generator (memcg-churn, netns, pause-loop, dentry-negative) and print its counters");
  scenario_cmd->add_option("name", scenario.name, "generator name")->required();
  scenario_cmd->add_option("--param,-p", scenario.params, "generator parameter KEY=VALUE (repeatable)");
  scenario_cmd->add_option("--count,-n", scenario.count, "objects to create")->capture_default_str();
  scenario_cmd->add_option("--targets", scenario.targets, "sweep points instead of one count, e.g. 0,1000,2000")
      ->delimiter(',');
  scenario_cmd->add_flag("--latency", scenario.latency, "also time the scenario's stat files at each point");
  scenario_cmd->add_flag("--kernel-trace", scenario.kernel_trace,
                         "with --latency: trace the scenario's kernel functions (function_graph) in a second pass");
  scenario_cmd->add_flag("--reclaim", scenario.reclaim, "after the last point, time reclaim and count what it freed");
  add_vm_options(scenario_cmd, scenario_run);

  std::string report_dir, report_compare, python = "python3";
  CLI::App* report_cmd = app.add_subcommand(
      "report", "plots, capacity report (Markdown + HTML) and summary of a run: kreg report results/<run-id>");
  report_cmd->add_option("run_dir", report_dir, "results/<run-id>")->required();
  report_cmd->add_option("--compare", report_compare,
                         "kreg compare's summary.md to include (default: results/<run-id>/compare/*.md)");
  report_cmd->add_option("--python", python, "Python with matplotlib")->capture_default_str();

  CLI::App* catalog_cmd = app.add_subcommand(
      "catalog", "kreg's tables as JSON: scenarios (families, held objects, stat paths), metrics, cgroup files");
  std::string catalog_out;
  catalog_cmd->add_option("--output,-o", catalog_out, "write to FILE instead of standard output");

  kreg::KernelsOptions kernels;
  CLI::App* kernels_cmd = app.add_subcommand(
      "kernels",
      "the kernel cache: kreg kernels list | fetch SPEC... | show SPEC|RELEASE|SHA-PREFIX | bench SOURCE-SPEC | "
      "boot [SPEC...]");
  kernels_cmd
      ->add_option("action", kernels.action,
                   "list, fetch, show, bench (kernel build benchmark) or boot (boot-time breakdown)")
      ->required();
  kernels_cmd->add_option("specs", kernels.specs,
                          "fetch: debian:<suite>[:<version>] or a bzImage/.deb/.rpm path (none: the default kernel); "
                          "show: also a cached release, package or sha256 prefix");
  kernels_cmd->add_option("--patch", kernels.patches,
                          "fetch: a patch for the source kernels given (src:PATH, debian-source:...), repeatable, "
                          "applied in order");
  kernels_cmd->add_option("--config", kernels.config,
                          "fetch: base config for the source kernels given (default: x86_64_defconfig)");
  kernels_cmd->add_option("--cache", kernels.cache_dir, "kernel cache directory (default: ~/.cache/kreg)");
  kernels_cmd->add_flag("--json", kernels.json, "machine-readable JSON on stdout");
  kernels_cmd->add_option("--boots", kernels.boots, "boot: boots per kernel (default 5)");
  kernels_cmd->add_option("--qemu", kernels.qemu, "boot: QEMU binary (default qemu-system-x86_64)");
  kernels_cmd->add_option("--append", kernels.append, "boot: extra guest kernel command line, e.g. mitigations=off");
  kernels_cmd->add_option("--entry", kernels.entry,
                          "boot: auto (the kernel's ELF when it has a PVH entry; default), pvh or bzimage");
  kernels_cmd->add_option("--machine", kernels.machine,
                          "boot: auto (microvm when the kernel can; default), pc or microvm");

  kreg::ClusterCli cluster(app, run_cmd, run);  // plan, merge, submit; run --plan --shard

  kreg::CompareOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "is NEW worse than BASELINE? exit 0 no regression, 1 regression, 2 could not compare");
  compare_cmd
      ->add_option("baseline", compare.baseline,
                   "results/<run-id>, results/<run-id>:KERNEL (e.g. :6.1) or a job record")
      ->required();
  compare_cmd->add_option("new", compare.candidate, "the same for the run under test")->required();
  compare_cmd
      ->add_option("--threshold", compare.threshold_pct, "practical threshold: slope or median worse by more than PCT")
      ->capture_default_str();
  compare_cmd
      ->add_option("--threshold-for", compare.threshold_for,
                   "METRIC=PCT: another threshold for one metric (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  compare_cmd->add_option("--alpha", compare.alpha, "significance level of the tests; slope intervals are 1 - alpha")
      ->capture_default_str();
  compare_cmd
      ->add_option("--min-points", compare.min_points,
                   "regressed sweep points that make a metric regress without its slope: N, or majority (most "
                   "of its shared points and at least 2)")
      ->capture_default_str();
  compare_cmd->add_flag("--allow-accelerator-mismatch", compare.allow_accelerator_mismatch,
                        "compare runs taken under different accelerators (KVM vs TCG) anyway");
  compare_cmd->add_option("--junit", compare.junit, "JUnit XML file (default: <new run>/compare/junit.xml)");
  compare_cmd->add_option("--markdown", compare.markdown, "Markdown summary (default: <new run>/compare/summary.md)");
  compare_cmd->add_option("--json", compare.json,
                          "machine-readable verdicts (default: <new run>/compare/compare.json)");

  kreg::FindingsOptions findings;
  CLI::App* findings_cmd =
      app.add_subcommand("findings", "what a run shows, ranked by size of effect, one sentence each with its evidence");
  findings_cmd->add_option("run", findings.run, "results/<run-id>, results/<run-id>:KERNEL or a job record")
      ->required();
  findings_cmd->add_flag("--json", findings.json, "machine-readable JSON on stdout (what kreg report reads)");
  findings_cmd->add_option("--alpha", findings.alpha, "significance level of the tests; intervals are 1 - alpha")
      ->capture_default_str();
  findings_cmd
      ->add_option("--growth", findings.growth_pct,
                   "PCT: smallest growth from the fewest to the most objects stated as a slope")
      ->capture_default_str();
  findings_cmd
      ->add_option("--offset", findings.offset_pct, "PCT: smallest difference between kernels stated as an offset")
      ->capture_default_str();
  findings_cmd->add_option("--limit", findings.limit, "print at most N findings (0: all)")->capture_default_str();

  kreg::BisectCliOptions bisect;
  CLI::App* bisect_cmd = kreg::add_bisect_command(app, bisect);

  // CLI11 reports a misspelt subcommand as "a subcommand is required"; name it.
  bool known = false;
  for (const CLI::App* sub : app.get_subcommands({})) known |= argc > 1 && sub->check_name(argv[1]);
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::fprintf(
        stderr,
        "kreg: error: unknown subcommand '%s' (known: run, scenario, report, findings, kernels, catalog, compare, "
        "bisect, plan, merge, submit; see kreg --help)\n",
        argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "kreg: error: %s (see kreg --help)\n", e.what());
    return 2;
  }
  try {
    if (*run_cmd) {
      kreg::RunResult result = kreg::run_command(run);
      std::printf("%s\n", result.run_dir.c_str());  // for scripts: where the run went
      return result.exit_code;
    }
    if (*scenario_cmd) return kreg::scenario_command(scenario, scenario_run);
    if (*report_cmd) return kreg::report_command(report_dir, python, report_compare);
    if (*kernels_cmd) return kreg::kernels_command(kernels);
    if (*catalog_cmd) return kreg::catalog_command(catalog_out);
    if (int rc = 0; cluster.dispatch(rc)) return rc;
    if (*compare_cmd) return kreg::compare_command(compare);
    if (*findings_cmd) return kreg::findings_command(findings);
    if (*bisect_cmd) return kreg::bisect_command(bisect, std::vector<std::string>(argv, argv + argc));
  } catch (const kreg::KregError& e) {
    std::fprintf(stderr, "kreg: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kreg: error: %s\n", e.what());
    return 2;
  }
  return 2;
}
