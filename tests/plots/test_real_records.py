"""kreg report on real records (tests/fixtures/runs/report-default-4k: 5.10 and 7.3 from a real
default run under TCG), and the HTML page rendered by headless Chromium.

Run from the repository root: python3 -m unittest discover -s tests/plots
"""

import glob
import html
import json
import math
import os
import re
import tempfile
import unittest

from report_helpers import (FIRST_SCREEN_CHECK, FIXTURE_RUN, IMAGE_CHECK, chromium, chromium_run, kreg_findings,
                            markdown_images, png_files, png_size, read, run_report)

KERNELS = {"5.10.0-32-cloud-amd64": "5.10.223-1", "7.3.4+deb13-cloud-amd64": "7.3.4-1~bpo13+1"}
TCG_SENTENCE = "TCG timings compare only with TCG timings."


def fixture_record(kernel, name):
    with open(os.path.join(FIXTURE_RUN, "jobs", kernel, name), encoding="utf-8") as f:
        return json.load(f)


def least_squares(points):
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return my - b * mx, b


def three_figures(count):
    if count < 1000:
        return int(round(count))
    return int(round(count, -(int(math.floor(math.log10(count))) - 2)))


def table_row(markdown, section, *first_cells):
    """The cells of the first table row under '### section...' whose leading cells are first_cells."""
    part = markdown.split(f"### {section}", 1)[1].split("\n### ", 1)[0]
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[:len(first_cells)] == list(first_cells):
            return cells
    raise AssertionError(f"no row {first_cells} under ### {section}")


class RealRecordsReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="kreg-report-real-")
        cls.tmp = cls._tmp.name
        cls.out = os.path.join(cls.tmp, "report")
        cls.findings = json.loads(read(kreg_findings(FIXTURE_RUN, os.path.join(cls.tmp, "findings.json"))))
        proc = run_report(FIXTURE_RUN, cls.out, "--findings", os.path.join(cls.tmp, "findings.json"))
        if proc.returncode != 0:
            raise AssertionError(f"report.py failed on {FIXTURE_RUN}:\n{proc.stdout}\n{proc.stderr}")
        cls.listed = proc.stdout.split()
        cls.capacity = read(os.path.join(cls.out, "capacity.md"))
        cls.summary = read(os.path.join(cls.out, "summary.md"))
        cls.html_path = os.path.join(cls.out, "report.html")
        cls.html = read(cls.html_path)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_every_plot_is_a_nonempty_png_named_in_every_report(self):
        pngs = png_files(self.out)
        # latency figures for all five job families, and the three object figures
        for family in ("memcg-churn-tmpfs-4096", "netns-live", "netns-dead", "pause-loop-fail-fast",
                       "dentry-negative-lookup"):
            self.assertTrue(any(p.startswith(f"latency__{family}__") for p in pngs), family)
        for name in ("dying_vs_churned.png", "kernel_memory_per_object.png", "sysctl_vs_ipv4_control.png",
                     "latency__netns-live__sysctl_ipv6_disable_ipv6_open.png",
                     "latency__memcg-churn-tmpfs-4096__root_memory_stat_read.png"):
            self.assertIn(name, pngs)
        self.assertNotIn("latency__netns-live__timer_overhead.png", pngs)
        for name in pngs:
            path = os.path.join(self.out, name)
            self.assertGreater(os.path.getsize(path), 10000, name)
            width, height = png_size(path)
            self.assertGreater(min(width, height), 300, name)
            self.assertIn(path, self.listed)
            self.assertIn(f'data-file="{name}"', self.html, name)
        self.assertEqual(sorted(markdown_images(self.capacity)), pngs)
        self.assertEqual(sorted(markdown_images(self.summary)), pngs)
        self.assertEqual(self.html.count("data:image/png;base64,"), len(pngs))

    def test_reports_state_kernels_accelerator_vcpus_memory_and_tcg_rule(self):
        for text in (self.capacity, self.summary, self.html):
            for release, version in KERNELS.items():
                self.assertIn(release, text)
                self.assertIn(version, text)
            self.assertIn(TCG_SENTENCE, text)
            self.assertIn("TCG", text)
            self.assertIn("1024–1293 MiB", text)  # netns/live's VM was sized up
        line = next(l for l in self.capacity.splitlines() if l.startswith("| 5.10.0-32-cloud-amd64 | linux-image"))
        self.assertEqual([c.strip() for c in line.strip("|").split("|")][2:5], ["TCG", "1", "1024–1293 MiB"])

    def test_thresholds_follow_the_least_squares_fit(self):
        record = fixture_record("5.10.0-32-cloud-amd64", "netns__live.json")
        metric = "sysctl_ipv6_disable_ipv6_open"
        points = [(p["created"], p["metrics"][metric]["median_ns"]) for p in record["points"]]
        a, b = least_squares(points)
        row = table_row(self.capacity, "5.10.0-32-cloud-amd64", "netns/live", "–", f"`{metric}`")
        self.assertEqual(row[3], "0–1,000 netns")
        self.assertEqual(row[5], f"{b:+.3g}")  # ns per netns = µs per 1,000 netns
        for cell, threshold in zip(row[6:9], (1e6, 1e7, 1e8)):
            count = (threshold - a) / b
            factor = count / 1000
            if factor > 100:
                self.assertTrue(cell.startswith("> 100× the sweep"), cell)
            else:
                self.assertTrue(cell.startswith(f"{three_figures(count):,} (extrapolated ×"), cell)
        # the ipv4 control stays flat: never; a falling or insignificant slope says so
        control = table_row(self.capacity, "5.10.0-32-cloud-amd64", "netns/live", "–", "`sysctl_ipv4_forwarding_open`")
        self.assertEqual(control[6:9], ["never"] * 3)
        self.assertIn("flat or falling", control[5])
        glance = table_row(self.capacity.replace("## At a glance", "### At a glance"), "At a glance",
                           "5.10.0-32-cloud-amd64 (TCG)")
        self.assertRegex(" ".join(glance), r"\d,\d{3} \(extrapolated ×[\d.]+\): `sysctl_")

    def test_skipped_and_failed_units_are_listed_per_kernel(self):
        part = self.capacity.split("### 7.3.4+deb13-cloud-amd64", 1)[1].split("\n## ", 1)[0]
        self.assertIn("- `memcg-churn/tmpfs-4096` v1: **skipped**: cgroup v1 memory controller unavailable", part)
        self.assertIn("- `pause-loop/fail-fast` v2: **failed**", part)
        glance = table_row(self.capacity.replace("## At a glance", "### At a glance"), "At a glance",
                           "7.3.4+deb13-cloud-amd64 (TCG)")
        self.assertEqual(glance[-1], "not run")  # pause-loop: v1 skipped, v2 failed on 7.3

    def test_kernel_memory_per_object(self):
        for kernel in KERNELS:
            per = fixture_record(kernel, "netns__live.json")["per_object"]
            want = (per["meminfo_slab_bytes"] + per["meminfo_percpu_bytes"]) / 1024
            row = [c.strip() for c in next(l for l in self.capacity.splitlines()
                                           if l.startswith(f"| {kernel} | netns/live |")).strip("|").split("|")]
            self.assertEqual(row[9], f"{want:,.2f}")
            self.assertEqual(row[5], "1,000 live netns")
        # 7.3 frees dying memcgs at once: no per-dying-memcg figure is made up
        row = next(l for l in self.capacity.splitlines() if l.startswith("| 7.3.4+deb13-cloud-amd64 | memcg-churn"))
        self.assertIn("n/a: at most", row)
        self.assertIn("**13.8", self.summary.split("memcg-churn/tmpfs-4096/v1 — 5.10", 1)[1][:3000])

    def test_without_comparison_says_how_to_get_one(self):
        self.assertIn("No comparison run yet: `kreg compare", self.capacity)
        self.assertIn("No comparison run yet: <code>kreg compare", self.html)

    def test_html_renders_in_headless_chromium(self):
        if not chromium():
            self.fail("chromium not found: install the Debian package chromium (./setup.sh does)")
        self.assertTrue(self.html.startswith("<!DOCTYPE html>"))
        self.assertNotRegex(self.html, r'(src|href)="(https?:|file:|//)')  # self-contained
        pngs = png_files(self.out)
        check = os.path.join(self.tmp, "check.html")
        with open(check, "w", encoding="utf-8") as f:
            f.write(self.html.replace("</body>", IMAGE_CHECK + "</body>"))
        proc = chromium_run(["--virtual-time-budget=10000", "--dump-dom", "file://" + check], self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        body = re.search(r"<body([^>]*)>", proc.stdout)
        self.assertIsNotNone(body, proc.stdout[:500])
        attrs = dict(re.findall(r'(data-[a-z-]+)="(\d+)"', body.group(1)))
        self.assertEqual(attrs.get("data-images"), str(len(pngs)), attrs)
        self.assertEqual(attrs.get("data-images-ok"), str(len(pngs)), "an embedded PNG did not decode")
        self.assertGreaterEqual(int(attrs.get("data-tables", 0)), 5)
        dom = html.unescape(proc.stdout)
        for text in ("kreg capacity report", "At a glance", "Kernel memory per object", TCG_SENTENCE,
                     "5.10.0-32-cloud-amd64", "7.3.4+deb13-cloud-amd64"):
            self.assertIn(text, dom)

        shots = {}
        for name, page in (("report", os.path.join(self.out, "report.html")), ("blank", None)):
            if page is None:
                page = os.path.join(self.tmp, "blank.html")
                with open(page, "w", encoding="utf-8") as f:
                    f.write("<!DOCTYPE html><html><body></body></html>")
            shot = os.path.join(self.tmp, f"{name}.png")
            proc = chromium_run([f"--screenshot={shot}", "--window-size=1200,3000", "file://" + page], self.tmp)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            self.assertEqual(png_size(shot), (1200, 3000))
            shots[name] = os.path.getsize(shot)
        # Tables, text and plots make a far less compressible screenshot than an empty page.
        self.assertGreater(shots["report"], 4 * shots["blank"], shots)


    def test_opens_with_the_findings_then_their_plots_then_the_tables(self):
        items = self.findings["findings"]
        self.assertGreaterEqual(len(items), 3)
        self.assertEqual(items[0]["kind"], "held")  # 7.3 keeps 2 of 2,000 dying memcgs, 5.10 all of them
        text = self.capacity
        first = text.index(items[0]["sentence"].replace("|", "\\|"))
        self.assertLess(text.index("## Findings"), first)
        # every finding's sentence is on the page, in rank order
        at = [text.index(f["sentence"].replace("|", "\\|")) for f in items]
        self.assertEqual(at, sorted(at))
        # the lead plot is the first finding's, then the plots behind the others, then the tables
        lead = markdown_images(text)[0]
        self.assertEqual(lead, items[0]["evidence"]["plot"])
        self.assertLess(text.index(f"]({lead})"), text.index("## Kernels and machine"))
        self.assertLess(text.index("## Kernels and machine"), text.index("### 5.10.0-32-cloud-amd64"))
        # long tables fold
        self.assertRegex(text, r"<details><summary>Per kernel: objects to 1, 10 and 100 ms[^\n]*</summary>\n\n"
                               r"Per kernel, job family[^\n]*\n\n### 5\.10")
        self.assertIn('<details class="evidence"><summary>evidence</summary>', self.html)

    def test_first_screen_holds_the_findings_and_a_plot(self):
        """The page in headless Chromium at 1400x900: the first screen shows findings and a whole plot."""
        if not chromium():
            self.fail("chromium not found: install the Debian package chromium (./setup.sh does)")
        check = os.path.join(self.tmp, "first-screen.html")
        with open(check, "w", encoding="utf-8") as f:
            f.write(self.html.replace("</body>", FIRST_SCREEN_CHECK + "</body>"))
        proc = chromium_run(["--window-size=1400,900", "--virtual-time-budget=10000", "--dump-dom",
                             "file://" + check], self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        body = re.search(r"<body([^>]*)>", proc.stdout)
        self.assertIsNotNone(body, proc.stdout[:500])
        attrs = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(1)))
        self.assertEqual(attrs.get("data-viewport"), "1400x900", attrs)
        self.assertGreater(int(attrs["data-first-finding-bottom"]), 0, attrs)
        self.assertLessEqual(int(attrs["data-first-finding-bottom"]), 900, attrs)
        self.assertGreaterEqual(int(attrs["data-findings-shown"]), 3, attrs)
        self.assertGreaterEqual(int(attrs["data-plots-in-view"]), 1, attrs)
        shot = os.path.join(self.tmp, "first-screen.png")
        proc = chromium_run([f"--screenshot={shot}", "--window-size=1400,900", "file://" + self.html_path], self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertEqual(png_size(shot), (1400, 900))


class FixtureRunTest(unittest.TestCase):
    def test_fixture_is_small_and_real(self):
        files = glob.glob(os.path.join(FIXTURE_RUN, "jobs", "*", "*.json"))
        self.assertEqual(len(files), 14)
        self.assertLess(sum(os.path.getsize(f) for f in files), 250000)
        for path in files:
            record = json.loads(read(path))
            self.assertEqual(record["machine"]["accelerator"], "tcg")
            self.assertIn(record["status"], ("ok", "skipped", "failed"))


if __name__ == "__main__":
    unittest.main()
