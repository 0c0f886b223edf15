"""The memcg object plots.

dying_vs_churned.png: measured dying memcgs and num_cgroups versus memcgs
churned, with y = x ("all churned memcgs still dying").
kernel_memory_vs_dying.png: meminfo Slab, SUnreclaim, Percpu and Slab+Percpu
(MiB) versus measured dying memcgs, the last with its least-squares fit.
"""

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from load_results import counter, measured
from series import kernel_memory_fit

DYING_FILE = "dying_vs_churned.png"
KMEM_FILE = "kernel_memory_vs_dying.png"


def _no_data(ax, what):
    ax.text(0.5, 0.5, f"no {what} in any memcg-dying record", ha="center", va="center", transform=ax.transAxes)


def plot_dying_vs_churned(series_list, out_path, run_id):
    fig, ax = plt.subplots(figsize=(8, 5.5))
    top = 0
    for s in series_list:
        pts = sorted((p for p in s.record["points"] if isinstance(p.get("churned"), (int, float))),
                     key=lambda p: p["churned"])
        x = [p["churned"] for p in pts]
        dying = [measured(p, "memcg_dying") for p in pts]
        total = [measured(p, "memcg_num_cgroups") for p in pts]
        top = max([top] + x)
        ax.plot(x, dying, color=s.color, marker=s.marker, linewidth=2, label=f"{s.label} dying (measured)")
        if any(v is not None for v in total):
            ax.plot(x, total, color=s.color, marker=s.marker, markerfacecolor="none", linestyle="--",
                    linewidth=1.2, label=f"{s.label} num_cgroups (incl. live)")
    if series_list:
        ax.plot([0, top], [0, top], color="gray", linewidth=5, alpha=0.35, zorder=1,
                label="y = x: all churned memcgs still dying")
    else:
        _no_data(ax, "points")
    ax.set_xlabel("memcgs churned (mkdir, write, exit, rmdir)")
    ax.set_ylabel("memory cgroups (count)")
    ax.set_title(f"Dying memcgs vs memcgs churned — run {run_id}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(True, alpha=0.35)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)
    plt.close(fig)


def _kmem_rows(series, keys):
    """(dying, MiB) for points that have every counter in keys."""
    rows = []
    for p in series.points():
        values = [counter(p, k) for k in keys]
        if all(v is not None for v in values):
            rows.append((measured(p, "memcg_dying"), sum(values) / 1024.0))
    return rows


PANELS = [("Slab", ["meminfo_slab_kb"]),
          ("SUnreclaim (unreclaimable slab)", ["meminfo_sunreclaim_kb"]),
          ("Percpu", ["meminfo_percpu_kb"]),
          ("Slab + Percpu, with least-squares fit", ["meminfo_slab_kb", "meminfo_percpu_kb"])]


def plot_kernel_memory(series_list, out_path, run_id):
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    for ax, (title, keys) in zip(axes.flat, PANELS):
        fits = []
        for s in series_list:
            rows = _kmem_rows(s, keys)
            if not rows:
                continue
            x = [d for d, _ in rows]
            ax.plot(x, [v for _, v in rows], color=s.color, marker=s.marker, linewidth=2)
            fit = kernel_memory_fit(s.record) if len(keys) == 2 else None
            if fit:
                slope, intercept, _ = fit
                xs = [min(x), max(x)]
                ax.plot(xs, [(intercept + slope * v) / 1024.0 for v in xs], color=s.color, linestyle="--",
                        linewidth=1.2)
                fits.append((Line2D([], [], color=s.color, marker=s.marker, linestyle="--", linewidth=1.2),
                             f"{slope:.2f} KiB per dying memcg"))
        if not ax.lines:
            _no_data(ax, "meminfo " + " + ".join(keys))
        ax.set_title(f"meminfo {title}", fontsize=10)
        ax.set_xlabel("dying memcgs (measured)")
        ax.set_ylabel("MiB")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
        ax.grid(True, alpha=0.35)
        if fits:
            ax.legend([h for h, _ in fits], [t for _, t in fits], fontsize=8, loc="upper left",
                      title="least-squares fit (dashed)", title_fontsize=8)
    fig.suptitle(f"Kernel memory vs dying memcgs — run {run_id}", fontsize=13)
    bottom = 0.0
    if series_list:
        handles = [Line2D([], [], color=s.color, marker=s.marker, linewidth=2) for s in series_list]
        ncol = 2 if len(series_list) > 2 else len(series_list)
        fig.legend(handles, [s.label for s in series_list], loc="lower center", ncol=ncol, fontsize=8.5,
                   frameon=False, title="kernel (accelerator)", title_fontsize=8.5)
        bottom = (0.35 + 0.2 * -(-len(series_list) // ncol)) / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(out_path, dpi=110)
    plt.close(fig)
