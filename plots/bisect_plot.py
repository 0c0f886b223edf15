#!/usr/bin/env python3
"""The plot of a kreg bisect: each compared metric against step order.

    python3 plots/bisect_plot.py results/<bisect-id>/bisect.json --out results/<bisect-id>/bisect.png

One panel per compared metric (the first four when there are more). Every step of bisect.json is a
column in the order it was measured (endpoints, rounds, confirmation); each try is a dot at the
metric's median at the job's largest sweep point, coloured by the step's verdict (good, bad, skip),
the median of the tries a bar. Log scale when the values span more than 50x. Exits 1 with a
one-line message when the file is not a kreg bisect.
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys

COLOURS = {"good": "#2a9d3a", "bad": "#d62728", "skip": "#8c8c8c"}
MARKERS = {"endpoint": "s", "step": "o", "confirm": "D", "revert": "^"}


def ensure_matplotlib():
    """Re-runs this script under Debian's python3 when the current one lacks matplotlib (a pyenv one)."""
    if importlib.util.find_spec("matplotlib"):
        return
    system = "/usr/bin/python3"
    if os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system) \
            and not os.environ.get("KREG_BISECT_PLOT_REEXEC"):
        os.environ["KREG_BISECT_PLOT_REEXEC"] = "1"
        os.execv(system, [system, os.path.abspath(__file__)] + sys.argv[1:])
    raise SystemExit(f"bisect_plot.py: {sys.executable} has no matplotlib; install python3-matplotlib (./setup.sh)")


def load(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"bisect_plot.py: cannot read {path}: {e}")
    if doc.get("schema") != "kreg.bisect":
        raise SystemExit(f"bisect_plot.py: {path} is not a kreg bisect (no \"schema\": \"kreg.bisect\")")
    return doc


def largest_target(doc):
    jobs = doc.get("options", {}).get("suite_effective", {}).get("jobs", [{}])
    targets = jobs[0].get("targets", []) if jobs else []
    return max(targets) if targets else None


def plot(doc, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = doc.get("steps", [])
    metrics = doc.get("metrics_compared") or sorted({m for s in steps for m in s.get("headline", {})})
    metrics = metrics[:4] or ["-"]
    fig, axes = plt.subplots(len(metrics), 1, figsize=(max(6.0, 0.9 * len(steps) + 2), 3.2 * len(metrics)),
                             squeeze=False)
    labels = [f"{s.get('kernel', '?')}\n{s.get('phase', '')}" for s in steps]
    for ax, metric in zip(axes[:, 0], metrics):
        values = []
        for x, s in enumerate(steps):
            tries = [v for v in s.get("headline", {}).get(metric, []) if isinstance(v, (int, float))]
            colour = COLOURS.get(s.get("verdict"), "#1f77b4")
            marker = MARKERS.get(s.get("phase"), "o")
            if tries:
                us = [v / 1e3 for v in tries]
                values += us
                ax.scatter([x] * len(us), us, color=colour, marker=marker, alpha=0.8, zorder=3)
                ax.hlines(statistics.median(us), x - 0.3, x + 0.3, color=colour, linewidth=2, zorder=2)
            else:
                ax.annotate("no value", (x, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom",
                            fontsize=7, color=COLOURS["skip"])
        if values and min(values) > 0 and max(values) / min(values) > 50:
            ax.set_yscale("log")
        target = largest_target(doc)
        ax.set_ylabel(f"{metric}\nmedian @ {target} (us)" if target is not None else f"{metric} (us)", fontsize=8)
        ax.set_xticks(range(len(steps)))
        ax.set_xticklabels(labels, fontsize=7, rotation=45, ha="right")
        ax.grid(axis="y", alpha=0.3)
    for verdict, colour in COLOURS.items():
        axes[0, 0].scatter([], [], color=colour, label=verdict)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    machine = doc.get("machine", {})
    result = doc.get("result", {})
    fig.suptitle(f"kreg bisect {doc.get('bisect_id', '?')}: {result.get('status', doc.get('status', '?'))} "
                 f"({machine.get('accelerator', '?')}, {machine.get('vcpus', '?')} vCPU; "
                 f"{machine.get('accelerator', '?')} timings compare only with {machine.get('accelerator', '?')})",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Plot a kreg bisect: the metric against step order.")
    parser.add_argument("bisect_json", help="results/<bisect-id>/bisect.json")
    parser.add_argument("--out", required=True, help="the PNG to write")
    args = parser.parse_args(argv)
    doc = load(args.bisect_json)
    ensure_matplotlib()
    os.environ.setdefault("MPLBACKEND", "Agg")
    plot(doc, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
