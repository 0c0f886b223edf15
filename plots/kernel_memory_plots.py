"""kernel_memory_per_object.png: kernel memory per dying memcg and per live netns, and per object
made for every job family.

Top row, one panel per memcg-churn and live-netns family: meminfo Slab + Percpu (MiB) against
the count the kernel holds (dying memcgs, live netns), one line per kernel [cgroup mode], with the
least-squares fit dashed and its slope (KiB per object) in the legend. Bottom: the record's
per_object Slab + Percpu (KiB per object made) as bars, grouped by family, one bar per kernel.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from families import HELD_KEYS, singular
from kernel_memory import held_fit, held_samples, per_object_kib
from latency_plots import wants_log
from run_facts import plot_footer

KMEM_FILE = "kernel_memory_per_object.png"
HELD_FAMILIES = ("memcg-churn", "netns/live")


def _held_panel(ax, fam):
    what = HELD_KEYS[fam.scenario_key][1]
    handles = []
    for line in fam.lines:
        rows = held_samples(line)
        if not rows:
            continue
        x, y = [h for h, _ in rows], [kib / 1024.0 for _, kib in rows]
        ax.plot(x, y, color=line.color, linestyle=line.linestyle, marker=line.marker, linewidth=2)
        fit, why = held_fit(line)
        if fit is not None:
            fx = np.array([min(x), max(x)])
            ax.plot(fx, (fit.a + fit.b * fx) / 1024.0, color=line.color, linestyle=(0, (4, 2)), linewidth=1.2)
            text = f"{fit.b:,.1f} KiB per {singular(what)}"
        else:
            text = why
        handles.append((Line2D([], [], color=line.color, linestyle=line.linestyle, marker=line.marker),
                        f"{line.label}: {text}"))
    ax.set_title(f"Slab + Percpu vs {what} — {fam.id}", fontsize=10)
    ax.set_xlabel(f"{what} (measured from the kernel)")
    ax.set_ylabel("meminfo Slab + Percpu (MiB)")
    ax.grid(True, alpha=0.35)
    ax.legend([h for h, _ in handles], [t for _, t in handles], fontsize=7, loc="lower right",
              title="kernel [mode]: slope of the dashed fit", title_fontsize=7.5)


def _bars(ax, families):
    groups = [(f, [l for l in f.lines if per_object_kib(l).get("Slab+Percpu") is not None]) for f in families]
    groups = [(f, ls) for f, ls in groups if ls]
    colors = {}
    for _, ls in groups:
        for line in ls:
            colors.setdefault(line.release, line.color)
    values = []
    for gi, (fam, ls) in enumerate(groups):
        width = 0.8 / max(1, len(ls))
        for li, line in enumerate(ls):
            v = per_object_kib(line)["Slab+Percpu"]
            values.append(v)
            ax.bar(gi - 0.4 + width * (li + 0.5), max(v, 1e-3), width * 0.9, color=line.color,
                   hatch="//" if line.mode == "v2" else None, edgecolor="white", linewidth=0.5)
            ax.text(gi - 0.4 + width * (li + 0.5), max(v, 1e-3), f"{v:,.3g}", ha="center", va="bottom", fontsize=6,
                    rotation=90)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{f.id}\n(per {singular(f.object)})" for f, _ in groups], fontsize=8)
    if wants_log([v for v in values if v > 0]):
        ax.set_yscale("log")
    ax.set_ylabel("Slab + Percpu per object made (KiB)")
    ax.set_title("Kernel memory per object made (record per_object: meminfo delta / objects)", fontsize=10)
    ax.grid(True, axis="y", alpha=0.35)
    handles, labels = [Patch(color=c) for c in colors.values()], list(colors)
    handles.append(Patch(facecolor="lightgray", hatch="//", edgecolor="white"))
    labels.append("hatched: cgroup v2")
    ax.legend(handles, labels, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              title="kernel", title_fontsize=8)
    if not groups:
        ax.text(0.5, 0.5, "no record with per_object figures", ha="center", va="center", transform=ax.transAxes)


def plot_kernel_memory(families, records, out_path, run_id):
    held = [f for f in families if f.scenario_key in HELD_FAMILIES]
    ncols = max(1, len(held))
    fig = plt.figure(figsize=(max(12.0, 6.0 * ncols), 10.5))
    grid = fig.add_gridspec(2, ncols, height_ratios=[1.15, 1])
    for i, fam in enumerate(held):
        _held_panel(fig.add_subplot(grid[0, i]), fam)
    if not held:
        ax = fig.add_subplot(grid[0, 0])
        ax.text(0.5, 0.5, "no memcg-churn or live-netns job with points", ha="center", va="center",
                transform=ax.transAxes)
        ax.axis("off")
    _bars(fig.add_subplot(grid[1, :]), families)
    fig.suptitle(f"Kernel memory per object — run {run_id}", fontsize=12)
    fig.text(0.01, 0.005, plot_footer(records), fontsize=7, color="dimgray", style="italic")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
