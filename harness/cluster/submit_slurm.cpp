#include "harness/cluster/submit_slurm.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "harness/store/result_store.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// Single-quoted for sh: the only character needing care is the quote itself.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// #SBATCH lines are not parsed by a shell: their paths must be plain.
void check_plain_path(const std::string& path) {
  if (path.find_first_of(" \t\n'\"\\$%") != std::string::npos)
    throw KregError("path " + path + " has spaces, quotes, '$' or '%'; Slurm's #SBATCH lines need a plain path");
}

}  // namespace

SlurmScripts slurm_scripts(const Plan& plan, const std::string& plan_file, const std::string& results_root,
                           const std::string& kreg, const SlurmOptions& o) {
  const std::string dir = results_root + "/" + plan.id(), logs = dir + "/slurm";
  check_plain_path(logs);
  const ShardResources r = plan_resources(plan);
  const std::string partition = o.partition.empty() ? "" : "#SBATCH --partition=" + o.partition + "\n";
  const std::string cache = o.cache_dir.empty() ? "" : " --cache " + sh_quote(fs::absolute(o.cache_dir).string());
  SlurmScripts s;
  s.shards = fmt::format(
      "#!/bin/sh\n"
      "# kreg plan {}: suite {}, {} units in {} shards; array task I runs shard I (kreg submit slurm)\n"
      "#SBATCH --job-name=kreg-{}\n"
      "#SBATCH --array=0-{}\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --cpus-per-task={}\n"
      "#SBATCH --mem={}M\n"
      "#SBATCH --time={}\n"
      "#SBATCH --output={}/shard-%a.out\n"
      "{}"
      "exec {} run --plan {} --shard \"$SLURM_ARRAY_TASK_ID\" --results {}{}\n",
      plan.id(), plan.json.value("suite", ""), plan.json["units"].size(), plan.shard_count(), plan.id(),
      plan.shard_count() - 1, r.cpus, r.memory_mib, r.time_minutes, logs, partition, sh_quote(kreg),
      sh_quote(plan_file), sh_quote(results_root), cache);
  s.merge = fmt::format(
      "#!/bin/sh\n"
      "# kreg plan {}: merges the shards in {}/shards into the run {} (kreg submit slurm)\n"
      "#SBATCH --job-name=kreg-{}-merge\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --mem=512M\n"
      "#SBATCH --time=30\n"
      "#SBATCH --output={}/merge.out\n"
      "{}"
      "exec {} merge {} --plan {}\n",
      plan.id(), dir, dir, plan.id(), logs, partition, sh_quote(kreg), sh_quote(dir), sh_quote(plan_file));
  return s;
}

std::string parse_sbatch_job_id(const std::string& out) {
  std::string id = out.substr(0, out.find_first_of(";\n"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw KregError("sbatch answered '" + out + "', not a job id");
  return id;
}

int submit_slurm_command(const SlurmOptions& o) {
  Plan plan = load_plan(o.plan);
  const std::string root = fs::absolute(o.results_root).lexically_normal().string();
  const std::string dir = root + "/" + plan.id();
  check_plain_path(dir);
  const std::string kreg = o.kreg.empty() ? fs::canonical("/proc/self/exe").string() : o.kreg;
  std::error_code ec;
  fs::create_directories(dir + "/slurm", ec);
  if (ec) throw KregError("cannot create " + dir + "/slurm: " + ec.message());
  // The plan beside its results, so the run directory says what it ran.
  const std::string plan_copy = dir + "/plan.json";
  if (!fs::exists(plan_copy))
    write_file_atomically(plan_copy, plan.json.dump(2) + "\n");
  else if (load_plan(plan_copy).sha256 != plan.sha256)
    throw KregError(plan_copy + " holds another plan with id " + plan.id() + "; pass another --results");

  SlurmScripts scripts = slurm_scripts(plan, plan_copy, root, kreg, o);
  const std::string shards_script = dir + "/slurm/shards.sbatch", merge_script = dir + "/slurm/merge.sbatch";
  write_file_atomically(shards_script, scripts.shards);
  write_file_atomically(merge_script, scripts.merge);
  fs::permissions(shards_script, fs::perms::owner_exec, fs::perm_options::add, ec);
  fs::permissions(merge_script, fs::perms::owner_exec, fs::perm_options::add, ec);

  std::vector<std::string> array_argv = {o.sbatch, "--parsable", shards_script};
  std::vector<std::string> merge_argv = {o.sbatch, "--parsable", "--dependency=afterany:ARRAY_JOB_ID",
                                         "--kill-on-invalid-dep=no", merge_script};
  if (o.dry_run) {
    std::printf("%s", scripts.shards.c_str());
    std::printf("%s", scripts.merge.c_str());
    for (const auto* argv : {&array_argv, &merge_argv}) {
      std::string line;
      for (const auto& a : *argv) line += (line.empty() ? "" : " ") + a;
      std::fprintf(stderr, "kreg: would run: %s\n", line.c_str());
    }
    return 0;
  }
  if (!find_program(o.sbatch)) throw KregError("sbatch not found (install slurm-client, or pass --sbatch PATH)");
  CapturedRun array = run_captured(array_argv);
  if (array.exit_code != 0)
    throw KregError("sbatch " + shards_script + " failed: " + array.err.substr(0, array.err.find('\n')));
  const std::string array_id = parse_sbatch_job_id(array.out);
  merge_argv[2] = "--dependency=afterany:" + array_id;
  CapturedRun merge = run_captured(merge_argv);
  if (merge.exit_code != 0)
    throw KregError("shards submitted as job array " + array_id + ", but sbatch " + merge_script + " failed: " +
                    merge.err.substr(0, merge.err.find('\n')) + " (merge by hand: kreg merge " + dir + ")");
  const std::string merge_id = parse_sbatch_job_id(merge.out);
  write_file_atomically(dir + "/slurm/submitted.json", nlohmann::json{{"plan_id", plan.id()},
                                                                      {"plan_sha256", plan.sha256},
                                                                      {"array_job", array_id},
                                                                      {"merge_job", merge_id},
                                                                      {"shards", plan.shard_count()},
                                                                      {"at", make_run_id("submit")}}
                                                               .dump(2) +
                                                           "\n");
  std::fprintf(stderr,
               "kreg: plan %s: job array %s (tasks 0-%d, one shard each), merge job %s after it; results in %s\n",
               plan.id().c_str(), array_id.c_str(), plan.shard_count() - 1, merge_id.c_str(), dir.c_str());
  std::printf("%s %s\n", array_id.c_str(), merge_id.c_str());
  return 0;
}

}  // namespace kreg
