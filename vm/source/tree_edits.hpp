// What kreg changed in a source tree it owns (patches, toolchain fixes) and
// how to undo it. <tree>/.kreg/edits.json lists the edits applied and every
// file they may have changed; <tree>/.kreg/pristine/ holds those files as
// they were. Switching from one set of edits to another restores exactly
// those files and applies the new set, so the object tree rebuilds only what
// differs (a one-file patch is a one-file rebuild). A run killed half way
// is repaired on the next: the record is written before any file changes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kreg {

struct TreeEdit {
  std::string id;                  // "patch <sha256> <path>" or "fix <id>": what edits.json records
  std::vector<std::string> files;  // tree-relative files it may create, change or remove
  std::function<void(const std::string& tree)> apply;
};

class TreeEdits {
 public:
  explicit TreeEdits(std::string tree);

  // Ids of the edits in effect, in order (empty: the tree is pristine).
  std::vector<std::string> applied() const;

  // The unedited content of a tree-relative file: its pristine copy when an
  // edit touched it, else the tree's file; nullopt when the pristine tree
  // lacks it.
  std::optional<std::string> original(const std::string& relative_path) const;

  // Makes the tree pristine + `edits` (in order). Nothing is touched when
  // exactly those edits are in effect. Returns the files restored or edited.
  std::vector<std::string> set(const std::vector<TreeEdit>& edits);

  // Back to pristine; returns the files restored.
  std::vector<std::string> restore();

 private:
  std::string tree_, dir_;
};

}  // namespace kreg
