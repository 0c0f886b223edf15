"""capacity.md: per kernel, the object counts at which each measured operation crosses 1, 10 and
100 ms (from the least-squares fit of its medians, flagged when extrapolated beyond the sweep),
kernel memory per object, and the comparison verdicts.
"""

import comparison
import findings_section
import run_facts
from families import kernels, natural_key, singular, unit_records
from fits import crossing, fit_line, round_count
from kernel_memory import held_fit, per_object_kib

THRESHOLDS = [(1e6, "1 ms"), (1e7, "10 ms"), (1e8, "100 ms")]
MAX_FACTOR = 100  # beyond this many times the sweep's largest count a fitted count is not printed as a number


def _cell(value):
    return "–" if value is None or value == "" else str(value).replace("|", "\\|").replace("\n", " ")


def _us(ns):
    us = ns / 1000.0
    return f"{us:,.0f}" if abs(us) >= 100 else f"{us:.3g}"


def threshold_cell(fit, threshold, rows=()):
    """'2,990 (extrapolated ×3)', '850 (in the measured range)', 'never', '0 (already above)'.
    rows: the line's [(x, stats)], to say where a measured median is above a threshold the fit never reaches."""
    if fit is None:
        return "–"
    c = crossing(fit, threshold)
    if c.kind == "baseline":
        return "0 (already above)"
    if c.kind == "never":
        above = [x for x, r in rows if r["median_ns"] >= threshold]
        text = "never" + (" (n.s.)" if fit is not None and fit.b > 0 else "")
        return text + (f"; measured above at {min(above):,.0f}" if above else "")
    factor = c.factor(fit.x_max)
    if c.extrapolated and factor > MAX_FACTOR:
        text = f"> {MAX_FACTOR}× the sweep (fit: {c.count:.2g}, extrapolated)"
    elif c.extrapolated:
        text = f"{round_count(c.count):,} (extrapolated ×{factor:.2g})" if factor < 10 else \
            f"{round_count(c.count):,} (extrapolated ×{factor:.0f})"
    else:
        text = f"{round_count(c.count):,} (in the measured range)"
    if not fit.testable:
        text += " (2 points: slope untested)"
    return text


def slope_cell(fit):
    """The fit's slope in µs per 1,000 objects, with its significance when not significant."""
    if fit is None:
        return "– (one object count)"
    text = f"{fit.b:+,.0f}" if abs(fit.b) >= 100 else f"{fit.b:+.3g}"
    if fit.b > 0 and not fit.significant:
        text += f" (n.s., t = {fit.t:.1f})"
    elif fit.b <= 0:
        text += " (flat or falling)"
    return text


def threshold_rows(families, kernel):
    """[(family, line, metric, fit, rows)] for one (release, accelerator)."""
    out = []
    for fam in families:
        for line in fam.lines:
            if (line.release, line.accel) != kernel:
                continue
            for metric in fam.metric_names():
                rows = line.metric_rows(metric)
                if rows:
                    out.append((fam, line, metric, fit_line(line.samples(metric)), rows))
    return out


