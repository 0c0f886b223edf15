"""Kernel memory per object: the record's per_object (meminfo delta / objects made) and, where the
kernel really holds the objects (dying memcgs, live netns), the least-squares slope of
meminfo Slab + Percpu against the measured count held.
"""

import statistics

from families import HELD_KEYS, x_of
from fits import fit_line
from load_results import counter, measured

PER_OBJECT_KEYS = [("Slab", "meminfo_slab_bytes"), ("SUnreclaim", "meminfo_sunreclaim_bytes"),
                   ("Percpu", "meminfo_percpu_bytes")]


def per_object_kib(line):
    """{"Slab": KiB, "SUnreclaim": KiB, "Percpu": KiB, "Slab+Percpu": KiB} per object made, averaged over
    repetitions; keys the records lack are absent."""
    out = {}
    for name, key in PER_OBJECT_KEYS:
        vals = [(r.get("per_object") or {}).get(key) for r in line.records]
        vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if vals:
            out[name] = statistics.mean(vals) / 1024.0
    if "Slab" in out and "Percpu" in out:
        out["Slab+Percpu"] = out["Slab"] + out["Percpu"]
    return out


def held_samples(line):
    """[(objects held, Slab + Percpu KiB)] over the line's points."""
    return held_rows(line.points(), line.family.scenario_key)


def held_rows(points, scenario_key):
    key = HELD_KEYS.get(scenario_key, (None,))[0]
    rows = []
    for p in points:
        held = measured(p, key) if key else None
        slab, percpu = counter(p, "meminfo_slab_kb"), counter(p, "meminfo_percpu_kb")
        if held is not None and slab is not None and percpu is not None:
            rows.append((float(held), float(slab + percpu)))
    return rows


def held_fit(line):
    """(fit or None, why): KiB of Slab + Percpu per object the kernel holds. Only where the held count
    spans at least a tenth of the objects made (else the memory is not theirs to divide)."""
    return held_fit_points(line.points(), line.family.scenario_key)


def held_fit_points(points, scenario_key):
    rows = held_rows(points, scenario_key)
    made = max((x_of(p) or 0 for p in points), default=0)
    if not rows:
        return None, "no measured count"
    if len({h for h, _ in rows}) < 2:
        return None, "n/a: one measured count"
    span = max(h for h, _ in rows) - min(h for h, _ in rows)
    if span < max(10.0, 0.1 * made):
        return None, f"n/a: at most {max(h for h, _ in rows):,.0f} held of {made:,.0f} made"
    return fit_line(rows), ""
