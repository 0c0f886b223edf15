"""latency__<family>__<metric>.png: one figure per (job family, latency metric).

x: objects made (point["created"]); y: the median latency per operation, with the median..p90
range shaded; one line per kernel (and cgroup mode), coloured by kernel, its least-squares fit
dotted. The y axis goes logarithmic when the values span more than LOG_RATIO, the x axis
(symlog, because sweeps start at 0) likewise. 1/10/100 ms thresholds are drawn when in reach.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from families import slug
from fits import fit_line
from run_facts import plot_footer

LOG_RATIO = 50
THRESHOLDS_NS = [(1e6, "1 ms"), (1e7, "10 ms"), (1e8, "100 ms")]


def file_name(family, metric):
    return f"latency__{slug(family.id)}__{slug(metric)}.png"


def latency_unit(values_ns):
    top = max((v for v in values_ns if v is not None), default=0)
    if top >= 1e6:
        return "ms", 1e6
    if top >= 1e3:
        return "µs", 1e3
    return "ns", 1.0


def wants_log(values):
    positive = [v for v in values if v is not None and v > 0]
    return bool(positive) and max(positive) / min(positive) > LOG_RATIO


def fit_label(fit, unit, div, obj):
    if fit is None:
        return "no fit"
    per_k = fit.b * 1000 / div
    text = f"fit {fit.a / div:.3g} {unit} {'+' if per_k >= 0 else '−'} {abs(per_k):.3g} {unit} per 1,000 {obj}"
    if fit.b > 0 and not fit.significant:
        text += " (n.s.)"
    return text


def _draw(ax, family, metric):
    values, xs_all = [], []
    for line in family.lines:
        for x, row in line.metric_rows(metric):
            values += [row["median_ns"], row["p90_ns"]]
            xs_all.append(x)
    unit, div = latency_unit(values)
    xlog = wants_log(xs_all) and min(xs_all) >= 0
    ylog = wants_log(values)
    handles = []
    x_top = max(xs_all, default=1)
    for line in family.lines:
        rows = line.metric_rows(metric)
        if not rows:
            continue
        x = [r[0] for r in rows]
        med = [r[1]["median_ns"] / div for r in rows]
        p90 = [r[1]["p90_ns"] / div for r in rows]
        ax.fill_between(x, med, p90, color=line.color, alpha=0.15, linewidth=0)
        ax.plot(x, med, color=line.color, linestyle=line.linestyle, marker=line.marker, linewidth=2, markersize=6)
        fit = fit_line(line.samples(metric))
        if fit is not None:
            fx = np.linspace(0, x_top, 60)
            fy = (fit.a + fit.b * fx) / div
            # On a log axis a fit below the data (a negative intercept) would plunge: draw it where it is
            # within the data's range only.
            floor = 0.5 * min(v for v in values if v > 0) / div if ylog else -np.inf
            ax.plot(fx, np.where(fy >= floor, fy, np.nan), color=line.color, linestyle=":", linewidth=1.3, alpha=0.9)
        handles.append((Line2D([], [], color=line.color, linestyle=line.linestyle, marker=line.marker, linewidth=2),
                        f"{line.label}: {fit_label(fit, unit, div, family.object)}"))
    top = max(values, default=0)
    for t, name in THRESHOLDS_NS:
        if top >= 0.5 * t:
            ax.axhline(t / div, color="black", linewidth=0.8, alpha=0.5)
            ax.text(0.005, t / div, f" {name}", transform=ax.get_yaxis_transform(), fontsize=8, va="bottom")
    if ylog:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    if xlog:
        ax.set_xscale("symlog", linthresh=min((v for v in xs_all if v > 0), default=1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(family.x_label + (" (symlog scale)" if xlog else ""))
    ax.set_ylabel(f"median latency per operation ({unit})" + (", log" if ylog else ""))
    ax.grid(True, which="major", alpha=0.35)
    return handles


def plot_metric(family, metric, records, out_path, run_id):
    paths = family.paths(metric)[:3]
    samples = family.samples_per_point(metric)
    title = [f"{metric} vs {family.object} — {family.id}" + (f"  ({samples} samples per point)" if samples else "")]
    title += paths
    entries = len(family.lines) + 5
    legend_in = 0.2 * entries + 0.3
    height = 4.4 + legend_in + 0.6 + 0.2 * len(title)
    fig, ax = plt.subplots(figsize=(9.0, height))
    fig.subplots_adjust(left=0.09, right=0.97, top=1 - (0.35 + 0.2 * len(title)) / height,
                        bottom=(legend_in + 0.65) / height)
    handles = _draw(ax, family, metric)
    ax.set_title("\n".join(title), fontsize=9.5)
    key = [(Patch(color="dimgray", alpha=0.25, linewidth=0), "shaded: median to p90"),
           (Line2D([], [], color="dimgray", linestyle=":", linewidth=1.3), "dotted: least-squares fit of the medians")]
    fig.legend([h for h, _ in handles + key], [t for _, t in handles + key], fontsize=8, loc="lower left",
               bbox_to_anchor=(0.02, 0.35 / height), title="kernel [cgroup mode]: least-squares fit",
               title_fontsize=8, frameon=False, alignment="left")
    fig.text(0.02, 0.08 / height, f"run {run_id} · {plot_footer(records)}", fontsize=6.5, color="dimgray",
             style="italic", wrap=True)
    fig.savefig(out_path, dpi=90)
    plt.close(fig)


def plot_latency(families, records, out_dir, run_id):
    """Writes one PNG per (family, metric); returns [(file name, caption)]."""
    written = []
    for family in families:
        for metric in family.metric_names():
            name = file_name(family, metric)
            plot_metric(family, metric, records, os.path.join(out_dir, name), run_id)
            written.append((name, f"{family.id}: {metric} median latency vs {family.object}, per kernel, with fit"))
    return written
