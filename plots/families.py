"""Job families and their lines: what every multi-kernel plot and the capacity fits are drawn from.

A family is a job id without its cgroup mode and repetition (memcg-churn/tmpfs-4096,
netns/live, ...). A line is one (kernel, accelerator, cgroup mode) of a family and pools
its repetitions. A kernel keeps one colour in every figure; cgroup modes differ in line
style and marker. x is always the objects the generator made (point["created"]).
Standard library only.
"""

import re
import statistics

import catalog
from load_results import accelerator, job_id, measured, metrics, release

COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
          "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]
MODE_STYLE = {"": ("-", "o"), "v1": ("-", "o"), "v2": ("--", "s")}
OTHER_STYLES = [(":", "^"), ("-.", "D"), ("-", "v"), ("--", "P")]
# Per scenario family (netns/live, netns/dead, memcg-churn, ...): what x counts, and the measured
# count of objects the kernel still holds at a point. Both come from kreg's generator table.
X_LABELS = catalog.LazyMap(lambda: {f["id"]: f["x_label"] for f in catalog.families()})
HELD_KEYS = catalog.LazyMap(lambda: {f["id"]: (f["held_key"], f["held_label"]) for f in catalog.families()})
NOT_LATENCY = {"timer_overhead"}


def natural_key(text):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(text)) if t]


def scenario(record):
    return str((record.get("job") or {}).get("scenario") or "")


def scenario_key(record):
    """'netns/live' for netns jobs (the two modes are different pathologies), else the scenario."""
    job = record.get("job") or {}
    if scenario(record) == "netns":
        return "netns/" + str(job.get("mode") or (job.get("params") or {}).get("mode") or "live")
    return scenario(record)


def cgroup_mode(record):
    """The unit's cgroup mode where it matters ("" for netns and dentry jobs)."""
    unit = record.get("unit")
    if isinstance(unit, dict) and "cgroup_mode" in unit:
        return str(unit.get("cgroup_mode") or "")
    mode = str((record.get("job") or {}).get("cgroup_mode") or "")
    if scenario(record) in catalog.cgroup_scenarios() or mode in job_id(record).split("/"):
        return mode
    return ""


def family_id(record):
    jid = re.sub(r"([.#]r\d+)$", "", job_id(record))
    mode = cgroup_mode(record)
    parts = [p for p in jid.split("/") if not (mode and p == mode)]
    return "/".join(parts) or jid


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", str(text)).strip("-")


def singular(noun):
    """'memcgs' -> 'memcg', 'negative dentries' -> 'negative dentry'; 'netns' stays."""
    noun = str(noun)
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith("s") and not noun.endswith("ns"):
        return noun[:-1]
    return noun


def x_of(point):
    """A sweep point's x: the objects the generator made ("created"), None if absent."""
    v = point.get("created")
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def is_latency(name, info):
    if name in NOT_LATENCY:
        return False
    unit = (info.get(name) or {}).get("unit") if isinstance(info, dict) else None
    return unit in (None, "ns")


class Line:
    """One (kernel, accelerator, cgroup mode) of a family, with its records (repetitions)."""

    def __init__(self, family, records):
        self.family = family
        self.records = records
        first = records[0]
        self.release, self.accel, self.mode = release(first), accelerator(first), cgroup_mode(first)
        self.color = self.linestyle = self.marker = None
        self.label = self.release + (f" {self.mode}" if self.mode else "")

    def points(self):
        pts = [p for r in self.records for p in r["points"] if x_of(p) is not None]
        return sorted(pts, key=x_of)

    def metric_rows(self, name):
        """[(x, {"median_ns", "p90_ns", "min_ns", "p99_ns"})], repetitions merged per x (median of medians)."""
        by_x = {}
        for p in self.points():
            m = metrics(p).get(name)
            if isinstance(m, dict) and isinstance(m.get("median_ns"), (int, float)):
                by_x.setdefault(x_of(p), []).append(m)
        rows = []
        for x, ms in sorted(by_x.items()):
            row = {}
            for key in ("min_ns", "median_ns", "p90_ns", "p99_ns"):
                vals = [m.get(key, m["median_ns"]) for m in ms if isinstance(m.get(key, m["median_ns"]), (int, float))]
                row[key] = min(vals) if key == "min_ns" else statistics.median(vals)
            rows.append((x, row))
        return rows

    def samples(self, name):
        """Every (x, median_ns) sample of a metric, repetitions kept apart (what the fit uses)."""
        out = []
        for p in self.points():
            m = metrics(p).get(name)
            if isinstance(m, dict) and isinstance(m.get("median_ns"), (int, float)):
                out.append((float(x_of(p)), float(m["median_ns"])))
        return out

    def held(self):
        """(key, what, value at the last point) of the objects the kernel still holds, or None."""
        key, what = HELD_KEYS.get(self.family.scenario_key, (None, None))
        pts = self.points()
        if not key or not pts:
            return None
        value = measured(pts[-1], key)
        return None if value is None else (key, what, value)


