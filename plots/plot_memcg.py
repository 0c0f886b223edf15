"""dying_vs_churned.png: measured dying memcgs versus memcgs churned, per kernel and cgroup mode.

One panel per memcg-churn family; y = x ("every churned memcg still dying") drawn for reference,
the count at the last point in the legend (lines that coincide stay told apart).
"""

import math

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from families import x_of
from load_results import measured
from run_facts import plot_footer

DYING_FILE = "dying_vs_churned.png"


def memcg_families(families):
    return [f for f in families if f.scenario == "memcg-churn"]


def plot_dying_vs_churned(families, records, out_path, run_id):
    fams = memcg_families(families) or [None]
    ncols = min(2, len(fams))
    nrows = math.ceil(len(fams) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.5 * ncols, 5.6 * nrows), squeeze=False)
    for ax, fam in zip(axes.flat, fams):
        if fam is None:
            ax.text(0.5, 0.5, "no memcg-churn job with points in this run", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        top, handles = 0, []
        for line in fam.lines:
            pts = [(x_of(p), measured(p, "memcg_dying")) for p in line.points()]
            pts = [(x, d) for x, d in pts if d is not None]
            if not pts:
                continue
            x, dying = [p[0] for p in pts], [p[1] for p in pts]
            top = max([top] + x)
            ax.plot(x, dying, color=line.color, linestyle=line.linestyle, marker=line.marker, linewidth=2)
            source = (line.points()[-1].get("measured") or {}).get("memcg_dying_source", "")
            handles.append((Line2D([], [], color=line.color, linestyle=line.linestyle, marker=line.marker),
                            f"{line.label}: {dying[-1]:,.0f} dying of {x[-1]:,.0f}" + (f" ({source})" if source else "")))
        ax.plot([0, top], [0, top], color="gray", linewidth=5, alpha=0.3, zorder=1)
        handles.append((Line2D([], [], color="gray", linewidth=5, alpha=0.3), "y = x: every churned memcg still dying"))
        ax.set_title(f"Dying memcgs vs memcgs churned — {fam.id}", fontsize=10)
        ax.set_xlabel("memcgs churned (mkdir, write page cache, exit, rmdir)")
        ax.set_ylabel("dying memcgs (measured from the kernel)")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(True, alpha=0.35)
        ax.legend([h for h, _ in handles], [t for _, t in handles], fontsize=7.5, loc="upper left",
                  title="kernel cgroup-mode: at the last point (dying count from)", title_fontsize=8)
    for ax in list(axes.flat)[len(fams):]:
        ax.axis("off")
    fig.text(0.01, 0.005, f"run {run_id} · {plot_footer(records)}", fontsize=7, color="dimgray", style="italic")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
