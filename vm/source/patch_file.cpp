#include "vm/source/patch_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/common/sha256.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// "a/mm/memcontrol.c\t2024-01-01 ..." -> "mm/memcontrol.c"; "/dev/null" -> "".
std::string strip_one(std::string name) {
  if (size_t tab = name.find('\t'); tab != std::string::npos) name.resize(tab);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.pop_back();
  if (name == "/dev/null") return "";
  size_t slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) return line;
  return "";
}

}  // namespace

std::vector<std::string> PatchFile::files() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : sections)
    for (const std::string& f : {s.old_file, s.file})
      if (!f.empty() && seen.insert(f).second) out.push_back(f);
  return out;
}

PatchFile parse_patch_text(const std::string& text, const std::string& path) {
  PatchFile p;
  p.path = path;
  p.sha256 = sha256_text(text);
  std::istringstream in(text);
  std::string line, minus;
  while (std::getline(in, line)) {
    if (line.rfind("--- ", 0) == 0) {
      minus = line.substr(4);
    } else if (line.rfind("+++ ", 0) == 0 && !minus.empty()) {
      PatchSection s;
      s.old_file = strip_one(minus);
      s.file = strip_one(line.substr(4));
      if (s.file.empty()) s.file = s.old_file;  // removed: "+++ /dev/null"
      p.sections.push_back(s);
      minus.clear();
    } else if (line.rfind("@@ ", 0) == 0 && !p.sections.empty()) {
      p.sections.back().hunks.push_back(line);
    } else {
      minus.clear();
    }
  }
  if (p.sections.empty())
    throw KregError("patch " + path +
                    " holds no unified diff (no ---/+++ lines); give a diff -u or git format-patch file");
  return p;
}

PatchFile read_patch_file(const std::string& path) {
  if (!fs::is_regular_file(path)) throw KregError("patch " + path + " does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KregError("cannot read patch " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_patch_text(text.str(), fs::absolute(path).lexically_normal().string());
}

std::string describe_patch_failure(const PatchFile& patch, const std::string& output) {
  // GNU patch: "patching file F" / "checking file F", then "Hunk #N FAILED at L."
  static const std::regex file_line(R"(^(?:patching|checking) file '?([^']+?)'?$)");
  static const std::regex hunk_line(R"(^Hunk #(\d+) FAILED at (\d+))");
  std::istringstream in(output);
  std::string file;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, file_line)) {
      file = m[1];
    } else if (std::regex_search(line, m, hunk_line)) {
      const size_t n = std::stoul(m[1]);
      std::string header;
      for (const auto& s : patch.sections)
        if (s.file == file && n >= 1 && n <= s.hunks.size()) header = " (" + s.hunks[n - 1] + ")";
      return file + " hunk #" + m[1].str() + header + " FAILED at line " + m[2].str();
    } else if (line.find("can't find file to patch") != std::string::npos) {
      return "a file it changes is missing: " + line;
    } else if (line.find("Reversed (or previously applied) patch detected") != std::string::npos) {
      return file + ": it is already applied (or reversed)";
    }
  }
  std::string first = first_line(output);
  return first.empty() ? "patch(1) failed without a message" : first;
}

void check_patch_series(const std::vector<PatchFile>& series, const OriginalFile& original, const std::string& what) {
  if (series.empty()) return;
  char tmpl[] = "/tmp/kreg-patch-check-XXXXXX";
  if (!mkdtemp(tmpl)) throw KregError("cannot create a temporary directory in /tmp");
  const std::string scratch = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};
  std::set<std::string> copied;
  for (const auto& p : series)
    for (const auto& f : p.files()) {
      if (!copied.insert(f).second) continue;
      if (auto from = original(f)) {
        fs::create_directories(fs::path(scratch + "/" + f).parent_path());
        fs::copy_file(*from, scratch + "/" + f);
      }
    }
  for (const auto& p : series) {
    CapturedRun r = run_captured(
        {"patch", "-p1", "-N", "-t", "--fuzz=0", "--no-backup-if-mismatch", "-r", "-", "-d", scratch, "-i", p.path});
    if (r.exit_code != 0)
      throw KregError("patch " + p.path + " does not apply to " + what + ": " +
                      describe_patch_failure(p, r.out + r.err));
  }
}

void apply_patch(const PatchFile& patch, const std::string& tree) {
  CapturedRun r = run_captured(
      {"patch", "-p1", "-N", "-t", "--fuzz=0", "--no-backup-if-mismatch", "-r", "-", "-d", tree, "-i", patch.path});
  if (r.exit_code != 0)
    throw KregError("patch " + patch.path + " failed on " + tree + ": " + describe_patch_failure(patch, r.out + r.err));
}

}  // namespace kreg
