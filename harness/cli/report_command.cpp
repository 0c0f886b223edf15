#include "harness/cli/report_command.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "harness/cli/catalog_command.hpp"
#include "harness/cli/findings_command.hpp"
#include "harness/store/result_store.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/common/source_dir.hpp"

namespace kreg {

namespace fs = std::filesystem;

std::string plots_dir() {
  if (const char* dir = std::getenv("KREG_PLOTS_DIR"); dir && *dir) return dir;
  return source_dir() + "/plots";
}

int report_command(const std::string& run_dir, const std::string& python, const std::string& compare_md) {
  if (!fs::is_directory(run_dir + "/jobs"))
    throw KregError("'" + run_dir + "' is not a kreg run directory (expected results/<run-id>/ with jobs/)");
  bool any = false;
  for (const auto& entry : fs::recursive_directory_iterator(run_dir + "/jobs"))
    any |= entry.path().extension() == ".json";
  if (!any) throw KregError("run " + run_dir + " holds no job record yet (did `kreg run` finish a job?)");
  std::string script = plots_dir() + "/report.py";
  if (!fs::exists(script)) throw KregError("plot script " + script + " is missing (set KREG_PLOTS_DIR)");
  if (!compare_md.empty() && !fs::is_regular_file(compare_md))
    throw KregError("--compare " + compare_md + " is not a file (pass the summary.md `kreg compare` wrote)");
  std::string out_dir = run_dir + "/report";
  fs::create_directories(out_dir);
  // The plots read kreg's tables (scenario families, renamed metrics) from this file, never from a copy.
  const std::string catalog = out_dir + "/catalog.json";
  write_file_atomically(catalog, catalog_json().dump(2) + "\n");
  // The findings come from the C++ engine (the one kreg compare uses); report.py
  // renders them first, with the plots they name.
  std::string findings_path = out_dir + "/findings.json";
  write_file_atomically(findings_path, findings::to_json(findings_of({.run = run_dir})).dump(1) + "\n");
  std::vector<std::string> argv{python,      script,  run_dir,      "--out",      out_dir,
                                "--catalog", catalog, "--findings", findings_path};
  if (!compare_md.empty()) argv.insert(argv.end(), {"--compare", compare_md});
  if (wait_for_exit(spawn_process(argv, {"", "", "", true})) != 0)
    throw KregError("plots/report.py failed on " + run_dir +
                    " (see its message above; install python3-matplotlib with ./setup.sh)");
  return 0;  // report.py listed what it wrote
}

}  // namespace kreg
