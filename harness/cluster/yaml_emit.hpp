// JSON documents written as block-style YAML (Kubernetes manifests): keys in
// insertion order; words and paths bare, other strings double-quoted (JSON
// escapes are YAML escapes), multi-line ones as literal blocks. No YAML library needed
// to write; the tests read it back with yaml-cpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

std::string to_yaml(const nlohmann::ordered_json& document);

}  // namespace kreg
