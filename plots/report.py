#!/usr/bin/env python3
"""Plots, a capacity-planning report and a summary of a kreg run.

    python3 plots/report.py RUN_DIR --out OUT_DIR [--findings FILE] [--compare FILE] [--catalog FILE]

Reads RUN_DIR/run.json and RUN_DIR/jobs/**/*.json (schema: results/README.md) and writes into
OUT_DIR, replacing the PNGs of an earlier report there:
  latency__<family>__<metric>.png  one per job family and latency metric, a line per kernel
  dying_vs_churned.png             dying memcgs against memcgs churned
  kernel_memory_per_object.png     kernel memory per dying memcg, per live netns, per object made
  sysctl_vs_ipv4_control.png       ipv6/core sysctl lookups against the ipv4 control
  capacity.md                      the findings (--findings FILE: `kreg findings RUN --json`, which
                                   `kreg report` writes to OUT_DIR/findings.json) and the plots that
                                   carry them first; then per kernel: objects at which each operation
                                   crosses 1/10/100 ms, kernel memory per object, `kreg compare`'s verdicts
  summary.md                       per-job tables and problems
  report.html                      capacity.md with every plot embedded, summary.md folded in
and prints their paths. The verdicts come from --compare FILE or RUN_DIR/compare/*.md.
Exits 1 with a one-line message on stderr if RUN_DIR cannot be reported on.
Needs matplotlib and numpy (Debian: python3-matplotlib python3-numpy); if the python3 it runs
under lacks them (e.g. a pyenv one) it re-runs itself under /usr/bin/python3.
"""

import argparse
import glob
import importlib.util
import os
import sys

import catalog
from load_results import RunDirError, load_run

SYSTEM_PYTHON = "/usr/bin/python3"
REEXEC_FLAG = "KREG_REPORT_REEXEC"


def ensure_matplotlib():
    if all(importlib.util.find_spec(m) for m in ("matplotlib", "numpy")):
        return
    same = os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON)
    if os.path.exists(SYSTEM_PYTHON) and not same and not os.environ.get(REEXEC_FLAG):
        os.environ[REEXEC_FLAG] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(f"report.py: {sys.executable} has no matplotlib/numpy; install python3-matplotlib "
             f"(apt-get install python3-matplotlib, or ./setup.sh) or run report.py with {SYSTEM_PYTHON}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Plots, capacity.md, summary.md and report.html for a kreg run.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a kreg run directory, results/<run-id>/")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="directory for the PNGs and reports")
    parser.add_argument("--compare", metavar="FILE", help="kreg compare's summary.md (default: RUN_DIR/compare/*.md)")
    parser.add_argument("--catalog", metavar="FILE",
                        help="kreg's tables, as `kreg catalog` writes them (default: $KREG_CATALOG)")
    parser.add_argument("--findings", metavar="FILE", help="`kreg findings RUN_DIR --json`'s output (kreg report "
                        "writes and passes it)")
    args = parser.parse_args(argv)
    if args.catalog:
        catalog.use(args.catalog)

    try:
        run, records = load_run(args.run_dir)
    except RunDirError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    from findings_section import FindingsError, load as load_findings
    try:
        findings = load_findings(args.findings)
    except FindingsError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    if args.compare and not os.path.isfile(args.compare):
        print(f"report.py: --compare {args.compare} is not a file; pass the summary.md `kreg compare` wrote",
              file=sys.stderr)
        return 1

    ensure_matplotlib()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg")
    from capacity import write_capacity
    from comparison import ComparisonError
    from families import build_families
    from html_report import write_html
    from kernel_memory_plots import KMEM_FILE, plot_kernel_memory
    from latency_plots import plot_latency
    from plot_memcg import DYING_FILE, plot_dying_vs_churned
    from summary import write_summary
    from sysctl_plots import SYSCTL_FILE, plot_sysctl

    try:
        os.makedirs(args.out, exist_ok=True)
        for old in glob.glob(os.path.join(args.out, "*.png")):
            os.remove(old)  # plots of an earlier report: every PNG left here is named in this one
    except OSError as e:
        print(f"report.py: cannot write OUT_DIR {args.out} ({e.strerror}); pass a writable --out", file=sys.stderr)
        return 1
    run_id = run.get("run_id") or next((r.get("run_id") for r in records if r.get("run_id")),
                                       os.path.basename(os.path.normpath(args.run_dir)))
    families = build_families(records)
    if not families:
        print(f"report.py: warning: no job in {args.run_dir} has sweep points; the plots are empty",
              file=sys.stderr)
    plots = plot_latency(families, records, args.out, run_id)
    for name, caption, draw in [
            (DYING_FILE, "Dying memcgs vs memcgs churned, per kernel and cgroup mode", plot_dying_vs_churned),
            (KMEM_FILE, "Kernel memory per dying memcg, per live netns and per object made", plot_kernel_memory),
            (SYSCTL_FILE, "ipv6 / core sysctl lookups against the ipv4 control", plot_sysctl)]:
        draw(families, records, os.path.join(args.out, name), run_id)
        plots.append((name, caption))
    written = [os.path.join(args.out, name) for name, _ in plots]
    summary_path = os.path.join(args.out, "summary.md")
    capacity_path = os.path.join(args.out, "capacity.md")
    html_path = os.path.join(args.out, "report.html")
    write_summary(run, records, args.run_dir, plots, summary_path)
    try:
        write_capacity(run, records, families, args.run_dir, plots, capacity_path, args.compare, findings)
    except ComparisonError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    write_html(capacity_path, summary_path, args.out, html_path, f"kreg report: run {run_id}")
    for path in written + [capacity_path, summary_path, html_path]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
