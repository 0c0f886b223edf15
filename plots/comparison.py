"""The comparison verdicts of `kreg compare`, if it has run: RUN_DIR/compare/*.md (summary.md first)
or a file given with --compare, plus the pass/fail counts of a junit.xml beside it.
Standard library only.
"""

import glob
import os
import re
import xml.etree.ElementTree as ET

HINT = ("No comparison run yet: `kreg compare BASELINE {run}` (BASELINE: another run, or `{run}:KERNEL` to "
        "compare this run's kernels, e.g. `kreg compare {run}:5.10 {run}:6.1`) writes `compare/summary.md` and "
        "`compare/junit.xml` into this run; run `kreg report` again afterwards (or pass `--compare FILE`) to "
        "include its verdicts.")


class ComparisonError(Exception):
    pass


def find(run_dir, compare_file=None):
    """(path, markdown text) or None. Raises ComparisonError for an unreadable --compare FILE."""
    if compare_file:
        paths = [compare_file]
    else:
        found = sorted(glob.glob(os.path.join(run_dir, "compare", "*.md")))
        paths = sorted(found, key=lambda p: os.path.basename(p) != "summary.md")[:1]
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                return path, f.read()
        except (OSError, UnicodeDecodeError) as e:
            if compare_file:
                raise ComparisonError(f"--compare {compare_file} cannot be read ({e}); pass the summary.md "
                                      "that `kreg compare` wrote") from None
    return None


def _junit(directory):
    path = os.path.join(directory, "junit.xml")
    if not os.path.exists(path):
        return None
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        return f"`{os.path.basename(path)}` beside it cannot be parsed ({e})."
    cases = root.iter("testcase")
    total = failed = skipped = 0
    for case in cases:
        total += 1
        failed += any(c.tag in ("failure", "error") for c in case)
        skipped += any(c.tag == "skipped" for c in case)
    return f"`junit.xml` beside it: {total} check(s), {failed} failed (regressions), {skipped} skipped."


def markdown_section(run_dir, compare_file=None, heading="## Comparison verdicts"):
    found = find(run_dir, compare_file)
    lines = [heading, ""]
    if not found:
        return lines + [HINT.format(run=run_dir.rstrip("/")), ""]
    path, text = found
    shown = os.path.relpath(path, run_dir) if not compare_file else path
    lines += [f"From `{shown}` (written by `kreg compare`):", ""]
    junit = _junit(os.path.dirname(path))
    if junit:
        lines += [junit, ""]
    fence = None  # its headings go below ours; code fences are left alone
    for line in text.splitlines():
        m = re.match(r"^(`{3,}|~{3,})", line)
        if m and (fence is None or line.startswith(fence)):
            fence = m.group(1) if fence is None else None
        elif fence is None:
            line = re.sub(r"^(#{1,4}) ", lambda h: "#" * (len(h.group(1)) + 2) + " ", line)
        lines.append(line)
    return lines + [""]
