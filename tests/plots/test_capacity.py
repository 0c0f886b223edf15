"""capacity.md on synthetic sweeps of exactly known latency, and `kreg compare`'s verdicts in it.

The records are a real netns/live record (tests/fixtures/runs/report-default-4k) with its
latencies replaced, so the shape is what kreg writes.
Run from the repository root: python3 -m unittest discover -s tests/plots
"""

import json
import os
import tempfile
import unittest

from report_helpers import FIXTURE_RUN, markdown_images, png_files, read, run_report

REAL = os.path.join(FIXTURE_RUN, "jobs", "5.10.0-32-cloud-amd64", "netns__live.json")
XS = [0, 250, 500, 1000]
US = 1000.0
# metric -> median ns at each x in XS
LATENCY = {
    "sysctl_ipv6_disable_ipv6_open": [10 * US + 1 * US * x for x in XS],    # +1 µs per netns
    "sysctl_core_somaxconn_open": [10 * US + 0.01 * US * x for x in XS],     # +10 µs per 1,000
    "sysctl_ipv4_forwarding_open": [14 * US] * 4,                            # the flat control
    "sysctl_ipv6_disable_ipv6_stat": [10 * US, 30 * US, 12 * US, 32 * US],   # noise, slope n.s.
    "sysctl_core_somaxconn_stat": [2000 * US, 2001 * US, 2002 * US, 2003 * US],  # above 1 ms at 0
    "sysctl_ipv4_forwarding_stat": [20 * US - 0.01 * US * x for x in XS],    # falling
}


def netns_record(release, scale=1.0):
    with open(REAL, encoding="utf-8") as f:
        record = json.load(f)
    record["kernel"]["release"] = release
    record["unit"]["kernel_label"] = release
    for point, x in zip(record["points"], XS):
        assert point["created"] == x
        base = point["metrics"]["timer_overhead"]
        point["metrics"] = {"timer_overhead": base}
        for name, values in LATENCY.items():
            median = values[XS.index(x)] * scale
            point["metrics"][name] = dict(base, median_ns=median, min_ns=median * 0.9, p90_ns=median * 1.2,
                                          p99_ns=median * 2, max_ns=median * 3, mean_ns=median * 1.1,
                                          path="/proc/sys/" + name, op=name.rsplit("_", 1)[1])
    return record


def cells(capacity, kernel, metric):
    part = capacity.split(f"### {kernel}", 1)[1].split("\n### ", 1)[0]
    line = next(l for l in part.splitlines() if f"| `{metric}` |" in l)
    return [c.strip() for c in line.strip().strip("|").split("|")]


class CapacityTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="kreg-capacity-test-")
        self.run_dir = os.path.join(self._tmp.name, "run")
        self.out = os.path.join(self._tmp.name, "out")
        for release, scale in (("6.1.0-50-cloud-amd64", 1.0), ("5.10.0-32-cloud-amd64", 2.0)):
            os.makedirs(os.path.join(self.run_dir, "jobs", release))
            with open(os.path.join(self.run_dir, "jobs", release, "netns__live.json"), "w", encoding="utf-8") as f:
                json.dump(netns_record(release, scale), f)

    def tearDown(self):
        self._tmp.cleanup()

    def report(self, *extra):
        proc = run_report(self.run_dir, self.out, *extra)
        self.assertEqual(proc.returncode, 0, f"report.py failed:\n{proc.stdout}\n{proc.stderr}")
        return read(os.path.join(self.out, "capacity.md"))

    def test_thresholds(self):
        capacity = self.report()
        k = "6.1.0-50-cloud-amd64"
        # 10 µs + 1 µs per netns: 1 ms at 990 (measured up to 1,000), 10 ms at 9,990, 100 ms at ~100,000
        self.assertEqual(cells(capacity, k, "sysctl_ipv6_disable_ipv6_open")[5:9],
                         ["+1,000", "990 (in the measured range)", "9,990 (extrapolated ×10)",
                          "100,000 (extrapolated ×100)"])
        # +10 µs per 1,000: 1 ms at 99,000 (×99), 10 ms beyond 100× the sweep
        row = cells(capacity, k, "sysctl_core_somaxconn_open")
        self.assertEqual(row[6], "99,000 (extrapolated ×99)")
        self.assertTrue(row[7].startswith("> 100× the sweep (fit: 1e+06"), row[7])
        self.assertEqual(cells(capacity, k, "sysctl_ipv4_forwarding_open")[6:9], ["never"] * 3)
        noisy = cells(capacity, k, "sysctl_ipv6_disable_ipv6_stat")
        self.assertIn("n.s., t = ", noisy[5])
        self.assertEqual(noisy[6:9], ["never (n.s.)"] * 3)
        self.assertEqual(cells(capacity, k, "sysctl_core_somaxconn_stat")[6], "0 (already above)")
        self.assertEqual(cells(capacity, k, "sysctl_ipv4_forwarding_stat")[5:7], ["-10 (flat or falling)", "never"])
        # twice as slow: 20 µs + 2 µs per netns crosses 1 ms at 490
        self.assertEqual(cells(capacity, "5.10.0-32-cloud-amd64", "sysctl_ipv6_disable_ipv6_open")[6],
                         "490 (in the measured range)")
        glance = next(l for l in capacity.splitlines() if l.startswith("| 5.10.0-32-cloud-amd64 (TCG) |"))
        self.assertIn("| 0 (already above): `sysctl_core_somaxconn_stat` |", glance)
        # versions sort numerically: 5.10 before 6.1
        self.assertLess(capacity.index("### 5.10.0-32"), capacity.index("### 6.1.0-50"))
        self.assertEqual(sorted(markdown_images(capacity)), png_files(self.out))

    def test_comparison_verdicts_from_the_run_directory(self):
        compare = os.path.join(self.run_dir, "compare")
        os.makedirs(compare)
        with open(os.path.join(compare, "summary.md"), "w", encoding="utf-8") as f:
            f.write("# kreg compare: 5.10 vs 6.1\n\n| metric | verdict |\n|---|---|\n"
                    "| sysctl_ipv6_disable_ipv6_open | **regression** |\n\n```\n# not a heading\n```\n")
        with open(os.path.join(compare, "junit.xml"), "w", encoding="utf-8") as f:
            f.write('<testsuite tests="2"><testcase name="a"/><testcase name="b"><failure message="x"/></testcase>'
                    "</testsuite>")
        capacity = self.report()
        section = capacity.split("## Comparison verdicts", 1)[1].split("\n## ", 1)[0]
        self.assertIn("From `compare/summary.md`", section)
        self.assertIn("### kreg compare: 5.10 vs 6.1", section)  # its headings go below ours
        self.assertIn("| sysctl_ipv6_disable_ipv6_open | **regression** |", section)
        self.assertIn("\n# not a heading\n", section)
        self.assertIn("2 check(s), 1 failed", section)
        self.assertNotIn("No comparison run yet", capacity)
        html = read(os.path.join(self.out, "report.html"))
        self.assertIn("<strong>regression</strong>", html)

    def test_comparison_file_given_and_missing(self):
        given = os.path.join(self._tmp.name, "elsewhere.md")
        with open(given, "w", encoding="utf-8") as f:
            f.write("All 12 checks passed: no regression.\n")
        capacity = self.report("--compare", given)
        self.assertIn("All 12 checks passed: no regression.", capacity)
        proc = run_report(self.run_dir, self.out, "--compare", given + ".absent")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("--compare", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    unittest.main()
