"""Load and validate a kreg run directory: RUN_DIR/run.json and RUN_DIR/jobs/*.json.

Standard library only, so a broken run directory is reported before
matplotlib is even imported. The record schema is results/README.md.
"""

import glob
import json
import os

import catalog


class RunDirError(Exception):
    """A run directory report.py cannot work from; str() is the one-line message."""


def _load_json(path, run_dir, fix):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise RunDirError(
            f"{path} (in run {run_dir}) is not valid JSON (line {e.lineno} column {e.colno}: {e.msg}); {fix}"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise RunDirError(f"{path} (in run {run_dir}) cannot be read ({e}); {fix}") from None


def load_run(run_dir):
    """Returns (run, records): run.json as a dict ({} if absent) and the job records sorted by file name.

    Each record gets "_file", its file name under jobs/. Raises RunDirError.
    """
    if not os.path.isdir(run_dir):
        raise RunDirError(f"RUN_DIR {run_dir} is not a directory; pass a kreg run directory (results/<run-id>/)")
    run = {}
    run_path = os.path.join(run_dir, "run.json")
    if os.path.exists(run_path):
        run = _load_json(run_path, run_dir, "re-run `kreg run` or restore run.json")
        if not isinstance(run, dict):
            raise RunDirError(f"{run_path} is not a JSON object (not a kreg.run file); re-run `kreg run`")
    # jobs/<kernel>/<job>.json (a kernel matrix), or jobs/<job>.json (older runs, --local).
    files = sorted(glob.glob(os.path.join(run_dir, "jobs", "**", "*.json"), recursive=True))
    if not files:
        raise RunDirError(
            f"RUN_DIR {run_dir} has no job records (jobs/*.json); let `kreg run` finish at least one job "
            "or pass another results/<run-id>/ directory"
        )
    records = []
    for path in files:
        fix = "delete it or re-run that job with `kreg run`"
        record = _load_json(path, run_dir, fix)
        if not isinstance(record, dict) or not isinstance(record.get("points"), list):
            raise RunDirError(f'{path} (in run {run_dir}) lacks a "points" list, so it is not a kreg.job record; {fix}')
        if not all(isinstance(p, dict) for p in record["points"]):
            raise RunDirError(f'{path} (in run {run_dir}) has a "points" entry that is not an object; {fix}')
        record["_file"] = os.path.relpath(path, os.path.join(run_dir, "jobs"))
        _normalise(record)
        records.append(record)
    return run, records


def _normalise(record):
    """The job gets its generator parameters as flat keys too (job.params stays), and metrics renamed
    since the record was written get their current names (results/README.md, "Reading older records")."""
    job = record.get("job")
    if isinstance(job, dict) and isinstance(job.get("params"), dict):
        for key, value in job["params"].items():
            job.setdefault(key, value)
    renamed = catalog.renamed_metrics()

    def rename(mapping):
        if isinstance(mapping, dict):
            for old, new in renamed.items():
                if old in mapping:
                    mapping[new] = mapping.pop(old)

    rename(record.get("metric_info"))
    for point in record["points"]:
        rename(point.get("metrics"))
        rename(point.get("skipped"))


def release(record):
    """The kernel's name in this run: the unit's kernel label, else the kernel's release. Two kernels
    of one release (6.1.192 built from source, and with the control patch) have their own labels;
    keyed by release they would be averaged into one line."""
    label = (record.get("unit") or {}).get("kernel_label")
    return str(label or (record.get("kernel") or {}).get("release") or "unknown kernel")


def accelerator(record):
    return str((record.get("machine") or {}).get("accelerator") or "unknown")


def job_id(record):
    return str(record.get("job_id") or (record.get("job") or {}).get("job_id") or record["_file"])


def measured(point, key):
    """point["measured"][key] as a number, or None."""
    value = (point.get("measured") or {}).get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def counter(point, key):
    value = (point.get("counters") or {}).get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def metrics(point):
    m = point.get("metrics")
    return m if isinstance(m, dict) else {}


def metric_names(records):
    """Every metric name in any point, in first-seen order."""
    names = []
    for record in records:
        for point in record["points"]:
            for name in metrics(point):
                if name not in names:
                    names.append(name)
    return names
