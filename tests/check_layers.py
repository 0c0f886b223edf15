#!/usr/bin/env python3
"""Fails when a folder includes a folder it must not: data flows one way.

Each source folder may include itself and the folders listed for it, nothing
else. A folder missing from the table is an error too, so a new folder gets a
place in the order before it gets code. Usage: check_layers.py [SOURCE_DIR]
"""
import pathlib
import re
import sys

# Bottom first. Host: common -> archive -> source -> kernels -> boot -> harness layers.
# Guest: scenarios -> bench -> vm/guest. vm/channel is shared by both.
ALLOWED = {
    "vm/common": [],
    "vm/channel": [],
    "stats": [],
    "scenarios": [],
    "bench": ["scenarios"],
    "bench/raw": [],  # raw-syscall C floors: nothing of kreg by design
    "vm/archive": ["vm/common"],
    "vm/source": ["vm/archive", "vm/common"],
    "vm/kernels": ["vm/source", "vm/archive", "vm/common"],
    "vm/boot": ["vm/kernels", "vm/archive", "vm/channel", "vm/common"],
    "vm/guest": ["bench", "scenarios", "vm/channel"],
    "harness/term": [],
    "harness/store": ["vm/common"],
    "harness/matrix": ["harness/store", "harness/term", "vm/boot", "vm/kernels", "vm/common", "bench", "scenarios"],
    "harness/findings": ["stats", "bench", "scenarios", "vm/common"],
    "harness/compare": ["harness/findings", "harness/store", "harness/term", "stats", "bench", "vm/common"],
    "harness/cluster": ["harness/matrix", "harness/store", "vm/common"],
    "harness/bisect": ["harness/matrix", "harness/compare", "harness/store", "harness/term", "vm/boot", "vm/kernels",
                       "vm/common"],
    "harness/cli": ["harness/bisect", "harness/cluster", "harness/compare", "harness/findings", "harness/matrix",
                    "harness/store", "harness/term",
                    "vm/boot", "vm/kernels", "vm/common", "bench", "scenarios"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path: pathlib.Path, root: pathlib.Path) -> str:
    return path.parent.relative_to(root).as_posix()


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent).resolve()
    problems = []
    checked = 0
    for top in ("vm", "harness", "scenarios", "bench", "stats"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".c", ".h"):
                continue
            folder = folder_of(path, root)
            if folder not in ALLOWED:
                problems.append(f"{path.relative_to(root)}: folder {folder} has no place in tests/check_layers.py's table")
                continue
            checked += 1
            text = path.read_text(errors="replace")
            for match in INCLUDE.finditer(text):
                target = match.group(1)
                if "/" not in target:
                    continue  # a header beside it
                target_folder = target.rsplit("/", 1)[0]
                if target_folder == folder or target_folder in ALLOWED[folder]:
                    continue
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(root)}:{line}: {folder} must not include {target} "
                                f"({folder} may include: {', '.join(ALLOWED[folder]) or 'nothing of kreg'})")
    for p in problems:
        print(p)
    print(f"check_layers: {checked} files, {len(problems)} problem(s)")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
