// Kernel .config handling for source builds: merge_config.sh semantics
// (fragment lines replace the base's lines for their symbols), and the
// check after `make olddefconfig` that every fragment line survived.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace kreg {

struct ConfigLine {
  std::string symbol;  // without CONFIG_
  std::string value;   // "y", "m", "n" (written "# CONFIG_X is not set"), or a raw value
  std::string text() const;
};

// The CONFIG_ lines of a .config or fragment, in order; comments other than
// "# CONFIG_X is not set" are skipped.
std::vector<ConfigLine> parse_config_lines(const std::string& text);

// symbol -> value, "n" for "is not set" (the last line for a symbol wins).
std::map<std::string, std::string> config_values(const std::string& text);

// The base with every fragment symbol's line removed and the fragment's
// lines appended, as merge_config.sh writes it before olddefconfig.
std::string merge_config(const std::string& base, const std::vector<ConfigLine>& fragment);

// Every symbol a tree's Kconfig files define ("config X" / "menuconfig X"),
// leaving out other architectures' (arch/<not x86>/): kreg builds x86_64.
std::set<std::string> kconfig_symbols(const std::string& tree);

// "depends on ..." of a symbol's Kconfig entries, joined with " && "
// ("" when none is found), for the error that names a dropped option.
std::string kconfig_depends(const std::string& tree, const std::string& symbol);

struct ConfigCheck {
  std::vector<ConfigLine> dropped;         // required, present in Kconfig, but not in the final .config
  std::map<std::string, std::string> got;  // dropped symbol -> its final value ("n" when absent)
  std::vector<std::string> absent;         // symbols this kernel version does not have
};

// Which of `required` the final .config kept.
ConfigCheck check_config(const std::string& final_config, const std::vector<ConfigLine>& required,
                         const std::set<std::string>& known_symbols);

}  // namespace kreg
