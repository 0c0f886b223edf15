"""kreg's own tables, as `kreg catalog` writes them: the generator table (scenario families, what a
sweep's x counts, the measured key of the objects the kernel holds), the metric renames and the cgroup
v2 -> v1 file table. plots/ keeps no copy of these facts.

Where the file is: catalog.use(PATH) (report.py's --catalog, which `kreg report` passes), else
$KREG_CATALOG (the tests point it at build/catalog.json). Standard library only.
"""

import json
import os
from collections.abc import Mapping

_path = None
_data = None


def use(path):
    """Read the catalog from `path` from now on."""
    global _path, _data
    _path, _data = path, None


def data():
    global _data
    if _data is None:
        path = _path or os.environ.get("KREG_CATALOG")
        if not path:
            raise RuntimeError("no kreg catalog: run `kreg report` (it passes --catalog), "
                               "or set KREG_CATALOG to the output of `kreg catalog`")
        with open(path, encoding="utf-8") as f:
            _data = json.load(f)
    return _data


def families():
    """Every scenario family: {"id", "x_label", "held_key", "held_label"} plus its generator's name."""
    return [dict(f, generator=g["name"]) for g in data()["generators"] for f in g["families"]]


def cgroup_scenarios():
    """Generators that run once per cgroup mode."""
    return {g["name"] for g in data()["generators"] if g["uses_cgroups"]}


def renamed_metrics():
    return data().get("renamed_metrics") or {}


class LazyMap(Mapping):
    """A mapping built from the catalog on first use, so importing a plot module needs no catalog."""

    def __init__(self, build):
        self._build, self._map = build, None

    def _get(self):
        if self._map is None:
            self._map = self._build()
        return self._map

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())
