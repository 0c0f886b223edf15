"""The findings at the top of capacity.md and report.html: what `kreg findings` (the C++ engine
in harness/findings/, the one `kreg compare` uses) found in the run, ranked by size of effect,
and the three or four plots that carry them. `kreg report` writes them to report/findings.json
and passes --findings; report.py run by hand without it says how to get them.
Standard library only.
"""

import json
import os

SHOWN = 6  # findings shown before the rest fold away
LEAD_PLOTS = 4
# When the findings name fewer than three plots, these (if drawn) fill the row, in this order.
FALLBACK_PLOTS = ["dying_vs_churned.png", "sysctl_vs_ipv4_control.png", "kernel_memory_per_object.png"]


class FindingsError(Exception):
    pass


def load(path):
    """The findings document (schema kreg.findings) or None without a path. Raises FindingsError."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FindingsError(f"--findings {path} cannot be read ({e}); pass the file `kreg findings RUN --json` "
                            "writes") from None
    if not isinstance(doc, dict) or doc.get("schema") != "kreg.findings" or not isinstance(doc.get("findings"), list):
        raise FindingsError(f"--findings {path} is not a kreg.findings document; write it with "
                            "`kreg findings RUN --json`")
    return doc


def _escape(text):
    return str(text).replace("|", "\\|")


def _item(i, f, drawn):
    plot = (f.get("evidence") or {}).get("plot") or ""
    link = f" ([plot](#fig-{_anchor(plot)}))" if plot in drawn else ""
    evidence = (f.get("evidence") or {}).get("text") or ""
    return (f"{i}. **{_escape(f.get('kind', '?'))} {_escape(f.get('effect_text', ''))}**: "
            f"{_escape(f.get('sentence', ''))}{link} <br>*Evidence:* {_escape(evidence)}")


def _anchor(name):
    import re
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def lead_plots(doc, drawn):
    """Up to four plot files: those the top findings name, in rank order, then fallbacks."""
    out = []
    for f in (doc or {}).get("findings", []):
        plot = (f.get("evidence") or {}).get("plot") or ""
        if plot in drawn and plot not in out:
            out.append(plot)
        if len(out) == LEAD_PLOTS:
            return out
    for plot in FALLBACK_PLOTS:
        if len(out) >= 3:
            break
        if plot in drawn and plot not in out:
            out.append(plot)
    return out


def markdown(doc, drawn, run_dir):
    """Markdown lines of the findings section. drawn: file names of the plots in this report."""
    lines = ["## Findings", ""]
    if doc is None:
        return lines + [f"No findings file: `kreg report {run_dir}` writes one (or run `kreg findings {run_dir}`).",
                        ""]
    items = doc.get("findings") or []
    # the accelerator is stated once, at the top of the page (run_facts.tcg_statement)
    lines += ["Ranked by size of effect; each with its evidence (the metric, the points, the test, the plot).", ""]
    if not items:
        lines += ["No rule found a difference between kernels or a growth with the object count.", ""]
    for i, f in enumerate(items[:SHOWN], 1):
        lines.append(_item(i, f, drawn))
    if len(items) > SHOWN:
        lines += ["", f"<details><summary>{len(items) - SHOWN} more findings</summary>", ""]
        for i, f in enumerate(items[SHOWN:], SHOWN + 1):
            lines.append(_item(i, f, drawn))
        lines += ["", "</details>"]
    for note in doc.get("notes") or []:
        lines += ["", f"*Note:* {_escape(note)}"]
    return lines + [""]
