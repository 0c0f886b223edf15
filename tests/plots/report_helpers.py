"""Shared by the report tests: running plots/report.py, reading what it wrote, headless Chromium."""

import os
import re
import shutil
import struct
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(REPO, "plots", "report.py")
FIXTURE_RUN = os.path.join(REPO, "tests", "fixtures", "runs", "report-default-4k")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
# Appended to a copy of report.html only: counts the images that really decoded.
IMAGE_CHECK = ('<script>window.addEventListener("load", function () {'
               'var im = Array.prototype.slice.call(document.images);'
               'document.body.setAttribute("data-images", im.length);'
               'document.body.setAttribute("data-images-ok", im.filter(function (i) {'
               'return i.complete && i.naturalWidth > 0; }).length);'
               'document.body.setAttribute("data-tables", document.querySelectorAll("table").length);'
               '});</script>')


KREG = os.environ.get("KREG_BIN") or os.path.join(REPO, "build", "kreg")


def kreg_findings(run_dir, path):
    """`kreg findings RUN_DIR --json` into path (what `kreg report` passes to report.py)."""
    if not os.access(KREG, os.X_OK):
        raise AssertionError(f"{KREG} is not an executable kreg; build it or set KREG_BIN")
    proc = subprocess.run([KREG, "findings", run_dir, "--json"], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"kreg findings {run_dir} failed: {proc.stderr}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(proc.stdout)
    return path


# Appended to a copy of report.html: where the findings and the plots sit in the first screen, the
# top 900 CSS px of the page laid out 1400 px wide (what a 1400x900 screenshot shows; headless
# Chromium's --dump-dom reports a shorter innerHeight, and nothing in the page depends on it).
FIRST_SCREEN_CHECK = ('<script>window.addEventListener("load", function () {'
                      'var b = document.body, h = 900, w = window.innerWidth;'
                      'var first = document.querySelector(".lead-findings ol > li");'
                      'var r = first ? first.getBoundingClientRect() : null;'
                      'b.setAttribute("data-viewport", w + "x" + h);'
                      'b.setAttribute("data-first-finding-bottom", r ? Math.round(r.bottom) : -1);'
                      'b.setAttribute("data-findings-shown", Array.prototype.filter.call('
                      'document.querySelectorAll(".lead-findings ol > li"), function (li) {'
                      'var q = li.getBoundingClientRect(); return q.top >= 0 && q.top < h; }).length);'
                      'b.setAttribute("data-plots-in-view", Array.prototype.filter.call(document.images, function (i) {'
                      'var q = i.getBoundingClientRect(); return i.complete && i.naturalWidth > 0 && q.top >= 0 && '
                      'q.bottom <= h && q.left >= 0 && q.right <= w && q.width >= 300; }).length);'
                      '});</script>')


def run_report(run_dir, out, *extra, timeout=300):
    return subprocess.run([sys.executable, REPORT, run_dir, "--out", out, *extra],
                          capture_output=True, text=True, timeout=timeout)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def png_files(out):
    return sorted(f for f in os.listdir(out) if f.endswith(".png"))


def png_size(path):
    """(width, height) from the IHDR chunk; raises AssertionError for a file that is no PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def markdown_images(text):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_run(args, tmp, timeout=120):
    """Runs headless Chromium with a private profile under tmp; returns the CompletedProcess."""
    profile = os.path.join(tmp, "chromium-profile")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_CACHE_HOME=tmp)
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
