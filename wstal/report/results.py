"""The tidy results table: every evaluated run, one row per tIoU, the one source of the report's numbers.

Columns (one row per dataset × scale × experiment × inference variant × protocol × seed ×
checkpoint × tIoU):

* run: `dataset`, `scale`, `experiment`, `method`, `data_variant`, `variant` (inference variant),
  `protocol` (the one scored), `primary` (True: the method's own protocol, `metrics.json`), `seed`,
  `checkpoint` (`final`, or `best_on_test` for the labelled periodic test-set evaluation)
* numbers: `tiou`, `map` (%), `cls_map` (%, per run), `cover_disc`, `cover_rest`, `cover_balance`
  (phase coverage of synthetic runs, per run, `wstal.evaluation.phase_coverage`), `AP:<class>` (per-class AP in %)
* provenance: `train_commits` (the commits the weights were trained at, `+`-joined), `eval_commit`,
  `train_wall_s`, `iterations_per_s`, `train_peak_memory_mb`, `eval_wall_s`, `eval_peak_memory_mb`,
  `source` (the metrics file)

Tables, figures, verdicts and the golden file compute every number from this table
(averages with the tIoU ranges of `wstal.metrics`); `wstal collect` and `wstal summary`
write it as `results/<dataset>/<scale>/metrics.csv` for notebooks:
`pd.read_csv(...).query("checkpoint == 'final'")`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wstal.artifacts import Row
from wstal.catalog import Catalog
from wstal.errors import DataError
from wstal.metrics import AVERAGE_TIOUS, COVERAGE, average_of, column_metric, tiou_key
from wstal.report.aggregate import SeedStats, read_json
from wstal.report.paths import Layout

AP_PREFIX = "AP:"
RUN_COLUMNS = ["dataset", "scale", "experiment", "method", "data_variant", "variant", "protocol", "primary",
               "seed", "checkpoint"]
COVERAGE_COLUMNS = {c.key: c.part for c in COVERAGE.values()}  # cover_disc: disc
PER_RUN_COLUMNS = ["cls_map", *COVERAGE_COLUMNS]  # one number per evaluation, repeated on its tIoU rows
NUMBER_COLUMNS = ["tiou", "map", *PER_RUN_COLUMNS]
PROVENANCE_COLUMNS = ["train_commits", "eval_commit", "train_wall_s", "iterations_per_s", "train_peak_memory_mb",
                      "eval_wall_s", "eval_peak_memory_mb", "source"]
FINAL = "final"
BEST_ON_TEST = "best_on_test"


def _evaluation_rows(metrics: Mapping[str, Any], run: dict, where: str | Path) -> list[dict]:
    """One record per tIoU of one evaluation (a metrics.json dict or its best-on-test part)."""
    try:
        tious = [float(t) for t in metrics["tiou"]]
        maps = [float(m) for m in metrics["map"]]
        per_class = metrics.get("per_class") or {}
        if len(tious) != len(maps) or any(len(v) != len(tious) for v in per_class.values()):
            raise ValueError("tiou, map and per_class lengths differ")
        records = []
        for i, (tiou, value) in enumerate(zip(tious, maps)):
            record = {**run, "tiou": tiou_key(tiou), "map": value}
            record.update({AP_PREFIX + name: float(aps[i]) for name, aps in per_class.items()})
            records.append(record)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(where, f"metrics cannot be read ({type(exc).__name__}: {exc})") from None
    return records


def run_records(metrics: Mapping[str, Any], *, dataset: str, scale: str, experiment: str, method: str | None,
                data_variant: str | None, variant: str, primary: bool, seed: int, source: str | Path) -> list[dict]:
    """The tidy rows of one metrics file: the final checkpoint's and, when present, best-on-test's."""
    provenance = metrics.get("provenance") or {}
    timing = metrics.get("timing") or {}
    commits = provenance.get("train_commits") or []
    run = {
        "dataset": dataset, "scale": scale, "experiment": experiment,
        "method": metrics.get("method", method), "data_variant": metrics.get("data_variant", data_variant),
        "variant": variant, "protocol": metrics.get("protocol"), "primary": primary, "seed": int(seed),
        "checkpoint": FINAL, "cls_map": _number(metrics.get("classification_map")),
        **{key: _number((metrics.get("phase_coverage") or {}).get(part)) for key, part in COVERAGE_COLUMNS.items()},
        "train_commits": "+".join(map(str, commits)) or None, "eval_commit": provenance.get("git_commit"),
        "train_wall_s": _number(timing.get("train_wall_s")),
        "iterations_per_s": _number(timing.get("iterations_per_s")),
        "train_peak_memory_mb": _number(timing.get("peak_memory_mb")),
        "eval_wall_s": _number(timing.get("eval_wall_s")),
        "eval_peak_memory_mb": _number(timing.get("eval_peak_memory_mb")), "source": str(source),
    }
    records = _evaluation_rows(metrics, run, source)
    best = metrics.get("best_on_test")
    if best and best.get("tiou"):
        best_run = {**run, "checkpoint": BEST_ON_TEST, **{key: np.nan for key in PER_RUN_COLUMNS},
                    "protocol": best.get("protocol", run["protocol"])}
        records += _evaluation_rows(best, best_run, source)
    return records


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else np.nan


@dataclass
class ResultsTable:
    """The tidy table and the lookups the report makes in it."""

    frame: pd.DataFrame

    def _select(self, row: Row, seed: int, where: str | Path) -> pd.DataFrame:
        f = self.frame
        mask = (f["experiment"] == row.experiment) & (f["variant"] == row.variant) & (f["seed"] == seed)
        mask &= f["checkpoint"] == FINAL
        mask &= f["primary"] if row.protocol is None else (f["protocol"] == row.protocol) & ~f["primary"]
        selected = f[mask].drop_duplicates("tiou")
        if selected.empty:
            raise DataError(where, f"no results for experiment {row.experiment!r}, variant {row.variant!r}, "
                                   f"protocol {row.protocol or 'primary'}, seed {seed} in the results table")
        return selected

    def value(self, row: Row, column: str, seed: int) -> float:
        """The number column `column` (`AVG5`, `mAP@0.5`, `cls-mAP`, `cover-rest`) of one catalog row and seed."""
        where = f"results table ({row.label!r}, seed {seed})"
        selected = self._select(row, seed, where)
        metric = column_metric(column)
        source = selected["source"].iloc[0]
        by_tiou = dict(zip(selected["tiou"], selected["map"]))
        if metric in PER_RUN_COLUMNS:
            value = selected[metric].iloc[0]
            if pd.isna(value):
                what = "classification mAP" if metric == "cls_map" else f"{column} (synthetic data with phases only)"
                raise DataError(source, f"no {what} recorded")
            return float(value)
        if metric.startswith("map@"):
            key = tiou_key(float(metric[4:]))
            if key not in by_tiou:
                raise DataError(source, f"{column}: tIoU {key} not evaluated (have {sorted(by_tiou)})")
            return float(by_tiou[key])
        value = average_of(by_tiou, metric)
        if value is None:
            raise DataError(source, f"{column} needs mAP at tIoU {list(AVERAGE_TIOUS[metric])}, have {sorted(by_tiou)}")
        return value

    def values(self, row: Row, column: str, seeds: Sequence[int], group: str | None = None) -> SeedStats:
        """Our values of a catalog row over seeds (empty for rows without an experiment)."""
        if row.experiment is None:
            return SeedStats(())
        return SeedStats(tuple(self.value(row, column, s) for s in seeds), tuple(seeds), group)

    def per_class(self, row: Row, column: str, seed: int) -> dict[str, float]:
        """Per-class AP (%) of one row and seed, averaged over the tIoUs of average `column`."""
        selected = self._select(row, seed, f"results table ({row.label!r}, seed {seed})")
        tious = [tiou_key(t) for t in AVERAGE_TIOUS[column_metric(column)]]
        chosen = selected[selected["tiou"].isin(tious)]
        if len(chosen) != len(tious):
            raise DataError(selected["source"].iloc[0], f"per-class AP at tIoU {tious} not available")
        classes = [c for c in chosen.columns if c.startswith(AP_PREFIX) and chosen[c].notna().all()]
        return {c[len(AP_PREFIX):]: float(np.mean(chosen[c].to_numpy())) for c in classes}

    def protocol_of(self, row: Row, seed: int) -> str | None:
        """The protocol the row's numbers were scored under (the method's own for primary rows)."""
        protocol = self._select(row, seed, f"results table ({row.label!r}, seed {seed})")["protocol"].iloc[0]
        return None if pd.isna(protocol) else str(protocol)

    def to_csv(self) -> str:
        return self.frame.to_csv(index=False)


def evaluations(catalog: Catalog, artifacts: Iterable[str] | None = None) -> list[tuple[str, str, str | None]]:
    """Distinct (experiment, variant, protocol) evaluations of the artifacts (default: all) that show
    numbers (qualitative figures, without a metric, read predictions instead)."""
    names = list(catalog.artifacts) if artifacts is None else list(artifacts)
    quantitative = [n for n in names if catalog.artifact(n).metric is not None]
    return list(dict.fromkeys(run for name in quantitative for run in catalog.runs(name)))


def read_results(catalog: Catalog | None, layout: Layout, seeds: Sequence[int],
                 runs: Iterable[tuple[str, str, str | None]]) -> ResultsTable:
    """Read the metrics file of every (experiment, variant, protocol) × seed into the tidy table.

    Method and data variant come from the catalog, else (catalog None) from the metrics files.
    """
    records: list[dict] = []
    for experiment, variant, protocol in runs:
        exp = catalog.experiment(experiment) if catalog is not None else None
        for seed in seeds:
            path = layout.metrics(experiment, seed, variant, protocol)
            records += run_records(read_json(path), dataset=layout.dataset, scale=layout.scale, experiment=experiment,
                                   method=exp and exp.method, data_variant=exp and exp.data_variant,
                                   variant=variant, primary=protocol is None, seed=seed, source=path)
    frame = pd.DataFrame.from_records(records)
    ap_columns = sorted({c for r in records for c in r if c.startswith(AP_PREFIX)})
    columns = RUN_COLUMNS + NUMBER_COLUMNS + ap_columns + PROVENANCE_COLUMNS
    return ResultsTable(frame.reindex(columns=columns))


def artifact_results(catalog: Catalog, layout: Layout, seeds: Sequence[int], artifacts: Iterable[str]) -> ResultsTable:
    return read_results(catalog, layout, seeds, evaluations(catalog, list(artifacts)))
