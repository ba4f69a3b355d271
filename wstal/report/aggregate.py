"""Read run metrics and reduce them over seeds.

Tables, figures, verdicts and the golden regression all start here, so that "what a
number means" (which field of which metrics.json, averaged how) is decided once.
Metric names used by the catalog and the report:

* `avg5`, `avg7`, ... : `metrics["averages"][name]` (mean mAP over tIoU 0.1:0.1:0.5 / 0.1:0.1:0.7)
* `average`          : the protocol's own average (`metrics["average"]`)
* `map@0.5`          : mAP at one tIoU (looked up in `metrics["tiou"]`)
* `cls_map`          : classification mAP (`metrics["classification_map"]`)
* `best:<metric>`    : the same metric from the labelled best-on-test evaluation
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from wstal.utils.jsonfile import read_json as read_json_file
from wstal.report.validate_metrics import validate_metrics
from wstal.errors import DataError, WstalError


@dataclass(frozen=True)
class SeedStats:
    """One number over seeds: the values, their mean and sample standard deviation."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1); NaN with one seed, because one seed has no spread."""
        return float(np.std(self.values, ddof=1)) if self.n >= 2 else math.nan

    def format(self, digits: int = 1, pm: str = "±") -> str:
        if not self.values:
            return "–"
        if self.n == 1:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} {pm} {self.std:.{digits}f}"


def read_json(path: str | Path, what: str = "metrics") -> dict:
    """A result JSON file, or a DataError naming it (missing or unreadable)."""
    data = read_json_file(path, f"{what} file not found (run the workflow that produces it)")
    return validate_metrics(data, path) if what == "metrics" else data


def metric_value(metrics: Mapping[str, Any], metric: str, where: str | Path = "metrics") -> float:
    """The value (in %) of one named metric in a metrics.json dict."""
    if metric.startswith("best:"):
        best = metrics.get("best_on_test")
        if not best:
            raise DataError(where, f"metric {metric!r} asked for, but the run has no best-on-test evaluation")
        return metric_value(best, metric[len("best:"):], where)
    try:
        if metric.startswith("map@"):
            wanted = float(metric[4:])
            tious = [float(t) for t in metrics["tiou"]]
            for t, value in zip(tious, metrics["map"]):
                if abs(t - wanted) < 1e-9:
                    return float(value)
            raise DataError(where, f"metric {metric!r}: tIoU {wanted} not evaluated (have {tious})")
        if metric == "average":
            return float(metrics["average"])
        if metric == "cls_map":
            return float(metrics["classification_map"])
        averages = metrics.get("averages", {})
        if metric in averages:
            return float(averages[metric])
        if metric.startswith("avg"):
            return _average_from_map(metrics, metric, where)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(where, f"metric {metric!r} cannot be read ({type(exc).__name__}: {exc})") from None
    raise WstalError(f"{where}: unknown metric {metric!r} (known: avgN, average, map@T, cls_map, best:<metric>)")


def _average_from_map(metrics: Mapping[str, Any], metric: str, where: str | Path) -> float:
    """`avgN`: mean mAP over tIoU 0.1..N/10 (the papers' AVG5 / AVG7) when not stored."""
    top = int(metric[3:]) / 10
    pairs = [(float(t), float(v)) for t, v in zip(metrics["tiou"], metrics["map"])]
    wanted = [round(0.1 * k, 10) for k in range(1, int(metric[3:]) + 1)]
    values = [v for t, v in pairs if any(abs(t - w) < 1e-9 for w in wanted)]
    if len(values) != len(wanted):
        raise DataError(where, f"metric {metric!r} needs mAP at tIoU 0.1..{top:.1f}, have {[t for t, _ in pairs]}")
    return float(np.mean(values))


def per_class_average(metrics: Mapping[str, Any], tious: Sequence[float], where: str | Path = "metrics") -> dict[str, float]:
    """Per-class AP (in %) averaged over the given tIoUs (CMCS Fig. 3/4 use 0.1:0.5)."""
    try:
        all_tious = [float(t) for t in metrics["tiou"]]
        index = [next(i for i, t in enumerate(all_tious) if abs(t - w) < 1e-9) for w in tious]
        per_class = metrics["per_class"]
    except (KeyError, StopIteration) as exc:
        raise DataError(where, f"per-class AP at tIoU {list(tious)} not available ({exc!r})") from None
    scale = 100.0 if _looks_fractional(metrics) else 1.0
    return {name: scale * float(np.mean([values[i] for i in index])) for name, values in per_class.items()}


def _looks_fractional(metrics: Mapping[str, Any]) -> bool:
    """Per-class APs may be stored in [0, 1] while `map` is in %: their class mean is mAP, so compare."""
    per_class = metrics["per_class"]
    if not per_class or not metrics["map"]:
        return False
    first = float(np.mean([v[0] for v in per_class.values()]))
    return abs(first * 100 - float(metrics["map"][0])) < abs(first - float(metrics["map"][0]))


def collect(paths: Iterable[str | Path], metric: str) -> SeedStats:
    """The named metric read from one metrics.json per seed."""
    values = []
    for path in paths:
        values.append(metric_value(read_json(path), metric, path))
    return SeedStats(tuple(values))
