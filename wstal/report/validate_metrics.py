"""Check a metrics file before any number of it reaches a table, figure, verdict or golden file.

A metrics file is trusted only if it could have been written by `wstal evaluate`: a JSON
object whose mAP values are finite percentages, with one value per tIoU, and whose
identity fields (dataset, scale, experiment, seed, variant), where present, match the
run folder it sits in (`<dataset>/<scale>/<experiment>/seed<k>/<variant>/metrics*.json`).
A NaN, a 1e6, a -5 or a file copied from another run is an error naming the file and
the field, never a number in a table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from wstal.errors import DataError
from wstal.metrics import COVERAGE_PARTS

PERCENT = (0.0, 100.0)


def validate_metrics(data: Any, path: str | Path) -> dict:
    """Return `data` if it is a plausible metrics dict for `path`; else raise a one-line DataError."""
    path = Path(path)
    if not isinstance(data, dict):
        raise DataError(path, f"expected a metrics JSON object, got {type(data).__name__}")
    tious = data.get("tiou")
    maps = data.get("map")
    if tious is not None or maps is not None:
        _numbers(tious, "tiou", path, (0.0, 1.0))
        _numbers(maps, "map", path, PERCENT)
        if len(tious) != len(maps):
            raise DataError(path, f"'map' has {len(maps)} values for {len(tious)} tIoU thresholds")
    for key in ("average", "classification_map"):
        if data.get(key) is not None:
            _number(data[key], key, path, PERCENT)
    _each(data, "averages", path, "an object of named averages", _number)
    _each(data, "per_class", path, "an object class -> [AP per tIoU]", _numbers)
    _each(data, "phase_coverage", path, "an object of coverages in %", _coverage)
    best = data.get("best_on_test")
    if best is not None:
        if not isinstance(best, dict):
            raise DataError(path, "'best_on_test' must be an object or null")
        validate_metrics({k: best.get(k) for k in ("tiou", "map", "average")}, path)
    _check_identity(data, path)
    return data


def _each(data: dict, key: str, path: Path, shape: str, check: Any) -> None:
    """Every entry of the optional object `data[key]` through `check` (named `key.entry`)."""
    entries = data.get(key)
    if entries is None:
        return
    if not isinstance(entries, dict):
        raise DataError(path, f"{key!r} must be {shape}")
    for name, value in entries.items():
        check(value, f"{key}.{name}", path, PERCENT)


def _coverage(value: Any, field: str, path: Path, bounds: tuple[float, float]) -> float:
    """A share in % (disc, rest), or their difference (balance): the bounds of its `Coverage` record."""
    part = COVERAGE_PARTS.get(field.partition(".")[2])
    return _number(value, field, path, part.bounds if part else bounds)


def _number(value: Any, field: str, path: Path, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataError(path, f"field {field!r} is {value!r}, not a finite number")
    low, high = bounds
    if not low <= value <= high:
        raise DataError(path, f"field {field!r} is {value!r}, outside [{low:g}, {high:g}]: not a possible value")
    return float(value)


def _numbers(values: Any, field: str, path: Path, bounds: tuple[float, float]) -> list[float]:
    if not isinstance(values, list) or not values:
        raise DataError(path, f"field {field!r} must be a non-empty list of numbers, got {type(values).__name__}")
    return [_number(v, f"{field}[{i}]", path, bounds) for i, v in enumerate(values)]


def _check_identity(data: dict, path: Path) -> None:
    """Fields naming the run must match the folders the file sits in (a copied file would not)."""
    parts = path.parts
    if len(parts) < 6 or not path.name.startswith("metrics") or not parts[-3].startswith("seed"):
        return
    expected = {"variant": parts[-2], "experiment": parts[-4], "scale": parts[-5], "dataset": parts[-6]}
    for field, wanted in expected.items():
        value = data.get(field)
        if value is not None and value != wanted:
            raise DataError(path, f"field {field!r} is {value!r} but the file sits in the folder of {field} "
                                  f"{wanted!r}: a metrics file of another run?")
    seed_text = parts[-3][len("seed"):]
    provenance = data.get("provenance")
    seed = provenance.get("seed") if isinstance(provenance, dict) else None
    if seed is not None and seed_text.isdigit() and seed != int(seed_text):
        raise DataError(path, f"provenance seed is {seed!r} but the file sits in folder seed{seed_text}: a metrics "
                              "file of another run?")
