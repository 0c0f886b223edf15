// One `make` of a kernel tree: output to a log file, a progress line on a
// terminal (files compiled, elapsed time), and the first compiler error of
// a failed build as the one line a user sees.
#pragma once

#include <string>
#include <vector>

namespace kreg {

struct MakeResult {
  int exit_code = -1;
  double wall_s = 0;
  int compiled = 0;  // C and assembler files compiled ("  CC ", "  AS " lines)
};

// Runs argv with stdout and stderr written to `log_path` (truncated first). `label` names the
// kernel on the progress line; `expected` is the number of files a full
// build compiles (0 = unknown), for a fraction on the progress line.
MakeResult run_kernel_make(const std::vector<std::string>& argv, const std::string& log_path, const std::string& label,
                           int expected = 0);

// The first line that says why a build failed: a compiler/assembler/linker
// error ("file.c:12:3: error: ...", "#error ...", "undefined reference",
// "multiple definition"), else make's own "*** ..." line; "" if none.
std::string first_build_error(const std::string& log);

// Whether stderr is a terminal outside CI: live progress lines only then.
bool live_progress();

}  // namespace kreg
