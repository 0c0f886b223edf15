// bisect.md: the bisect as a reader wants it: what was bisected and how,
// the answer first, then every step (kernel, verdict, evidence, wall time)
// and the confirmation's distributions. Rendered from bisect.json alone.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

std::string render_bisect_log(const nlohmann::json& doc);

// "31.1 us", "1.2 ms": a latency in ns for a table.
std::string format_latency_ns(double ns);

}  // namespace kreg
