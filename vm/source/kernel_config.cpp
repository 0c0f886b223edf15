#include "vm/source/kernel_config.hpp"
#include "vm/common/text_file.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace kreg {

namespace {

bool is_kconfig_file(const fs::path& p) { return p.filename().string().rfind("Kconfig", 0) == 0; }

template <class Fn>
void each_kconfig(const std::string& tree, Fn&& fn) {
  for (auto it = fs::recursive_directory_iterator(tree); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    // Other architectures' Kconfig files say nothing about an x86_64 build.
    const std::string rel = it->path().lexically_relative(tree).generic_string();
    const bool other_arch = rel.rfind("arch/", 0) == 0 && rel.find('/', 5) == std::string::npos && rel != "arch/x86";
    if (it->is_directory() && (name == ".git" || name == ".kreg" || name == "Documentation" || other_arch)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_kconfig_file(it->path())) fn(it->path());
  }
}

}  // namespace

std::string ConfigLine::text() const {
  return value == "n" ? "# CONFIG_" + symbol + " is not set" : "CONFIG_" + symbol + "=" + value;
}

std::vector<ConfigLine> parse_config_lines(const std::string& text) {
  static const std::regex set(R"(^CONFIG_([A-Za-z0-9_]+)=(.*)$)"), unset(R"(^# CONFIG_([A-Za-z0-9_]+) is not set\s*$)");
  std::vector<ConfigLine> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, set))
      out.push_back({m[1], m[2]});
    else if (std::regex_match(line, m, unset))
      out.push_back({m[1], "n"});
  }
  return out;
}

std::map<std::string, std::string> config_values(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& l : parse_config_lines(text)) out[l.symbol] = l.value;
  return out;
}

std::string merge_config(const std::string& base, const std::vector<ConfigLine>& fragment) {
  std::set<std::string> replaced;
  for (const auto& l : fragment) replaced.insert(l.symbol);
  std::ostringstream out;
  std::istringstream in(base);
  for (std::string line; std::getline(in, line);) {
    auto parsed = parse_config_lines(line);
    if (!parsed.empty() && replaced.count(parsed[0].symbol)) continue;
    out << line << "\n";
  }
  for (const auto& l : fragment) out << l.text() << "\n";
  return out.str();
}

std::set<std::string> kconfig_symbols(const std::string& tree) {
  static const std::regex entry(R"(^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$)");
  std::set<std::string> out;
  each_kconfig(tree, [&](const fs::path& p) {
    std::istringstream in(read_file_or_empty(p));
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, entry)) out.insert(m[1]);
    }
  });
  return out;
}

std::string kconfig_depends(const std::string& tree, const std::string& symbol) {
  static const std::regex depends(R"(^\s*depends\s+on\s+(.*?)\s*$)");
  const std::regex entry(R"(^\s*(?:menu)?config\s+)" + symbol + R"(\s*$)");
  // The entry ends at the next entry, a menu/if/choice boundary, or its help text.
  static const std::regex next(
      R"(^\s*(?:menu)?config\s|^\s*(?:endmenu|endif|if|menu|choice|endchoice|source|help|---help---)(?:\s|$))");
  std::string out;
  std::set<std::string> seen;
  each_kconfig(tree, [&](const fs::path& p) {
    std::istringstream in(read_file_or_empty(p));
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
      if (std::regex_search(line, entry)) {
        inside = true;
        continue;
      }
      if (!inside) continue;
      std::smatch m;
      if (std::regex_search(line, next)) {
        inside = false;
      } else if (std::regex_match(line, m, depends) && !seen.count(m[1].str())) {
        seen.insert(m[1].str());
        out += (out.empty() ? "" : " && ") + m[1].str();
      }
    }
  });
  return out;
}

ConfigCheck check_config(const std::string& final_config, const std::vector<ConfigLine>& required,
                         const std::set<std::string>& known) {
  ConfigCheck c;
  const auto values = config_values(final_config);
  for (const auto& want : required) {
    auto it = values.find(want.symbol);
    const std::string got = it == values.end() ? "n" : it->second;
    if (got == want.value) continue;
    if (!known.count(want.symbol)) {
      c.absent.push_back(want.symbol);
      continue;
    }
    c.dropped.push_back(want);
    c.got[want.symbol] = got;
  }
  return c;
}

}  // namespace kreg
