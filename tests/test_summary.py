#!/usr/bin/env python3
"""What a ctest run ran, from the records tests/run_test.py wrote: .ci/run's closing words.

    test_summary.py BUILD_DIR

Prints how many tests ran, passed, failed and skipped, each skip with its reason,
and fails (exit 1) when
  - a test failed, or an entry reported a problem (ran no test; a skip CI may not take),
  - a skip is not in tests/skip_allowlist.txt,
  - a ctest entry left no record (it did not run, or it bypasses run_test.py),
  - a gtest case of a test binary is run by no ctest entry (a filter that lost it).
The last line is "tests: N passed, N failed, N skipped".
"""
import json
import pathlib
import subprocess
import sys

from skip_allowlist import allowed, load_allowlist


def ctest_entries(build):
    out = subprocess.run(["ctest", "--test-dir", str(build), "--show-only=json-v1"], capture_output=True, text=True,
                         check=True).stdout
    return [t["name"] for t in json.loads(out).get("tests", [])]


def listed_tests(binary):
    """Every non-disabled test of a gtest binary, as Suite.Case (parameterized: Prefix/Suite.Case/N)."""
    out = subprocess.run([binary, "--gtest_list_tests"], capture_output=True, text=True, check=True).stdout
    names, suite = set(), ""
    for line in out.splitlines():
        text = line.split("#", 1)[0].rstrip()
        if not text:
            continue
        if not line.startswith(" "):
            suite = text
        elif "DISABLED_" not in suite + text:
            names.add(suite + text.strip())
    return names


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build")
    results = build / "test-results"
    records = {}
    for path in sorted(results.glob("*.json")):
        record = json.loads(path.read_text())
        records[record["name"]] = record
    problems = []
    for name in ctest_entries(build):
        if name not in records:
            problems.append(f"ctest entry {name} left no record in {results}: it did not run, or it bypasses "
                            "tests/run_test.py (add it with kreg_add_test in tests/CMakeLists.txt)")
    allowlist = load_allowlist()
    ran = passed = failed = 0
    skips = []
    run_by_binary = {}
    for name, r in records.items():
        ran += r["ran"]
        passed += len(r["passed"])
        failed += len(r["failed"])
        problems += r.get("problems", [])
        for s in r["skipped"]:
            skips.append((name, s))
        if r["kind"] == "gtest":
            seen = run_by_binary.setdefault(r["command"][0], set())
            seen.update(t if isinstance(t, str) else t["test"] for t in r["passed"])
            seen.update(t["test"] for t in r["failed"] + r["skipped"])
    for binary, seen in sorted(run_by_binary.items()):
        for test in sorted(listed_tests(binary) - seen):
            problems.append(f"{test} (in {pathlib.Path(binary).name}) is run by no ctest entry: "
                            "its --gtest_filter lost it")

    print(f"kreg tests: {ran} ran in {len(records)} ctest entries: {passed} passed, {failed} failed, "
          f"{len(skips)} skipped")
    for name, r in records.items():
        for f in r["failed"]:
            print(f"  FAILED  {f['test']} ({name}): {f['reason']}")
    for name, s in skips:
        ok = allowed(allowlist, s["test"], s["reason"])
        print(f"  SKIPPED {s['test']} ({name}): {s['reason']}" + (" [allowed]" if ok else " [NOT ALLOWED]"))
        if not ok:
            problems.append(f"{s['test']} skipped outside tests/skip_allowlist.txt: {s['reason']}")
    for p in dict.fromkeys(problems):  # once each, in order
        print(f"  PROBLEM {p}")
    print(f"tests: {passed} passed, {failed} failed, {len(skips)} skipped")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
