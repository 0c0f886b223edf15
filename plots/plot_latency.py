"""latency_vs_dying_memcgs.png: read latency of each metric versus measured dying memcgs.

One subplot per metric; per series the median as a line with markers, the
min..p90 range as a shaded band and p99 as a dotted line.
"""

import math

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from load_results import accelerator, measured, metric_names, metrics
from series import latency_unit, wants_log

FILE_NAME = "latency_vs_dying_memcgs.png"


def _metric_path(series_list, name):
    for s in series_list:
        for p in s.points():
            path = metrics(p).get(name, {}).get("path")
            if path:
                return path
    return ""


def _samples(series_list, name):
    counts = {metrics(p).get(name, {}).get("samples") for s in series_list for p in s.points()}
    counts.discard(None)
    if not counts:
        return ""
    return f"{min(counts)}" if len(counts) == 1 else f"{min(counts)}–{max(counts)}"


def _rows(series, name):
    """(dying, {stat: ns}) for the series' points that have this metric."""
    rows = []
    for p in series.points():
        m = metrics(p).get(name)
        if isinstance(m, dict) and isinstance(m.get("median_ns"), (int, float)):
            rows.append((measured(p, "memcg_dying"), m))
    return rows


def _draw_metric(ax, series_list, name):
    all_ns = []
    for s in series_list:
        for _, m in _rows(s, name):
            all_ns += [m.get(k) for k in ("min_ns", "median_ns", "p90_ns", "p99_ns")]
    unit, div = latency_unit(all_ns)
    for s in series_list:
        rows = _rows(s, name)
        if not rows:
            continue
        x = [d for d, _ in rows]

        def stat(key, rows=rows):
            return [m.get(key, m["median_ns"]) / div for _, m in rows]

        ax.fill_between(x, stat("min_ns"), stat("p90_ns"), color=s.color, alpha=0.18, linewidth=0)
        ax.plot(x, stat("p99_ns"), color=s.color, linestyle=":", marker=s.marker, markersize=3.5, linewidth=1.2)
        ax.plot(x, stat("median_ns"), color=s.color, marker=s.marker, linewidth=2, markersize=6)
    if wants_log([v for v in all_ns if v is not None]):
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    path = _metric_path(series_list, name)
    samples = _samples(series_list, name)
    ax.set_title(name + (f"\n{path}" if path else "") + (f"  ({samples} reads per point)" if samples else ""),
                 fontsize=10)
    ax.set_xlabel("dying memcgs (measured)")
    ax.set_ylabel(f"latency per read ({unit})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(True, which="major", alpha=0.35)


def plot_latency(series_list, out_path, run_id):
    records = [s.record for s in series_list]
    names = metric_names(records)
    ncols = min(2, max(1, len(names)))
    nrows = max(1, math.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 4.8 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        _draw_metric(ax, series_list, name)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    if not names:
        axes[0][0].axis("on")
        axes[0][0].text(0.5, 0.5, "no latency metrics in any memcg-dying record", ha="center", va="center",
                        transform=axes[0][0].transAxes)
    fig.suptitle(f"Stat-file read latency vs dying memcgs — run {run_id}", fontsize=13)
    height = fig.get_figheight()
    bottom = 0.0
    if any(accelerator(r) == "tcg" for r in records):
        fig.text(0.5, 0.005, "TCG (emulated CPU): timings are comparable only with other TCG timings.",
                 ha="center", va="bottom", fontsize=8, style="italic", color="dimgray")
        bottom += 0.2 / height
    # Below the subplots: which colour is which kernel, and what the line styles mean.
    if series_list and names:
        area = (0.3 + 0.19 * max(3, len(series_list))) / height
        kernels = [Line2D([], [], color=s.color, marker=s.marker, linewidth=2) for s in series_list]
        fig.legend(kernels, [s.label for s in series_list], loc="upper left", bbox_to_anchor=(0.02, bottom + area),
                   fontsize=8.5, frameon=False, title="kernel (accelerator)", title_fontsize=8.5,
                   alignment="left")
        key = [Line2D([], [], color="dimgray", marker="o", linewidth=2),
               Line2D([], [], color="dimgray", marker="o", markersize=3.5, linestyle=":", linewidth=1.2),
               Patch(color="dimgray", alpha=0.25, linewidth=0)]
        fig.legend(key, ["median", "p99", "min–p90 band"], loc="upper right", bbox_to_anchor=(0.98, bottom + area),
                   fontsize=8.5, frameon=False, title="per point", title_fontsize=8.5, alignment="left")
        bottom += area
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(out_path, dpi=110)
    plt.close(fig)
