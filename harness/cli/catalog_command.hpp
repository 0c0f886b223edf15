// `kreg catalog`: kreg's own tables as JSON, for plots/ and dashboards: the
// generator table (scenarios, families, held-object keys, stat paths), the
// metric catalog (unit, worse direction), renamed metrics and the cgroup
// v2 -> v1 file table. plots/ reads this file, never a copy of the facts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

nlohmann::json catalog_json();
// Prints the catalog, or writes it to `output` (atomically) when given.
int catalog_command(const std::string& output);

}  // namespace kreg
