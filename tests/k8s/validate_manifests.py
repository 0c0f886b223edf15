#!/usr/bin/env python3
"""Checks every batch/v1 Job in a manifest file against Kubernetes' published Job schema.

    validate_manifests.py MANIFESTS.yaml

The schema is tests/k8s/batch-v1-job.openapi.json (a copy of the published
OpenAPI definitions; its x-kreg-source says which). Validation is strict, as
kubeconform -strict is: a field the schema does not define is an error (the API
server drops unknown fields silently, so a misspelt field would be lost). Read
with PyYAML (python3-yaml) and checked with jsonschema (python3-jsonschema).
Prints one line per problem with its path; exits 1 on any problem or when the
file holds no Job, 0 otherwise. Other documents (the plan's ConfigMap) are
listed and left to tests/unit/k8s_manifest_test.cpp.
"""
import copy
import json
import pathlib
import re
import sys

import jsonschema
import yaml

SCHEMA = pathlib.Path(__file__).with_name("batch-v1-job.openapi.json")
JOB = "#/components/schemas/io.k8s.api.batch.v1.Job"


def strict(node):
    """Every object schema that lists properties accepts no others (unless it says otherwise)."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


def job_validator():
    document = strict(copy.deepcopy(json.loads(SCHEMA.read_text())))
    # One document: the $refs ("#/components/schemas/...") resolve against it.
    document["$ref"] = JOB
    return jsonschema.Draft7Validator(document)


def where(error):
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "(document)"


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    validator = job_validator()
    problems, jobs = [], 0
    with open(sys.argv[1], encoding="utf-8") as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    for number, doc in enumerate(documents, 1):
        kind, api = doc.get("kind"), doc.get("apiVersion")
        name = (doc.get("metadata") or {}).get("name", "?")
        if (api, kind) != ("batch/v1", "Job"):
            print(f"document {number}: {api} {kind} {name}: not a batch/v1 Job, not checked here")
            continue
        jobs += 1
        try:
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        except Exception as e:  # jsonschema's RefResolutionError (newer releases: a referencing error)
            missing = re.search(r"io\.k8s\.[\w.]+", str(e))
            if missing is None:
                raise
            problems.append(f"document {number}: Job {name}: uses {missing.group(0)}, which {SCHEMA.name} does not "
                            "hold: copy it from the source its x-kreg-source names")
            continue
        for e in errors:
            problems.append(f"document {number}: Job {name}: {where(e)}: {e.message}")
        if not errors:
            print(f"document {number}: Job {name}: valid batch/v1 Job")
    if jobs == 0:
        problems.append(f"{sys.argv[1]}: no batch/v1 Job in {len(documents)} documents")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
