"""report.html: capacity.md as one self-contained page, every plot embedded as a base64 PNG, with
summary.md's per-job tables folded in below. No network, no scripts, no external files. The page
opens with the findings beside the plot of the strongest one (a grid that fits a 1400x900 screen),
each finding's evidence one click away.

A small Markdown renderer for what kreg writes (and `kreg compare`'s summary.md): headings,
pipe tables, bulleted and numbered lists, code fences, figures on a line of their own, inline
code, bold, italic, links and <br>, and the raw <div class=...> and <details>/<summary> lines
capacity.md uses for its layout. Standard library only.
"""

import base64
import html
import os
import re

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; }
main { max-width: 1280px; margin: 0 auto; padding: 1em 2em 4em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 12.5px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; vertical-align: top; }
th { background: #f0f0f0; } tr:nth-child(even) td { background: #fafafa; }
td.r, th.r { text-align: right; } code { background: #f3f3f3; padding: 0 3px; font-size: 0.95em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 12px; color: #555; } details { margin-top: 2em; }
summary { font-size: 1.3em; font-weight: bold; cursor: pointer; }
h2 + details > summary, p + details > summary, ol + details > summary { font-size: 1em; font-weight: normal; }
.lead { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 1.6em; align-items: start; }
.lead h2 { margin-top: 0.4em; } .lead ol { padding-left: 1.6em; margin: 0.4em 0; } .lead li { margin: 0.35em 0; }
.lead-findings { font-size: 13px; } .lead-findings em { color: #555; }
.lead-plot figure { margin: 0.6em 0 0; }
details.evidence { margin: 0.1em 0 0; font-size: 12px; color: #555; }
details.evidence > summary { font-size: 11px; font-weight: normal; color: #36c; display: inline; }
@media (max-width: 900px) { .lead { display: block; } }
"""
# Raw HTML the Markdown may carry, passed through as is: the lead grid and folded sections.
RAW_HTML = re.compile(r'^\s*(</?div( class="[a-z-]+")?>|<details>(<summary>.*</summary>)?|</details>)\s*$')


def _anchor(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline(text):
    parts = re.split(r"(`+)(.+?)\1", text)
    out = []
    for i in range(0, len(parts), 3):
        t = html.escape(parts[i], quote=False)
        t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
        t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", t)
        t = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', t)
        t = t.replace("\\|", "|").replace("&lt;br&gt;", "<br>")
        out.append(t)
        if i + 2 < len(parts):
            out.append(f"<code>{html.escape(parts[i + 2].strip(), quote=False)}</code>")
    return "".join(out)


EVIDENCE = " <br>*Evidence:* "


def _list_item(text):
    """A numbered item; a finding's evidence (after EVIDENCE) folds away, one click from its sentence."""
    if EVIDENCE not in text:
        return "<li>" + _inline(text) + "</li>"
    sentence, evidence = text.split(EVIDENCE, 1)
    return (f'<li>{_inline(sentence)}<details class="evidence"><summary>evidence</summary>{_inline(evidence)}'
            "</details></li>")


def _cells(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))] if line.strip() != "|" else []


def _figure(caption, name, out_dir, embed):
    path = os.path.join(out_dir, name)
    anchor = "fig-" + _anchor(name)
    if not embed:
        return f'<p>Plot: <a href="#{anchor}">{html.escape(caption)}</a> (<code>{html.escape(name)}</code>)</p>'
    if "/" in name or not os.path.isfile(path):
        return f"<p><em>missing plot {html.escape(name)}</em></p>"
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return (f'<figure id="{anchor}"><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}" '
            f'data-file="{html.escape(name)}"><figcaption>{html.escape(caption)} '
            f"(<code>{html.escape(name)}</code>)</figcaption></figure>")


def render(markdown, out_dir, embed=True):
    """HTML for a Markdown document; images named relative to out_dir are embedded (or linked if not embed)."""
    lines = markdown.splitlines()
    out, para, i = [], [], 0

    def flush():
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(`{3,}|~{3,})", line)
        if fence:
            flush()
            body, i = [], i + 1
            while i < len(lines) and not lines[i].startswith(fence.group(1)):
                body.append(lines[i])
                i += 1
            out.append("<pre><code>" + html.escape("\n".join(body), quote=False) + "</code></pre>")
            i += 1
            continue
        if RAW_HTML.match(line):
            flush()
            raw = line.strip()
            summary = re.match(r"^<details><summary>(.*)</summary>$", raw)
            out.append(f"<details><summary>{_inline(summary.group(1))}</summary>" if summary else raw)
            i += 1
            continue
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        image = re.match(r"^!\[([^\]]*)\]\(([^)]+)\)\s*$", line)
        if heading:
            flush()
            n, text = len(heading.group(1)), heading.group(2)
            out.append(f'<h{n} id="{_anchor(text)}">{_inline(text)}</h{n}>')
        elif image:
            flush()
            out.append(_figure(image.group(1), image.group(2), out_dir, embed))
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-+", lines[i + 1]):
            flush()
            right = ["-:" in c for c in _cells(lines[i + 1])]
            head = "".join(f'<th{" class=r" if j < len(right) and right[j] else ""}>{_inline(c)}</th>'
                           for j, c in enumerate(_cells(line)))
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append("<tr>" + "".join(f'<td{" class=r" if j < len(right) and right[j] else ""}>{_inline(c)}</td>'
                                             for j, c in enumerate(_cells(lines[i]))) + "</tr>")
                i += 1
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
            continue
        elif re.match(r"^\s*[-*] ", line):
            flush()
            items = []
            while i < len(lines) and re.match(r"^\s*[-*] ", lines[i]):
                items.append("<li>" + _inline(re.sub(r"^\s*[-*] ", "", lines[i])) + "</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif re.match(r"^\d+\. ", line):
            flush()
            items = []
            while i < len(lines) and re.match(r"^\d+\. ", lines[i]):
                items.append(_list_item(re.sub(r"^\d+\. ", "", lines[i])))
                i += 1
            start = re.match(r"^(\d+)\. ", line).group(1)
            out.append(f'<ol start="{start}">' + "".join(items) + "</ol>")
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def write_html(capacity_md, summary_md, out_dir, out_path, title):
    with open(capacity_md, encoding="utf-8") as f:
        body = render(f.read(), out_dir)
    details = ""
    if summary_md and os.path.exists(summary_md):
        with open(summary_md, encoding="utf-8") as f:
            details = ("<details><summary>Per-job tables and problems (summary.md)</summary>"
                       + render(f.read(), out_dir, embed=False) + "</details>")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body><main>\n{body}\n{details}\n</main></body></html>\n")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(page)