class Family:
    def __init__(self, fid, records):
        self.id = fid
        self.records = records
        self.scenario = scenario(records[0])
        self.scenario_key = scenario_key(records[0])
        self.object = str(records[0].get("object") or "objects")
        self.x_label = X_LABELS.get(self.scenario_key) or X_LABELS.get(self.scenario) or f"{self.object} created"
        self.lines = []

    def metric_names(self):
        """Latency metrics (unit ns, not the timer overhead) of any line, in first-seen order."""
        names = []
        for r in self.records:
            info = r.get("metric_info") or {}
            for p in r["points"]:
                for name in metrics(p):
                    if name not in names and is_latency(name, info):
                        names.append(name)
        return names

    def paths(self, name):
        seen = []
        for r in self.records:
            for p in r["points"]:
                path = (metrics(p).get(name) or {}).get("path")
                if path and path != "-" and path not in seen:
                    seen.append(path)
        return seen

    def samples_per_point(self, name):
        counts = {(metrics(p).get(name) or {}).get("samples") for r in self.records for p in r["points"]}
        counts.discard(None)
        if not counts:
            return ""
        return f"{min(counts)}" if len(counts) == 1 else f"{min(counts)}–{max(counts)}"


def kernels(records):
    """(release, accelerator) of every record, in version order."""
    keys = {(release(r), accelerator(r)) for r in records}
    return sorted(keys, key=lambda k: (natural_key(k[0]), k[1]))


def build_families(records):
    """Families with points, in a stable order; each line styled (kernel colour, mode style)."""
    kernel_order = kernels(records)
    groups = {}
    for r in records:
        if r.get("kind") == "speed" or (r.get("job") or {}).get("kind") == "speed" or not r["points"]:
            continue
        groups.setdefault(family_id(r), []).append(r)
    families = []
    mixed_accel = len({a for _, a in kernel_order}) > 1
    for fid in sorted(groups, key=natural_key):
        fam = Family(fid, groups[fid])
        by_line = {}
        for r in groups[fid]:
            by_line.setdefault((release(r), accelerator(r), cgroup_mode(r)), []).append(r)
        modes = sorted({k[2] for k in by_line})
        for key in sorted(by_line, key=lambda k: (natural_key(k[0]), k[1], k[2])):
            line = Line(fam, by_line[key])
            line.color = COLORS[kernel_order.index(key[:2]) % len(COLORS)]
            style = MODE_STYLE.get(key[2]) or OTHER_STYLES[modes.index(key[2]) % len(OTHER_STYLES)]
            line.linestyle, line.marker = style
            if mixed_accel:
                line.label += f" ({line.accel.upper()})"
            fam.lines.append(line)
        families.append(fam)
    return families


def unit_records(records):
    """Records without points (skipped, failed): [(family id, kernel release, mode, status, reason)]."""
    out = []
    for r in records:
        if r["points"]:
            continue
        reason = r.get("skip_reason") or r.get("error") or ""
        if isinstance(reason, dict):
            reason = reason.get("message") or str(reason)
        out.append((family_id(r), release(r), cgroup_mode(r), str(r.get("status") or "?"), str(reason)))
    return sorted(out, key=lambda t: (natural_key(t[0]), natural_key(t[1]), t[2]))
