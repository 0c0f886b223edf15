// Parameter parsing shared by the generators: one clear message per bad key.
#include <algorithm>

#include "scenarios/generator.hpp"

namespace kreg {

int64_t int_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                  int64_t default_value, int64_t min_value, int64_t max_value) {
  if (!params.contains(key)) return default_value;
  const auto& v = params[key];
  if (!v.is_number_integer() || v.get<int64_t>() < min_value || v.get<int64_t>() > max_value)
    throw std::invalid_argument(generator + ": '" + key + "' must be an integer in [" + std::to_string(min_value) +
                                ", " + std::to_string(max_value) + "], got " + v.dump());
  return v.get<int64_t>();
}

std::string choice_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                         const std::string& default_value, const std::vector<std::string>& choices) {
  if (!params.contains(key)) return default_value;
  const auto& v = params[key];
  if (v.is_string() && std::find(choices.begin(), choices.end(), v.get<std::string>()) != choices.end())
    return v.get<std::string>();
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  throw std::invalid_argument(generator + ": '" + key + "' must be one of " + list + ", got " + v.dump());
}

std::string string_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                         const std::string& default_value) {
  if (!params.contains(key)) return default_value;
  if (!params[key].is_string() || params[key].get<std::string>().empty())
    throw std::invalid_argument(generator + ": '" + key + "' must be a non-empty string, got " + params[key].dump());
  return params[key].get<std::string>();
}

}  // namespace kreg
