#include "harness/cluster/yaml_emit.hpp"

#include <regex>

namespace kreg {

namespace {

using Json = nlohmann::ordered_json;

bool plain_safe(const std::string& s);

std::string key_text(const std::string& key) { return plain_safe(key) ? key : Json(key).dump(); }

bool block_literal(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

// A string that every YAML 1.1 and 1.2 reader (kubectl's included) takes as
// that same string when written bare: a word or path, never a bool, null or
// number in either version ("yes", "off", "0x1f" are not strings in 1.1).
bool plain_safe(const std::string& s) {
  static const std::regex plain(R"(^[A-Za-z_/][A-Za-z0-9_./-]*$)");
  static const std::regex reserved(R"(^(y|n|yes|no|on|off|true|false|null)$)", std::regex::icase);
  return std::regex_match(s, plain) && !std::regex_match(s, reserved);
}

// A scalar (or empty collection) on the current line; false for non-empty collections.
bool inline_value(const Json& v, std::string& out) {
  if (v.is_object() && v.empty())
    out = "{}";
  else if (v.is_array() && v.empty())
    out = "[]";
  else if (v.is_structured())
    return false;
  else if (v.is_string() && plain_safe(v.get<std::string>()))
    out = v.get<std::string>();
  else
    out = v.dump();
  return true;
}

void emit(const Json& v, int indent, std::string& out);

void emit_string_block(const std::string& s, int indent, std::string& out) {
  out += s.back() == '\n' ? "|\n" : "|-\n";
  size_t at = 0;
  while (at < s.size()) {
    size_t end = s.find('\n', at);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(at, end - at);
    out += line.empty() ? "\n" : std::string(indent, ' ') + line + "\n";
    at = end + 1;
  }
}

// After "key:" or "- ": the value, on this line when it is a scalar.
void emit_after_key(const Json& v, int indent, std::string& out) {
  std::string scalar;
  if (v.is_string() && block_literal(v.get<std::string>())) {
    out += " ";
    emit_string_block(v.get<std::string>(), indent + 2, out);
  } else if (inline_value(v, scalar)) {
    out += " " + scalar + "\n";
  } else {
    out += "\n";
    emit(v, indent + 2, out);
  }
}

void emit(const Json& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (const auto& [k, item] : v.items()) {
      out += pad + key_text(k) + ":";
      emit_after_key(item, indent, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      std::string scalar;
      if (item.is_object() && !item.empty()) {
        // "- first: x" then the other keys aligned under "first".
        std::string nested;
        emit(item, indent + 2, nested);
        out += pad + "- " + nested.substr(indent + 2);
      } else if (item.is_string() && block_literal(item.get<std::string>())) {
        out += pad + "- ";
        emit_string_block(item.get<std::string>(), indent + 2, out);
      } else if (inline_value(item, scalar)) {
        out += pad + "- " + scalar + "\n";
      } else {
        out += pad + "-\n";
        emit(item, indent + 2, out);
      }
    }
  }
}

}  // namespace

std::string to_yaml(const Json& document) {
  std::string out;
  std::string scalar;
  if (inline_value(document, scalar)) return scalar + "\n";
  emit(document, 0, out);
  return out;
}

}  // namespace kreg
