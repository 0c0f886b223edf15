"""What every report states: kernel versions, accelerator, vCPUs and memory, and the TCG caveat.

Shared by summary.md, capacity.md, the HTML page and the footer of every plot.
Standard library only.
"""

from families import kernels, natural_key
from load_results import accelerator, release

TCG_SENTENCE = "TCG timings compare only with TCG timings."


def _span(values, unit=""):
    vals = sorted({v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if not vals:
        return "?"
    text = f"{vals[0]:g}" if len(vals) == 1 else f"{vals[0]:g}–{vals[-1]:g}"
    return text + unit


def kernel_rows(records):
    """Per (release, accelerator) in version order: a dict of what the report prints about it."""
    rows = []
    for rel, accel in kernels(records):
        rs = [r for r in records if release(r) == rel and accelerator(r) == accel]
        k = next((r.get("kernel") for r in rs if isinstance(r.get("kernel"), dict) and r["kernel"].get("package")),
                 None) or rs[0].get("kernel") or {}
        ms = [r.get("machine") or {} for r in rs]
        rows.append({
            "release": rel, "accelerator": accel.upper(),
            "package": f"{k.get('package', '?')} {k.get('package_version', '')}".strip(),
            "source": k.get("source") or k.get("spec") or "",
            "vcpus": _span([m.get("vcpus") for m in ms]),
            "memory": _span([m.get("memory_mib") for m in ms], " MiB"),
            "qemu": next((m.get("qemu") for m in ms if m.get("qemu")), ""),
            "host_cpus": _span([m.get("host_cpus") for m in ms]),
        })
    return rows


def accelerators(records):
    return sorted({accelerator(r) for r in records}, key=natural_key)


def tcg_statement(records):
    """The sentence every report carries, worded for this run's accelerator(s)."""
    accels = accelerators(records)
    if "tcg" in accels and len(accels) > 1:
        return (f"{TCG_SENTENCE} This run mixes {' and '.join(a.upper() for a in accels)} guests: compare each "
                "kernel's latencies only with figures taken under the same accelerator.")
    if "tcg" in accels:
        return (f"{TCG_SENTENCE} This run's guests ran under TCG (QEMU's emulated CPU), so its latencies "
                "compare with other TCG runs only, never with KVM or bare-metal figures.")
    named = ", ".join(a.upper() for a in accels) or "an unknown accelerator"
    return f"{TCG_SENTENCE} This run used {named}, so its latencies do not compare with a TCG run's."


def markdown_section(records, heading="## Kernels and machine"):
    """Markdown lines: a table of kernels with accelerator, vCPUs and memory, then the TCG statement."""
    lines = [heading, "",
             "| kernel release | package | accelerator | vCPUs | memory per VM | QEMU |",
             "|---|---|---|---|---|---|"]
    for row in kernel_rows(records):
        cells = [row["release"], row["package"], row["accelerator"], row["vcpus"], row["memory"], row["qemu"] or "–"]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    reasons = sorted({(r.get("machine") or {}).get("accelerator_reason") for r in records} - {None, ""})
    lines.append("")
    for reason in reasons:
        lines += [f"Accelerator choice: {reason}", ""]
    lines += [f"**{tcg_statement(records)}**", ""]
    return lines


def plot_footer(records):
    """One line under every figure: kernels, accelerator, vCPUs, memory, TCG caveat."""
    rows = kernel_rows(records)
    kernels_text = ", ".join(r["release"] for r in rows)
    accel = "/".join(a.upper() for a in accelerators(records))
    vcpus = _span([(r.get("machine") or {}).get("vcpus") for r in records])
    memory = _span([(r.get("machine") or {}).get("memory_mib") for r in records], " MiB")
    return f"kernels {kernels_text}\n{accel}, {vcpus} vCPU, {memory} per VM · {TCG_SENTENCE}"
