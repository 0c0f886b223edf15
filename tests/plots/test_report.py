"""plots/report.py on synthetic run directories shaped like a real `kreg run` output.

Run from the repository root: python3 -m unittest discover -s tests/plots
"""

import copy
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(REPO, "plots", "report.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# One latency figure per (job family, metric), then the object plots.
PNGS = ["latency__memcg-churn-tmpfs-4096__root_memory_numa_stat_read.png",
        "latency__memcg-churn-tmpfs-4096__root_memory_stat_read.png",
        "dying_vs_churned.png", "kernel_memory_per_object.png", "sysctl_vs_ipv4_control.png"]
REPORTS = ["capacity.md", "summary.md", "report.html"]
TCG_SENTENCE = "TCG timings compare only with TCG timings."  # in every report, whatever the accelerator
TCG_RUN_SENTENCE = "This run's guests ran under TCG"
MACHINE = {
    "accelerator": "tcg",
    "accelerator_reason": "KVM unusable: QEMU under KVM exited at once",
    "host_cpus": 2, "memory_mib": 1024, "vcpus": 2,
    "qemu": "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
}
KERNEL = {
    "cmdline": "console=ttyS0 panic=-1 oops=panic rdinit=/init loglevel=4",
    "config_sha256": "6d45c8c8", "image_sha256": "6aa38b0c", "machine": "x86_64", "nprocs": 2,
    "package": "linux-image-6.1.0-56-cloud-amd64-unsigned", "package_version": "6.1.192-2",
    "release": "6.1.0-56-cloud-amd64", "source": "debian:bookworm linux-image-6.1.0-*-cloud-amd64-unsigned (newest)",
    "version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)",
}
# The shape kreg writes today: generator parameters under "params", the
# sweep's x as "created", the object named by the record.
JOB = {"cgroup_mode": "v1", "job_id": "memcg-churn/v1/tmpfs-4096",
       "params": {"cgroup_mode": "v1", "page_cache": "tmpfs", "page_cache_bytes": 4096},
       "samples": 30, "scenario": "memcg-churn", "targets": [0, 50, 100, 200], "warmup": 3}
# (target, churned, dying, num_cgroups): at 200 some memcgs were freed, so dying < churned.
SWEEP = [(0, 0, 0, 2), (50, 50, 50, 52), (100, 100, 97, 99), (200, 200, 150, 152)]
KIB_PER_DYING = 20  # Slab + Percpu grow by exactly this per dying memcg


def metric(median_ns, path, bytes_read):
    return {"bytes": float(bytes_read), "min_ns": median_ns * 0.8, "median_ns": median_ns, "p90_ns": median_ns * 2.0,
            "p99_ns": median_ns * 6.0, "max_ns": median_ns * 6.0, "mean_ns": median_ns * 1.5,
            "path": path, "samples": 30}


def point(target, churned, dying, num_cgroups):
    return {
        "step_s": 0.2, "created": churned, "target": target,
        "counters": {"meminfo_memfree_kb": 930808, "meminfo_percpu_kb": 512 + 4 * dying,
                     "meminfo_shmem_kb": 15912, "meminfo_slab_kb": 15232 + (KIB_PER_DYING - 4) * dying,
                     "meminfo_sunreclaim_kb": 6188 + 10 * dying},
        "measured": {"memcg_dying": dying, "memcg_dying_source": "proc_cgroups",
                     "memcg_num_cgroups": num_cgroups, "memcg_visible": 2},
        "metrics": {
            "root_memory_numa_stat_read": metric(57295.0 + 300.0 * dying, "/sys/fs/cgroup/memory/memory.numa_stat", 188),
            "root_memory_stat_read": metric(64480.0 + 100.0 * dying, "/sys/fs/cgroup/memory/memory.stat", 777),
        },
        "gbench": {"benchmarks": [{"aggregate_name": "median", "name": "root_memory_stat_read/manual_time_median",
                                   "real_time": 64480.0, "run_type": "aggregate", "time_unit": "ns"}],
                   "context": {"num_cpus": 2}},
    }


def record(accelerator="tcg", release=None, sweep=SWEEP, status="ok", error=None):
    kernel = dict(KERNEL, release=release or KERNEL["release"])
    return {
        "baseline": {"memcg_dying": 0, "memcg_dying_source": "proc_cgroups", "memcg_num_cgroups": 2, "memcg_visible": 2},
        "error": error, "job": copy.deepcopy(JOB), "job_id": JOB["job_id"], "job_s": 0.89, "kernel": kernel,
        "object": "memcgs", "created": sweep[-1][1] if sweep else 0,
        "machine": dict(MACHINE, accelerator=accelerator), "points": [point(*p) for p in sweep],
        "run_id": "synthetic", "schema": "kreg.job", "schema_version": 1, "status": status,
        "timing": {"boot_to_hello_s": 2.5, "job_s": 0.89},
    }


def run_json(accelerator="tcg", failures=()):
    return {"failures": list(failures), "jobs": [copy.deepcopy(JOB)], "kernel": dict(KERNEL),
            "machine": dict(MACHINE, accelerator=accelerator), "run_id": "synthetic", "schema": "kreg.run",
            "schema_version": 1, "status": "ok" if not failures else "failed", "suite": "smoke"}


class ReportTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="kreg-report-test-")
        self.tmp = self._tmp.name
        self.run_dir = os.path.join(self.tmp, "run")
        self.out = os.path.join(self.tmp, "out")
        os.makedirs(os.path.join(self.run_dir, "jobs"))

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, rel, data):
        with open(os.path.join(self.run_dir, rel), "w", encoding="utf-8") as f:
            f.write(data if isinstance(data, str) else json.dumps(data, indent=1))

    def report(self):
        return subprocess.run([sys.executable, REPORT, self.run_dir, "--out", self.out],
                              capture_output=True, text=True, timeout=300)

    def report_ok(self):
        proc = self.report()
        self.assertEqual(proc.returncode, 0, f"report.py failed:\n{proc.stdout}\n{proc.stderr}")
        # Records of today's shape must reach the plots, not empty axes.
        self.assertNotIn("warning", proc.stderr)
        with open(os.path.join(self.out, "summary.md"), encoding="utf-8") as f:
            return proc, f.read()

    def assert_fails(self, *needles):
        proc = self.report()
        self.assertNotEqual(proc.returncode, 0)
        message = proc.stderr.strip()
        self.assertEqual(len(message.splitlines()), 1, f"want a one-line message, got:\n{proc.stderr}")
        self.assertNotIn("Traceback", message)
        self.assertIn(self.run_dir, message)
        for needle in needles:
            self.assertIn(needle, message)

    def table_rows(self, summary):
        """Rows of the job tables whose first cell is a number: lists of cell strings."""
        rows = []
        for line in summary.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells[0].isdigit():
                rows.append(cells)
        return rows

    def test_tcg_run_writes_pngs_and_summary(self):
        self.write("run.json", run_json())
        self.write("jobs/memcg-churn__v1__tmpfs-4096.json", record())
        proc, summary = self.report_ok()

        listed = proc.stdout.split()
        for name in PNGS + REPORTS:
            self.assertIn(os.path.join(self.out, name), listed)
        self.assertEqual(sorted(f for f in os.listdir(self.out) if f.endswith(".png")), sorted(PNGS))
        for name in PNGS:
            with open(os.path.join(self.out, name), "rb") as f:
                data = f.read()
            self.assertGreater(len(data), 1000, name)
            self.assertEqual(data[:8], PNG_SIGNATURE, name)
            width, height = struct.unpack(">II", data[16:24])  # IHDR
            self.assertGreater(min(width, height), 300, name)

        linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", summary)
        self.assertEqual(sorted(linked), sorted(PNGS))
        self.assertIn(TCG_SENTENCE, summary)
        self.assertIn(TCG_RUN_SENTENCE, summary)
        self.assertIn("# kreg report: run synthetic", summary)
        for text in ("6.1.0-56-cloud-amd64", "linux-image-6.1.0-56-cloud-amd64-unsigned 6.1.192-2", "TCG",
                     "1024 MiB", "QEMU emulator version 7.2.22"):
            self.assertIn(text, summary)

        rows = self.table_rows(summary)
        self.assertEqual(len(rows), len(SWEEP))
        for cells, (target, churned, dying, _) in zip(rows, SWEEP):
            self.assertEqual(cells[:3], [str(target), str(churned), str(dying)])
            want = f"{100.0 * dying / churned:.1f}" if churned else "–"
            self.assertEqual(cells[3], want)
            numa = point(target, churned, dying, 0)["metrics"]["root_memory_numa_stat_read"]
            self.assertEqual(cells[4], " / ".join(f"{numa[k] / 1000:.1f}" for k in ("median_ns", "p90_ns", "p99_ns")))
        self.assertEqual(rows[2][3], "97.0")  # dying < churned shows up, not a copy of churned

        self.assertIn(f"Kernel memory per dying memcg: **{KIB_PER_DYING:.2f} KiB**", summary)
        self.assertIn("None: every job ok", summary)

    def test_kvm_run_still_states_the_tcg_rule(self):
        self.write("run.json", run_json("kvm"))
        self.write("jobs/a.json", record("kvm"))
        _, summary = self.report_ok()
        self.assertIn(TCG_SENTENCE, summary)
        self.assertNotIn(TCG_RUN_SENTENCE, summary)
        self.assertIn("This run used KVM", summary)
        self.assertIn("| KVM |", summary)

    def test_two_kernels_each_named(self):
        self.write("run.json", run_json())
        self.write("jobs/a.json", record("kvm", release="5.10.0-32-cloud-amd64"))
        self.write("jobs/b.json", record("tcg"))
        _, summary = self.report_ok()
        self.assertIn("5.10.0-32-cloud-amd64 (KVM)", summary)
        self.assertIn("6.1.0-56-cloud-amd64 (TCG)", summary)
        self.assertIn(TCG_SENTENCE, summary)  # any tcg record is enough
        self.assertEqual(len(self.table_rows(summary)), 2 * len(SWEEP))

    def test_partial_job_and_vm_failure_are_reported(self):
        tail = "[    9.1] Out of memory: Killed process 1 (kreg-agent)\n```\nend"
        self.write("run.json", run_json(failures=[{"vm": "6.1.0-56-cloud-amd64", "reason": "guest panicked",
                                                   "console_tail": tail}]))
        self.write("jobs/a.json", record(sweep=SWEEP[:2], status="partial", error="mkdir: No space left on device"))
        _, summary = self.report_ok()
        self.assertIn("status **partial**", summary)
        self.assertIn("mkdir: No space left on device", summary)
        self.assertIn("guest panicked", summary)
        self.assertIn("````\n" + tail + "\n````", summary)  # fence longer than the tail's own ```
        self.assertNotIn("None: every job ok", summary)

    def test_no_job_records_fails(self):
        self.write("run.json", run_json())
        self.assert_fails("no job records")
        self.assertFalse(os.path.exists(os.path.join(self.out, "summary.md")))

    def test_invalid_json_record_fails(self):
        self.write("jobs/a.json", record())
        self.write("jobs/b.json", '{"points": [')
        self.assert_fails("b.json", "not valid JSON")

    def test_record_without_points_fails(self):
        broken = record()
        del broken["points"]
        self.write("jobs/a.json", broken)
        self.assert_fails("a.json", '"points"')


if __name__ == "__main__":
    unittest.main()
