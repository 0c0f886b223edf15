"""sysctl_vs_ipv4_control.png: ipv6 and core sysctl lookups against the ipv4 control.

One row per job family that measures /proc/sys paths (netns/live, netns/dead, pause-loop/...).
Columns: median latency of each operation (open, stat) of the three paths, one colour per kernel,
line style per path (ipv6 solid, core dashed, ipv4 control dotted); last column: each path's
median divided by the ipv4 control's at the same point (1 = no penalty).
"""

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from latency_plots import latency_unit, wants_log
from run_facts import plot_footer

SYSCTL_FILE = "sysctl_vs_ipv4_control.png"
PATHS = [("ipv6", "sysctl_ipv6_disable_ipv6", "-", "net/ipv6/conf/all/disable_ipv6"),
         ("core", "sysctl_core_somaxconn", "--", "net/core/somaxconn"),
         ("ipv4 control", "sysctl_ipv4_forwarding", ":", "net/ipv4/conf/all/forwarding")]
OPS = ["open", "stat"]
MODE_MARKERS = {"": "o", "v1": "o", "v2": "s"}


def sysctl_families(families):
    return [f for f in families if any(m.startswith("sysctl_ipv4_forwarding_") for m in f.metric_names())]


def _ops(fam):
    return [op for op in OPS if f"sysctl_ipv4_forwarding_{op}" in fam.metric_names()]


def _latency_panel(ax, fam, op):
    values = [row[1]["median_ns"] for line in fam.lines for _, prefix, _, _ in PATHS
              for row in line.metric_rows(f"{prefix}_{op}")]
    unit, div = latency_unit(values)
    for line in fam.lines:
        for _, prefix, style, _ in PATHS:
            rows = line.metric_rows(f"{prefix}_{op}")
            if rows:
                ax.plot([r[0] for r in rows], [r[1]["median_ns"] / div for r in rows], color=line.color,
                        linestyle=style, marker=MODE_MARKERS.get(line.mode, "^"), markersize=4, linewidth=1.6)
    if wants_log(values):
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_title(f"{fam.id}: {op}() median", fontsize=10)
    ax.set_ylabel(f"median latency ({unit})")


def _ratio_panel(ax, fam, op):
    for line in fam.lines:
        control = dict((x, r["median_ns"]) for x, r in line.metric_rows(f"sysctl_ipv4_forwarding_{op}"))
        for _, prefix, style, _ in PATHS[:2]:
            rows = [(x, r["median_ns"] / control[x]) for x, r in line.metric_rows(f"{prefix}_{op}")
                    if control.get(x)]
            if rows:
                ax.plot([x for x, _ in rows], [v for _, v in rows], color=line.color, linestyle=style,
                        marker=MODE_MARKERS.get(line.mode, "^"), markersize=4, linewidth=1.6)
    ax.axhline(1.0, color="gray", linestyle=":", linewidth=1.2)
    ax.set_title(f"{fam.id}: {op}() median / ipv4 control", fontsize=10)
    ax.set_ylabel("× the ipv4 control")
    ax.set_ylim(bottom=0)


def plot_sysctl(families, records, out_path, run_id):
    fams = sysctl_families(families)
    nrows, ncols = max(1, len(fams)), 3
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.0 * ncols, 4.2 * nrows + 1.2), squeeze=False)
    for row, fam in zip(axes, fams):
        ops = _ops(fam)
        for ax, op in zip(row[:2], ops):
            _latency_panel(ax, fam, op)
        for ax in row[len(ops):2]:
            ax.axis("off")
        if ops:
            _ratio_panel(row[2], fam, ops[0])
        for ax in row:
            ax.set_xlabel(fam.x_label, fontsize=8)
            ax.grid(True, alpha=0.35)
    if not fams:
        axes[0][0].text(0.5, 0.5, "no job measured /proc/sys paths", ha="center", va="center",
                        transform=axes[0][0].transAxes)
    kernels = {}
    for fam in fams:
        for line in fam.lines:
            kernels.setdefault(line.release, line.color)
    handles = [Line2D([], [], color=c, linewidth=3) for c in kernels.values()]
    labels = list(kernels)
    handles += [Line2D([], [], color="dimgray", linestyle=s) for _, _, s, _ in PATHS]
    labels += [f"{name}: /proc/sys/{path}" for name, _, _, path in PATHS]
    handles += [Line2D([], [], color="dimgray", marker=m, linestyle="none") for m in ("o", "s")]
    labels += ["marker o: no cgroup mode or v1", "marker s: cgroup v2"]
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.02))
    fig.suptitle(f"ipv6 / core sysctl lookups against the ipv4 control — run {run_id}", fontsize=12)
    fig.text(0.01, 0.003, plot_footer(records), fontsize=7, color="dimgray", style="italic")
    fig.tight_layout(rect=(0, 1.1 / fig.get_figheight(), 1, 1 - 0.35 / fig.get_figheight()))
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
