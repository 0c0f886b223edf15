#include "vm/source/tree_edits.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

struct State {
  std::vector<std::string> applied;
  std::map<std::string, bool> files;  // tree-relative path -> existed before the edits
};

State read_state(const std::string& path) {
  State s;
  std::ifstream in(path);
  if (!in) return s;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw KregError(path + " is damaged; remove the source tree it belongs to and run again");
  s.applied = j.value("applied", std::vector<std::string>{});
  s.files = j.value("files", std::map<std::string, bool>{});
  return s;
}

void write_state(const std::string& path, const State& s) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << nlohmann::json{{"applied", s.applied}, {"files", s.files}}.dump(2) << "\n";
  fs::rename(tmp, path);
}

// A fresh copy, so the restored file is newer than any object built from
// the edited one.
void copy_fresh(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  const fs::path tmp = to.string() + ".kreg-tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

}  // namespace

TreeEdits::TreeEdits(std::string tree) : tree_(std::move(tree)), dir_(tree_ + "/.kreg") {}

std::vector<std::string> TreeEdits::applied() const { return read_state(dir_ + "/edits.json").applied; }

std::optional<std::string> TreeEdits::original(const std::string& rel) const {
  State s = read_state(dir_ + "/edits.json");
  if (auto it = s.files.find(rel); it != s.files.end())
    return it->second ? std::optional(dir_ + "/pristine/" + rel) : std::nullopt;
  const std::string path = tree_ + "/" + rel;
  return fs::exists(path) ? std::optional(path) : std::nullopt;
}

std::vector<std::string> TreeEdits::restore() {
  State s = read_state(dir_ + "/edits.json");
  std::vector<std::string> restored;
  for (const auto& [rel, existed] : s.files) {
    const fs::path file = tree_ + "/" + rel;
    if (existed)
      copy_fresh(dir_ + "/pristine/" + rel, file);
    else
      fs::remove(file);
    restored.push_back(rel);
  }
  fs::remove_all(dir_ + "/pristine");
  if (!s.files.empty() || !s.applied.empty()) write_state(dir_ + "/edits.json", State{});
  return restored;
}

std::vector<std::string> TreeEdits::set(const std::vector<TreeEdit>& edits) {
  fs::create_directories(dir_);
  std::vector<std::string> ids;
  for (const auto& e : edits) ids.push_back(e.id);
  if (read_state(dir_ + "/edits.json").applied == ids) return {};
  std::vector<std::string> changed = restore();
  State s;
  for (const auto& e : edits)
    for (const auto& rel : e.files) {
      if (s.files.count(rel)) continue;
      const fs::path file = tree_ + "/" + rel;
      s.files[rel] = fs::exists(file);
      if (s.files[rel]) {
        fs::create_directories(fs::path(dir_ + "/pristine/" + rel).parent_path());
        fs::copy_file(file, dir_ + "/pristine/" + rel, fs::copy_options::overwrite_existing);
      }
    }
  write_state(dir_ + "/edits.json", s);  // what to undo, before anything changes
  for (const auto& e : edits) e.apply(tree_);
  s.applied = ids;
  write_state(dir_ + "/edits.json", s);
  std::set<std::string> all(changed.begin(), changed.end());
  for (const auto& [rel, existed] : s.files) all.insert(rel);
  return {all.begin(), all.end()};
}

}  // namespace kreg
