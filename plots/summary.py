"""summary.md: what ran where, a table per job, kernel memory per dying memcg, plots, failures."""

import re

from load_results import accelerator, job_id, measured, metric_names, metrics, release
from series import kernel_memory_fit, kernel_label

TCG_SENTENCE = "Timings under TCG are comparable only with other TCG timings."


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


def _ran_on(records):
    lines = ["## Ran on", "",
             "| kernel release | package | accelerator | vCPUs | memory | QEMU | jobs |",
             "|---|---|---|---|---|---|---|"]
    seen = {}
    for r in records:
        k, m = r.get("kernel") or {}, r.get("machine") or {}
        row = (release(r), f"{k.get('package', '?')} {k.get('package_version', '')}".strip(),
               accelerator(r).upper(), m.get("vcpus"), f"{m['memory_mib']} MiB" if m.get("memory_mib") else None,
               m.get("qemu"))
        seen.setdefault(row, []).append(job_id(r))
    for row, jobs in seen.items():
        lines.append("| " + " | ".join(_cell(v) for v in row) + f" | {len(jobs)} |")
    reasons = {(r.get("machine") or {}).get("accelerator_reason") for r in records} - {None, ""}
    lines.append("")
    for reason in sorted(reasons):
        lines.append(f"Accelerator choice: {reason}")
        lines.append("")
    if any(accelerator(r) == "tcg" for r in records):
        lines += [f"**{TCG_SENTENCE}**", ""]
    return lines


def _job_table(record, names):
    header = ["target", "churned", "dying measured", "dying/churned %"]
    header += [f"{n} median / p90 / p99 (µs)" for n in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for p in record["points"]:
        churned, dying = p.get("churned"), measured(p, "memcg_dying")
        ratio = f"{100.0 * dying / churned:.1f}" if dying is not None and churned else None
        row = [_cell(p.get("target")), _cell(churned), _cell(dying), _cell(ratio)]
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
    params = [f"scenario {job.get('scenario', '?')}", f"cgroup {job.get('cgroup_mode', '?')}"]
    if "page_cache_bytes" in job:
        params.append(f"{job['page_cache_bytes']} B of {job.get('page_cache', 'page cache')} per memcg")
    if "samples" in job:
        params.append(f"{job['samples']} samples per metric and point (warmup {job.get('warmup', '?')})")
    timing = record.get("timing") or {}
    if isinstance(timing.get("job_s"), (int, float)):
        params.append(f"job time {timing['job_s']:.1f} s")
    lines = [f"### {job_id(record)} — {kernel_label(record)}", "",
             f"Status **{record.get('status', '?')}**; " + ", ".join(params) + f". Record: `jobs/{record['_file']}`.", ""]
    base = record.get("baseline") or {}
    if base:
        lines += [f"Baseline before churning: {_cell(base.get('memcg_dying'))} dying, "
                  f"{_cell(base.get('memcg_num_cgroups'))} memcgs in /proc/cgroups.", ""]
    if not record["points"]:
        return lines + ["No points were recorded.", ""]
    lines += _job_table(record, metric_names([record])) + [""]
    fit = kernel_memory_fit(record)
    if fit:
        lines += [f"Kernel memory per dying memcg: **{fit[0]:.2f} KiB** (least-squares slope of meminfo "
                  f"Slab + Percpu against measured dying memcgs over {fit[2]} points).", ""]
    elif any(measured(p, "memcg_dying") is not None for p in record["points"]):
        lines += ["Kernel memory per dying memcg: n/a (needs Slab and Percpu at two or more distinct dying counts).", ""]
    return lines


def _problems(run, records):
    lines = ["## Problems", ""]
    bad = [r for r in records if r.get("status") != "ok"]
    for r in bad:
        lines.append(f"- Job `{job_id(r)}` on {kernel_label(r)}: status **{r.get('status')}**, "
                     f"error: {_cell(r.get('error') or 'none given')}")
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
    lines += _ran_on(records)
    lines += ["## Jobs", "", "Latencies are per read (open, read to EOF, close) of the file, in µs.", ""]
    for r in records:
        lines += _job_section(r)
    lines += ["## Plots", ""]
    for name, caption in plots:
        lines += [f"![{caption}]({name})", ""]
    lines += _problems(run, records)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")