def _kernel_section(families, records, kernel, units):
    rel, accel = kernel
    lines = [f"### {rel} ({accel.upper()})", "",
             "| job family | mode | operation | objects measured | median at fewest / most (µs) "
             "| fit slope (µs per 1,000) | 1 ms at | 10 ms at | 100 ms at |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for fam, line, metric, fit, rows in threshold_rows(families, kernel):
        span = f"{rows[0][0]:,.0f}–{rows[-1][0]:,.0f} {fam.object}"
        medians = f"{_us(rows[0][1]['median_ns'])} / {_us(rows[-1][1]['median_ns'])}"
        cells = [fam.id, line.mode or "–", f"`{metric}`", span, medians, slope_cell(fit)]
        cells += [threshold_cell(fit, t, rows) for t, _ in THRESHOLDS]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if len(lines) == 4:
        lines.append("| – | – | no sweep with latency points on this kernel | | | | | | |")
    lines.append("")
    for fid, urel, mode, status, reason in units:
        if urel == rel:
            lines.append(f"- `{fid}`{' ' + mode if mode else ''}: **{status}**" + (f": {_cell(reason)}" if reason else ""))
    if lines[-1] != "":
        lines.append("")
    return lines


def _glance_section(families, records):
    """Kernels x families: the fewest objects at which any operation's fit reaches 1 ms."""
    lines = ["## At a glance: fewest objects to a 1 ms operation", "",
             "| kernel | " + " | ".join(f"{f.id} ({f.object})" for f in families) + " |",
             "|---|" + "---:|" * len(families)]
    for kernel in kernels(records):
        cells = [f"{kernel[0]} ({kernel[1].upper()})"]
        for fam in families:
            best = None
            for _, line, metric, fit, rows in threshold_rows([fam], kernel):
                c = crossing(fit, THRESHOLDS[0][0])
                if c.kind != "never" and (best is None or c.count < best[0].count):
                    best = (c, line, metric, fit, rows)
            if not any(l.release == kernel[0] and l.accel == kernel[1] for l in fam.lines):
                cells.append("not run")
            elif best is None:
                cells.append("never")
            else:
                c, line, metric, fit, rows = best
                mode = f" {line.mode}" if line.mode else ""
                cells.append(f"{threshold_cell(fit, THRESHOLDS[0][0], rows)}: `{metric}`{mode}")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if any("| not run" in l for l in lines[4:]):
        lines += ["", "\"not run\": no record with points for that kernel (skipped or failed; see below)."]
    return lines + [""]


def _memory_section(families):
    lines = ["## Kernel memory per object", "",
             "From each record's `per_object` (meminfo after the last point minus before the first, divided by the "
             "objects made), in KiB; the last column is the least-squares slope of Slab + Percpu against the "
             "objects the kernel still holds (dying memcgs, live netns, ...), given where that count spans at least "
             "a tenth of the objects made.", "",
             "| kernel | job family | mode | per | made | held at the end | Slab | SUnreclaim | Percpu "
             "| Slab + Percpu | per held object (fit) |",
             "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    rows = []
    for fam in families:
        for line in fam.lines:
            kib = per_object_kib(line)
            made = max((r.get("created") or 0 for r in line.records), default=0)
            held = line.held()
            fit, why = held_fit(line)
            cells = [line.release + (f" ({line.accel.upper()})" if line.accel != "tcg" else ""), fam.id,
                     line.mode or "–", singular(fam.object), f"{made:,}",
                     f"{held[2]:,.0f} {held[1]}" if held else "–"]
            cells += [f"{kib[k]:,.2f}" if k in kib else "–" for k in ("Slab", "SUnreclaim", "Percpu", "Slab+Percpu")]
            cells.append(f"{fit.b:,.2f}" if fit is not None else why or "–")
            rows.append((natural_key(line.release), "| " + " | ".join(_cell(c) for c in cells) + " |"))
    lines += [r for _, r in sorted(rows, key=lambda t: t[0])] + [""]
    return lines


def _fold(summary, lines):
    """lines inside <details> (kept closed on the page; GitHub renders it too)."""
    return [f"<details><summary>{summary}</summary>", ""] + lines + ["</details>", ""]


def write_capacity(run, records, families, run_dir, plots, out_path, compare_file=None, findings=None):
    """plots: [(file name, caption)]; compare_file: --compare FILE or None; findings: the kreg.findings
    document (findings_section.load) or None.

    Layout: the findings first with the plot that carries the strongest one beside them, the other
    plots behind the findings, then the tables (the long ones folded)."""
    run_id = run.get("run_id") or next((r.get("run_id") for r in records if r.get("run_id")), run_dir)
    drawn = [name for name, _ in plots]
    captions = dict(plots)
    lead = findings_section.lead_plots(findings, drawn)
    rows = run_facts.kernel_rows(records)
    kernel_text = ", ".join(r["release"] for r in rows)
    lines = [f"# kreg capacity report: run {run_id}", "",
             f"Suite {run.get('suite', '?')} on {kernel_text}; run status {run.get('status', '?')}, "
             f"{len(records)} job record(s). **{run_facts.tcg_statement(records)}**", "",
             '<div class="lead">', '<div class="lead-findings">', ""]
    lines += findings_section.markdown(findings, drawn, run_dir)
    lines += ["</div>", '<div class="lead-plot">', ""]
    if lead:
        lines += [f"![{captions[lead[0]]}]({lead[0]})", ""]
    lines += ["</div>", "</div>", ""]
    if len(lead) > 1:
        lines += ["## The plots behind them", ""]
        for name in lead[1:]:
            lines += [f"![{captions[name]}]({name})", ""]
    lines += run_facts.markdown_section(records)
    lines += _glance_section(families, records)
    thresholds = ["Per kernel, job family and operation: the object count at which the median latency reaches 1 ms, "
                  "10 ms and 100 ms, from the least-squares line `median = a + b × objects` through every point of "
                  "the sweep (x = objects made by the generator). A count beyond the largest measured one is marked "
                  f"*extrapolated* with its factor over the sweep (beyond {MAX_FACTOR}× only the order of magnitude "
                  "is given); **never** means the slope is not positive, or not significant (*n.s.*: t below "
                  "Student's one-sided 95 % value for n − 2 degrees of freedom); "
                  "*0 (already above)* means the fit is above the threshold with no objects at all. "
                  f"Latencies are per operation (`_read`: open, read to EOF, close; `_open`: open + close; `_stat`; "
                  f"`_lookup`: stat of an absent name). {run_facts.TCG_SENTENCE}", ""]
    units = unit_records(records)
    for kernel in kernels(records):
        thresholds += _kernel_section(families, records, kernel, units)
    lines += ["## Latency thresholds", ""]
    lines += _fold("Per kernel: objects to 1, 10 and 100 ms for every measured operation", thresholds)
    memory = _memory_section(families)
    lines += memory[:2] + _fold("Slab, SUnreclaim and Percpu per object, per kernel and job family", memory[2:])
    verdicts = comparison.markdown_section(run_dir, compare_file)
    lines += verdicts[:2] + (_fold("kreg compare's summary", verdicts[2:]) if comparison.find(run_dir, compare_file)
                             else verdicts[2:])
    rest = [(name, caption) for name, caption in plots if name not in lead]
    lines += ["## Plots", ""]
    body = []
    for name, caption in rest:
        body += [f"![{caption}]({name})", ""]
    lines += _fold(f"Every other plot ({len(rest)})", body) if rest else ["Every plot is shown above.", ""]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")
