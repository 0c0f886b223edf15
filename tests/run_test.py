#!/usr/bin/env python3
"""Runs one ctest entry and records what it ran: every ctest entry goes through here.

    run_test.py --name NAME --results DIR gtest BINARY [GTEST ARGS...]
    run_test.py --name NAME --results DIR unittest START_DIR
    run_test.py --name NAME --results DIR check COMMAND [ARGS...]

gtest: the binary writes its XML report (the one gtest format that keeps a skip's
message); unittest: Python's unittest discovery under START_DIR; check: a command
that is one test (exit 0 passes). Each writes DIR/NAME.json: what ran, passed,
failed and skipped, with every skip's reason, which .ci/run sums up
(tests/test_summary.py).

It fails the entry when no test ran (a --gtest_filter that matches nothing after a
rename exits 0 in gtest 1.12), and, when CI is set, on a skip that
tests/skip_allowlist.txt does not allow. An entry whose every test skipped exits
77, which ctest shows as skipped (SKIP_RETURN_CODE); without this, ctest 3.25
reports a skipped gtest case as passed.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

from skip_allowlist import allowed, load_allowlist, on_ci

SKIP_EXIT = 77


def run_gtest(name, results, argv):
    xml_path = results / f"{name}.xml"
    xml_path.unlink(missing_ok=True)
    rc = subprocess.call([*argv, f"--gtest_output=xml:{xml_path}"])
    outcome = {"exit_code": rc, "ran": 0, "passed": [], "failed": [], "skipped": []}
    if not xml_path.exists():
        outcome["failed"].append({"test": name, "reason": f"{argv[0]} exited {rc} without its XML report"})
        return outcome
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        if case.get("status") != "run":
            continue  # DISABLED_ or filtered out
        test = f"{case.get('classname')}.{case.get('name')}"
        outcome["ran"] += 1
        failure = case.find("failure")
        skipped = case.find("skipped")
        if failure is not None:
            lines = failure.get("message", "").splitlines()
            outcome["failed"].append({"test": test, "reason": " ".join(lines[:2])})
        elif case.get("result") == "skipped" or skipped is not None:
            message = skipped.get("message", "") if skipped is not None else ""
            # gtest's message is "file:line\nreason": keep the reason.
            lines = [line for line in message.splitlines() if line.strip()]
            reason = lines[-1] if lines else "(no reason given)"
            outcome["skipped"].append({"test": test, "reason": reason})
        else:
            outcome["passed"].append(test)
    return outcome


class _Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test.id())


def run_unittest(start_dir):
    suite = unittest.defaultTestLoader.discover(start_dir)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_Recorder)
    result = runner.run(suite)
    failed = [{"test": t.id(), "reason": (trace.strip().splitlines() or [""])[-1]}
              for t, trace in result.failures + result.errors]
    failed += [{"test": t.id(), "reason": "unexpected success"} for t in result.unexpectedSuccesses]
    return {"exit_code": 0 if result.wasSuccessful() else 1, "ran": result.testsRun, "passed": result.passed,
            "failed": failed, "skipped": [{"test": t.id(), "reason": why} for t, why in result.skipped]}


def run_check(name, argv):
    rc = subprocess.call(argv)
    outcome = {"exit_code": rc, "ran": 1, "passed": [], "failed": [], "skipped": []}
    (outcome["passed"] if rc == 0 else outcome["failed"]).append(
        {"test": name, "reason": f"exit {rc}"} if rc else name)
    return outcome


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--results", required=True, type=pathlib.Path)
    parser.add_argument("kind", choices=["gtest", "unittest", "check"])
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    if args.kind == "gtest":
        outcome = run_gtest(args.name, args.results, args.argv)
    elif args.kind == "unittest":
        outcome = run_unittest(args.argv[0])
    else:
        outcome = run_check(args.name, args.argv)
    outcome.update(name=args.name, kind=args.kind, command=args.argv)

    problems = []
    if outcome["ran"] == 0:
        problems.append(f"run_test: {args.name} ran no test ({' '.join(args.argv)}): "
                        "a filter that matches nothing, or a test binary without tests")
    allowlist = load_allowlist()
    for skip in outcome["skipped"]:
        ok = allowed(allowlist, skip["test"], skip["reason"])
        skip["allowed"] = ok
        print(f"run_test: SKIPPED {skip['test']}: {skip['reason']}" + ("" if ok else " (not in tests/skip_allowlist.txt)"))
        if on_ci() and not ok:
            problems.append(f"run_test: CI is set and {skip['test']} skipped ({skip['reason']}); "
                            "only tests/skip_allowlist.txt's skips may happen on CI")
    outcome["problems"] = problems
    (args.results / f"{args.name}.json").write_text(json.dumps(outcome, indent=1) + "\n")
    for p in problems:
        print(p)
    if outcome["exit_code"] != 0:
        return outcome["exit_code"]
    if problems:
        return 1
    if outcome["skipped"] and len(outcome["skipped"]) == outcome["ran"]:
        return SKIP_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
