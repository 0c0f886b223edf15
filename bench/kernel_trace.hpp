// Kernel-side time of named functions, from ftrace's function_graph tracer:
// calls and time per call of e.g. __d_lookup_rcu and proc_sys_compare while
// a benchmark runs. Taken in a pass of its own (the tracer slows the
// user-side figure, under TCG by a lot), so the caller reports both.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg {

// Runs `work` with function_graph tracing `functions` and returns
// {"available": true, "functions": {name: {"calls", "total_us", "mean_us"}},
//  "not_traceable": [...]} or {"available": false, "reason": "..."} when the
// kernel cannot (no tracefs, no function_graph, none of the functions
// traceable). Restores the tracer to nop afterwards.
nlohmann::json trace_kernel_functions(const std::vector<std::string>& functions, const std::function<void()>& work);

// Parses function_graph output: per function, calls and total microseconds.
// Leaf calls read "1)   0.789 us    |  __d_lookup_rcu();", returns of traced
// callers "1)   5.1 us    |  } /* __d_lookup */" (funcgraph-tail). Exposed for tests.
nlohmann::json parse_function_graph(const std::string& trace);

// The tracefs directory, mounting it where the kernel has one and nobody
// did; "" when the kernel has none.
std::string tracefs_dir();

}  // namespace kreg
