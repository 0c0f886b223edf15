#!/bin/bash
# Fails when a C/C++ file in the repository differs from .clang-format's style.
# Fix with: clang-format -i $(git ls-files '*.cpp' '*.hpp' '*.c' '*.h')
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"
command -v clang-format >/dev/null || { echo "check_format: clang-format not found (./setup.sh installs it)"; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.c' '*.h')
[ ${#files[@]} -gt 0 ] || { echo "check_format: no C/C++ files found under $(pwd)"; exit 1; }
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check_format: $f differs from .clang-format (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "check_format: ${#files[@]} files, $bad not formatted"
[ $bad -eq 0 ]
