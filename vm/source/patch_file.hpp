// Patches for kernels built from source: a unified diff (git format-patch,
// diff -u) applied with `patch -p1 --fuzz=0`: a hunk may move (offset) but
// its context must match exactly, so what is built is what the patch says. What it touches is read from its
// headers, so kreg can check a series against the pristine tree and undo it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kreg {

struct PatchSection {
  std::string file;                // tree-relative path it changes (-p1), the new name for a rename
  std::string old_file;            // the old name ("" when created)
  std::vector<std::string> hunks;  // "@@ -3989,44 +3989,48 @@ static int ..." in order
};

struct PatchFile {
  std::string path;  // absolute
  std::string sha256;
  std::vector<PatchSection> sections;
  std::vector<std::string> files() const;  // every path it creates, changes or removes, once
};

// Parses a patch file. Throws KregError naming the path when it is missing,
// unreadable or holds no diff.
PatchFile read_patch_file(const std::string& path);
PatchFile parse_patch_text(const std::string& text, const std::string& path);

// Where the unpatched content of a tree-relative file is, nullopt when the
// unpatched tree lacks it.
using OriginalFile = std::function<std::optional<std::string>(const std::string& relative_path)>;

// Applies `series` in order to a scratch copy of the files it touches (their
// originals, so edits kreg made before do not count) and discards it. Throws
// KregError: "patch P does not apply to WHAT: FILE hunk #N (@@ ... @@) FAILED
// at LINE", or patch's own first complaint when it is not about a hunk.
void check_patch_series(const std::vector<PatchFile>& series, const OriginalFile& original, const std::string& what);

// Applies one patch to `tree` for real (checked before). Throws KregError
// with patch's message when it fails anyway.
void apply_patch(const PatchFile& patch, const std::string& tree);

// The hunk patch(1) complained about in its output, as the one-line reason.
std::string describe_patch_failure(const PatchFile& patch, const std::string& patch_output);

}  // namespace kreg
