// Reading TOML files (suites) with errors that name the file, the line and the key.
#pragma once

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "vm/common/error.hpp"

namespace kreg {

// Typed getters over a toml++ table: every error names the file and line, so a
// typo in a 200-line suite is found at once (KregError, exit 2).
class TomlReader {
 public:
  explicit TomlReader(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const toml::node* node, const std::string& what) const {
    std::string where = path_;
    if (node && node->source().begin) where += ":" + std::to_string(node->source().begin.line);
    throw KregError(where + ": " + what);
  }

  // Rejects keys the suite format does not have (typos must not be ignored).
  void only_keys(const toml::table& table, const std::string& section, const std::set<std::string>& known) const {
    for (const auto& [key, node] : table) {
      if (known.count(std::string(key.str()))) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(&node, fmt::format("unknown key '{}' in {} (known: {})", key.str(), section, list));
    }
  }

  std::string string_at(const toml::table& t, const std::string& key, const std::string& fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_string()) fail(n, "'" + key + "' must be a string");
    return **n->as_string();
  }

  int64_t int_at(const toml::table& t, const std::string& key, int64_t fallback, int64_t min) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_integer()) fail(n, "'" + key + "' must be an integer");
    int64_t v = **n->as_integer();
    if (v < min) fail(n, fmt::format("'{}' must be >= {} (got {})", key, min, v));
    return v;
  }

  double number_at(const toml::table& t, const std::string& key, double fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (n->is_integer()) return static_cast<double>(**n->as_integer());
    if (!n->is_floating_point()) fail(n, "'" + key + "' must be a number");
    return **n->as_floating_point();
  }

  bool bool_at(const toml::table& t, const std::string& key, bool fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_boolean()) fail(n, "'" + key + "' must be true or false");
    return **n->as_boolean();
  }

  std::vector<std::string> strings_at(const toml::table& t, const std::string& key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, "'" + key + "' must be an array of strings");
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) fail(&e, "'" + key + "' must be an array of strings");
      out.push_back(**e.as_string());
    }
    return out;
  }

  std::vector<int64_t> ints_at(const toml::table& t, const std::string& key) const {
    std::vector<int64_t> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, "'" + key + "' must be an array of integers");
    for (const auto& e : *n->as_array()) {
      if (!e.is_integer()) fail(&e, "'" + key + "' must be an array of integers");
      out.push_back(**e.as_integer());
    }
    return out;
  }

  // Generator parameters are scalars; the generator validates the values.
  nlohmann::json scalars_at(const toml::table& t, const std::string& key) const {
    nlohmann::json out = nlohmann::json::object();
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_table()) fail(n, "'" + key + "' must be a table, e.g. " + key + " = { mode = \"live\" }");
    for (const auto& [k, v] : *n->as_table()) {
      std::string name(k.str());
      if (v.is_string())
        out[name] = **v.as_string();
      else if (v.is_integer())
        out[name] = **v.as_integer();
      else if (v.is_floating_point())
        out[name] = **v.as_floating_point();
      else if (v.is_boolean())
        out[name] = **v.as_boolean();
      else
        fail(&v, "'" + key + "." + name + "' must be a string, number or boolean");
    }
    return out;
  }

 private:
  std::string path_;
};

}  // namespace kreg
