"""summary.md: what ran where, a table per job, kernel memory per held object, plots, problems."""

import re

import run_facts
from families import HELD_KEYS, NOT_LATENCY, scenario_key, singular
from kernel_memory import held_fit_points
from load_results import accelerator, job_id, measured, metric_names, metrics, release

# Per scenario: the measured counts a job table shows after target and created.
MEASURED_COLUMNS = {"memcg-churn": [("memcg_dying", "dying measured")],
                    "netns/live": [("netns_live", "live netns"), ("slab_net_namespace_active_objs", "net_namespace objs")],
                    "netns/dead": [("netns_live", "live netns"), ("slab_net_namespace_active_objs", "net_namespace objs")],
                    "pause-loop": [("pods_live", "live pods"), ("memcg_dying", "dying memcgs")],
                    "dentry-negative": [("dentry_nr_negative", "nr_negative"), ("dentry_nr_dentry", "nr_dentry")]}


def kernel_label(record):
    return f"{release(record)} ({accelerator(record).upper()})"


def _cell(value):
    return "–" if value is None or value == "" else str(value).replace("|", "\\|").replace("\n", " ")


def _us(ns):
    if not isinstance(ns, (int, float)):
        return "–"
    us = ns / 1000.0
    return f"{us:.0f}" if us >= 1000 else f"{us:.1f}"


def _fence(text):
    """A code fence longer than any run of backticks inside text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def _job_table(record, names):
    key = scenario_key(record)
    memcg = key == "memcg-churn"
    columns = MEASURED_COLUMNS.get(key, [(HELD_KEYS[key][0], HELD_KEYS[key][1])] if key in HELD_KEYS else [])
    header = ["target", "created"] + [title for _, title in columns]
    header += ["dying/created %"] if memcg else []
    header += [f"{n} median / p90 / p99 (µs)" for n in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for p in record["points"]:
        created = p.get("created")
        row = [_cell(p.get("target")), _cell(created)] + [_cell(measured(p, k)) for k, _ in columns]
        if memcg:
            dying = measured(p, "memcg_dying")
            row.append(_cell(f"{100.0 * dying / created:.1f}" if dying is not None and created else None))
        for n in names:
            m = metrics(p).get(n)
            if isinstance(m, dict):
                row.append(f"{_us(m.get('median_ns'))} / {_us(m.get('p90_ns'))} / {_us(m.get('p99_ns'))}")
            else:
                row.append("skipped: " + _cell((p.get("skipped") or {}).get(n, "absent")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _job_section(record):
    job = record.get("job") or {}
    params = [f"scenario {job.get('scenario', '?')}"]
    mode = (record.get("unit") or {}).get("cgroup_mode", job.get("cgroup_mode"))
    if mode:
        params.append(f"cgroup {mode}")
    if "page_cache_bytes" in job:
        params.append(f"{job['page_cache_bytes']} B of {job.get('page_cache', 'page cache')} per memcg")
    if "samples" in job:
        params.append(f"{job['samples']} samples per metric and point (warmup {job.get('warmup', '?')})")
    timing = record.get("timing") or {}
    if isinstance(timing.get("job_s"), (int, float)):
        params.append(f"job time {timing['job_s']:.1f} s")
    lines = [f"### {job_id(record)} — {kernel_label(record)}", "",
             f"Status **{record.get('status', '?')}**; " + ", ".join(params) + f". Record: `jobs/{record['_file']}`.", ""]
    if record.get("skip_reason"):
        lines += [f"Skipped: {_cell(record['skip_reason'])}", ""]
    base = record.get("baseline") or {}
    if base and "memcg_dying" in base and scenario_key(record) == "memcg-churn":
        lines += [f"Baseline before churning: {_cell(base.get('memcg_dying'))} dying, "
                  f"{_cell(base.get('memcg_num_cgroups'))} memcgs in /proc/cgroups.", ""]
    if not record["points"]:
        return lines + ["No points were recorded.", ""]
    lines += _job_table(record, [n for n in metric_names([record]) if n not in NOT_LATENCY]) + [""]
    key = scenario_key(record)
    if key in HELD_KEYS:
        what = HELD_KEYS[key][1]
        fit, why = held_fit_points(record["points"], key)
        if fit is not None:
            lines += [f"Kernel memory per {singular(what)}: **{fit.b:.2f} KiB** (least-squares slope of meminfo "
                      f"Slab + Percpu against measured {what} over {fit.n} points).", ""]
        else:
            lines += [f"Kernel memory per {singular(what)}: {why}.", ""]
    return lines


def _problems(run, records):
    lines = ["## Problems", ""]
    bad = [r for r in records if r.get("status") != "ok"]
    for r in bad:
        error = r.get("error") or r.get("skip_reason") or "none given"
        error = error.get("message", error) if isinstance(error, dict) else error
        what = "reason" if r.get("status") == "skipped" else "error"
        lines.append(f"- Job `{job_id(r)}` on {kernel_label(r)}: status **{r.get('status')}**, {what}: {_cell(error)}")
    for r in records:
        for p in r["points"]:
            for name, why in (p.get("skipped") or {}).items():
                lines.append(f"- Job `{job_id(r)}` target {p.get('target')}: metric `{name}` skipped: {_cell(why)}")
    if run.get("status") not in (None, "ok"):
        lines.append(f"- Run status is **{run.get('status')}** (run.json)")
    if len(lines) > 2:
        lines.append("")
    for f in run.get("failures") or []:
        f = f if isinstance(f, dict) else {"reason": str(f)}
        lines += [f"### Failure on VM {f.get('vm', '?')}: {_cell(f.get('reason') or 'no reason given')}", "",
                  "Console tail:", "", _fence(str(f.get("console_tail") or "(empty)")), ""]
    if len(lines) == 2:
        lines += ["None: every job ok, no VM failures.", ""]
    return lines


def write_summary(run, records, run_dir, plots, out_path):
    """plots: [(file name, caption)]"""
    run_id = run.get("run_id") or next((r.get("run_id") for r in records if r.get("run_id")), run_dir)
    lines = [f"# kreg report: run {run_id}", "",
             f"Run directory `{run_dir}`, suite {run.get('suite', '?')}, run status {run.get('status', '?')}, "
             f"{len(records)} job record(s).", ""]
    lines += run_facts.markdown_section(records, "## Ran on")
    lines += ["## Jobs", "", "Latencies are per operation in µs: `_read` open, read to EOF, close; `_open` open + "
              "close; `_stat` stat(); `_lookup` stat() of an absent name. Capacity thresholds: `capacity.md`.", ""]
    for r in records:
        lines += _job_section(r)
    lines += ["## Plots", ""]
    for name, caption in plots:
        lines += [f"![{caption}]({name})", ""]
    lines += _problems(run, records)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")
