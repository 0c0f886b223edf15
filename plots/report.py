#!/usr/bin/env python3
"""Plots and a Markdown summary of a kreg run.

    python3 plots/report.py RUN_DIR --out OUT_DIR

Reads RUN_DIR/run.json and RUN_DIR/jobs/*.json (schema: results/README.md),
writes latency_vs_dying_memcgs.png, dying_vs_churned.png,
kernel_memory_vs_dying.png and summary.md into OUT_DIR and prints their paths.
Exits 1 with a one-line message on stderr if RUN_DIR cannot be reported on.
Needs matplotlib and numpy (Debian: python3-matplotlib); if the python3 it runs
under lacks them (e.g. a pyenv one) it re-runs itself under /usr/bin/python3.
"""

import argparse
import importlib.util
import os
import sys

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
    parser = argparse.ArgumentParser(description="Plots and summary.md for a kreg run directory.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a kreg run directory, results/<run-id>/")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="directory for the PNGs and summary.md")
    args = parser.parse_args(argv)

    try:
        run, records = load_run(args.run_dir)
    except RunDirError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1

    ensure_matplotlib()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg")
    from plot_latency import FILE_NAME as LATENCY_FILE, plot_latency
    from plot_memcg import DYING_FILE, KMEM_FILE, plot_dying_vs_churned, plot_kernel_memory
    from series import build_series
    from summary import write_summary

    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        print(f"report.py: cannot create OUT_DIR {args.out} ({e.strerror}); pass a writable --out", file=sys.stderr)
        return 1
    run_id = run.get("run_id") or next((r.get("run_id") for r in records if r.get("run_id")),
                                       os.path.basename(os.path.normpath(args.run_dir)))
    series_list = build_series(records)
    if not series_list and any(r["points"] for r in records):
        # Records with points but nothing the memcg plots understand: say so
        # rather than draw empty axes silently.
        print("report.py: warning: no memcg-churn series to plot in " + args.run_dir, file=sys.stderr)
    plots = [(LATENCY_FILE, "Stat-file read latency vs dying memcgs", plot_latency),
             (DYING_FILE, "Dying memcgs vs memcgs churned", plot_dying_vs_churned),
             (KMEM_FILE, "Kernel memory (Slab, SUnreclaim, Percpu) vs dying memcgs", plot_kernel_memory)]
    written = []
    for name, _, draw in plots:
        path = os.path.join(args.out, name)
        draw(series_list, path, run_id)
        written.append(path)
    summary_path = os.path.join(args.out, "summary.md")
    write_summary(run, records, args.run_dir, [(n, c) for n, c, _ in plots], summary_path)
    written.append(summary_path)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
