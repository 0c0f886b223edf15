"""The skips that may happen on CI: tests/skip_allowlist.txt, read by run_test.py and test_summary.py."""
import fnmatch
import os
import pathlib

ALLOWLIST = pathlib.Path(__file__).with_name("skip_allowlist.txt")


def on_ci():
    """CI is set and not "0"/"false" (CI services set CI=true; .ci/run sets CI=1)."""
    value = os.environ.get("CI", "")
    return value not in ("", "0", "false")


def load_allowlist(path=ALLOWLIST):
    """[(test glob, reason substring)] from lines 'Suite.Case-glob | text the reason contains'."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test, sep, reason = (part.strip() for part in line.partition("|"))
        if not sep or not test or not reason:
            raise SystemExit(f"{path}:{number}: expected 'Suite.Case | reason text', got {line!r}")
        entries.append((test, reason))
    return entries


def allowed(entries, test, reason):
    return any(fnmatch.fnmatchcase(test, pattern) and text in reason for pattern, text in entries)
