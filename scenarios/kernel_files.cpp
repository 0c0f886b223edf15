// Parsers for /proc and cgroupfs text. Shared by the host and the statically
// linked guest agent, so this file uses only the standard library.
//
// Common rules, because fields come and go between kernel versions:
//  - every parser looks lines up by key, never by line number;
//  - a line that does not have the expected shape is skipped, not fatal, so
//    one new or odd line in a future kernel cannot lose the rest of the file;
//  - numbers are int64 parsed with std::from_chars (locale-free, no
//    exceptions). A value that does not fit (e.g. a wrapped unsigned counter
//    printed as 18446744073709551615) makes its line malformed and skipped:
//    an absent key is noticed, a silently clamped value is not.
//    A leading '-' is accepted because some kernel counters are signed.
#include "scenarios/kernel_files.hpp"

#include <charconv>
#include <system_error>

namespace kreg {
namespace {

constexpr std::string_view kSpace = " \t\r\n\v\f";

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Calls fn(line) for each non-blank line, trimmed (so CRLF and trailing
// whitespace never reach the parsers). A missing final '\n' is fine.
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = trim(text.substr(0, nl));
    if (!line.empty()) fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Fields separated by runs of spaces/tabs (/proc/cgroups uses tabs,
// memory.stat single spaces, /proc/meminfo padding spaces).
std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const auto b = line.find_first_not_of(kSpace);
    if (b == std::string_view::npos) break;
    line.remove_prefix(b);
    const auto e = line.find_first_of(kSpace);
    out.push_back(line.substr(0, e));
    if (e == std::string_view::npos) break;
    line.remove_prefix(e);
  }
  return out;
}

// Whole string must be the number: "12kB" or "" is malformed, not 12 or 0.
template <class Int = int64_t>
std::optional<Int> to_int(std::string_view s) {
  Int v{};
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || p != end) return std::nullopt;
  return v;
}

// /proc/mounts escapes ' ', '\t', '\n' and '\\' as \ooo (e.g. "\040").
// A backslash not followed by three octal digits (first 0-3, so the value
// fits a byte) is kept literally rather than guessed at.
std::string unescape_octal(std::string_view s) {
  const auto oct = [](char c, char max) { return c >= '0' && c <= max; };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1], '3') && oct(s[i + 2], '7') && oct(s[i + 3], '7')) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::map<std::string, CgroupSubsys> parse_proc_cgroups(std::string_view text) {
  std::map<std::string, CgroupSubsys> out;
  for_each_line(text, [&](std::string_view line) {
    if (line.front() == '#') return;  // "#subsys_name hierarchy ..." header
    const auto f = split_ws(line);
    if (f.size() != 4) return;
    const auto hierarchy = to_int<int>(f[1]);
    const auto num = to_int(f[2]);
    const auto enabled = to_int<int>(f[3]);
    if (!hierarchy || !num || !enabled) return;
    out[std::string(f[0])] = CgroupSubsys{std::string(f[0]), *hierarchy, *num, *enabled != 0};
  });
  return out;
}

std::map<std::string, int64_t> parse_meminfo_kb(std::string_view text) {
  std::map<std::string, int64_t> out;
  for_each_line(text, [&](std::string_view line) {
    // "Name:   123 kB", or "HugePages_Total:   0" (a count, no unit).
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const auto key = trim(line.substr(0, colon));
    const auto f = split_ws(line.substr(colon + 1));
    if (key.empty() || f.empty() || f.size() > 2) return;
    // The result is promised in kB; any other unit would be misread.
    if (f.size() == 2 && f[1] != "kB") return;
    if (const auto v = to_int(f[0])) out[std::string(key)] = *v;
  });
  return out;
}

std::map<std::string, int64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, int64_t> out;
  for_each_line(text, [&](std::string_view line) {
    const auto f = split_ws(line);
    if (f.size() != 2) return;
    if (const auto v = to_int(f[1])) out[std::string(f[0])] = *v;
  });
  return out;
}

std::map<std::string, NumaStatRow> parse_numa_stat(std::string_view text) {
  std::map<std::string, NumaStatRow> out;
  for_each_line(text, [&](std::string_view line) {
    const auto f = split_ws(line);
    if (f.empty()) return;
    NumaStatRow row;
    std::string_view name = f[0];
    // v1 carries the row total in the name token ("total=1595"); v2 does not.
    if (const auto eq = name.find('='); eq != std::string_view::npos) {
      row.total = to_int(name.substr(eq + 1));
      name = name.substr(0, eq);
      if (!row.total) return;
    }
    if (name.empty()) return;
    for (size_t i = 1; i < f.size(); ++i) {  // "N<node>=<value>"
      const auto eq = f[i].find('=');
      if (f[i].front() != 'N' || eq == std::string_view::npos) return;
      const auto node = to_int<int>(f[i].substr(1, eq - 1));
      const auto value = to_int(f[i].substr(eq + 1));
      if (!node || *node < 0 || !value) return;  // whole row, not half of it
      row.per_node[*node] = *value;
    }
    if (!row.total && row.per_node.empty()) return;  // bare v2 name: no data
    out[std::string(name)] = std::move(row);
  });
  return out;
}

std::optional<DentryState> parse_dentry_state(std::string_view text) {
  // One line; read its leading numbers and stop at the first non-number.
  const auto t = trim(text);
  const auto first = t.substr(0, t.find('\n'));
  std::vector<int64_t> n;
  for (const auto tok : split_ws(first)) {
    const auto v = to_int(tok);
    if (!v) break;
    n.push_back(*v);
  }
  if (n.size() < 4) return std::nullopt;
  DentryState d;
  d.nr_dentry = n[0];
  d.nr_unused = n[1];
  d.age_limit = n[2];
  d.want_pages = n[3];
  if (n.size() >= 5) d.nr_negative = n[4];
  return d;
}

std::map<std::string, SlabCache> parse_slabinfo(std::string_view text) {
  std::map<std::string, SlabCache> out;
  for_each_line(text, [&](std::string_view line) {
    // Skips the "slabinfo - version" and "# name" header lines.
    const auto f = split_ws(line);
    if (f.size() < 4 || f[0].front() == '#') return;
    const auto active = to_int(f[1]), num = to_int(f[2]), size = to_int(f[3]);
    if (!active || !num || !size) return;
    out[std::string(f[0])] = SlabCache{*active, *num, *size};
  });
  return out;
}

std::vector<MountEntry> parse_mounts(std::string_view text) {
  std::vector<MountEntry> out;
  for_each_line(text, [&](std::string_view line) {
    // "source target fstype options dump pass"; the kernel escapes blanks
    // inside fields, so splitting on whitespace is exact. dump/pass are
    // optional here because nothing in kreg needs them.
    const auto f = split_ws(line);
    if (f.size() < 4) return;
    out.push_back(MountEntry{unescape_octal(f[0]), unescape_octal(f[1]), unescape_octal(f[2]), unescape_octal(f[3])});
  });
  return out;
}

}  // namespace kreg
