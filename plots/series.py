"""Lines to draw: one per job record, named by kernel release + accelerator.

Records of the same kernel and accelerator share a colour; when several jobs
share one, the job id is added to the label and the marker differs. Also the
derived numbers the plots and the summary share (units, kernel memory slope).
"""

import numpy as np

from load_results import accelerator, counter, is_memcg_dying, job_id, measured, release

COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
          "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


class Series:
    def __init__(self, record, label, color, marker):
        self.record = record
        self.label = label
        self.color = color
        self.marker = marker

    def points(self):
        """Points with a measured dying count, ordered by it (then by churned)."""
        pts = [p for p in self.record["points"] if measured(p, "memcg_dying") is not None]
        return sorted(pts, key=lambda p: (measured(p, "memcg_dying"), p.get("churned") or 0))


def kernel_key(record):
    return (release(record), accelerator(record))


def kernel_label(record):
    return f"{release(record)} ({accelerator(record).upper()})"


def build_series(records):
    """Series for the memcg-dying records, in a stable order (kernel, accelerator, job)."""
    plottable = sorted((r for r in records if is_memcg_dying(r)), key=lambda r: (kernel_key(r), job_id(r)))
    kernels = []
    for r in plottable:
        if kernel_key(r) not in kernels:
            kernels.append(kernel_key(r))
    out = []
    for r in plottable:
        key = kernel_key(r)
        siblings = [s for s in plottable if kernel_key(s) == key]
        label = kernel_label(r)
        if len(siblings) > 1:
            label += f" {job_id(r)}"
        color = COLORS[kernels.index(key) % len(COLORS)]
        marker = MARKERS[siblings.index(r) % len(MARKERS)]
        out.append(Series(r, label, color, marker))
    return out


def latency_unit(values_ns):
    """(name, divisor) readable for these nanosecond values: ms from 1 ms up, else µs (ns below 1 µs)."""
    top = max((v for v in values_ns if v is not None), default=0)
    if top >= 1e6:
        return "ms", 1e6
    if top >= 1e3:
        return "µs", 1e3
    return "ns", 1.0


def wants_log(values):
    """True if the positive values span more than two decades."""
    positive = [v for v in values if v is not None and v > 0]
    return bool(positive) and max(positive) / min(positive) > 100


def kernel_memory_fit(record):
    """Least-squares fit of meminfo Slab + Percpu (kB) against measured dying memcgs.

    Returns (slope KiB per dying memcg, intercept KiB, number of points) or None
    with fewer than two distinct dying counts.
    """
    xs, ys = [], []
    for p in record["points"]:
        dying = measured(p, "memcg_dying")
        slab, percpu = counter(p, "meminfo_slab_kb"), counter(p, "meminfo_percpu_kb")
        if dying is None or slab is None or percpu is None:
            continue
        xs.append(float(dying))
        ys.append(float(slab + percpu))
    if len(set(xs)) < 2:
        return None
    slope, intercept = np.polyfit(np.array(xs), np.array(ys), 1)
    return float(slope), float(intercept), len(xs)
