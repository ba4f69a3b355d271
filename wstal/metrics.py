"""The reported numbers: which tIoUs each average spans, their names and labels, in one place.

The papers report mAP at single tIoUs and averages over tIoU ranges (CMCS: AVG5 = 0.1:0.5;
RSKP: AVG7 = 0.1:0.7; some tables AVG3-7 = 0.3:0.7). Training scores (`wstal.run`), the
tidy results table, the tables, figures and the catalog's column vocabulary all read the
ranges and names from here, so an average means the same thing everywhere.

Three spellings of one number:
* catalog column: `AVG5`, `mAP@0.5`, `cls-mAP`   (what a table shows; `config/catalog.yaml`)
* metric key:     `avg5`, `map@0.5`, `cls_map`   (the key in metrics.json `averages`, report code)
* label:          `AVG(0.1:0.5)`, `mAP@0.5`, `cls. mAP` (what a reader sees)

Synthetic runs also report phase coverage (`wstal.evaluation.phase_coverage`): columns
`cover-disc`, `cover-rest`, `cover-balance`, keys `cover_disc`, ... (metrics.json
`phase_coverage` {disc, rest, balance}).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from wstal.errors import ConfigError


@dataclass(frozen=True)
class Average:
    """Mean mAP over a range of tIoU thresholds."""

    column: str  # catalog column
    key: str  # metrics.json `averages` key and report metric name
    tious: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"AVG({self.tious[0]:g}:{self.tious[-1]:g})"


AVERAGES: dict[str, Average] = {a.column: a for a in (
    Average("AVG5", "avg5", (0.1, 0.2, 0.3, 0.4, 0.5)),
    Average("AVG7", "avg7", (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)),
    Average("AVG3-7", "avg3-7", (0.3, 0.4, 0.5, 0.6, 0.7)),
)}
AVERAGE_TIOUS: dict[str, tuple[float, ...]] = {a.key: a.tious for a in AVERAGES.values()}
_BY_KEY = {a.key: a for a in AVERAGES.values()}

CLS_MAP = "cls-mAP"  # classification mAP of video-level scores
GMACS = "GMACs"  # exact model cost (results/macs.json), not a metrics.json number
PER_CLASS = "AP per class"


@dataclass(frozen=True)
class Coverage:
    """One phase-coverage number of synthetic runs (`wstal.evaluation.phase_coverage`)."""

    column: str  # catalog column
    part: str  # the entry of metrics.json `phase_coverage`
    label: str
    signed: bool = False  # a difference of two shares (balance): 0 = both parts covered alike

    @property
    def key(self) -> str:
        """Metric key and results-table column."""
        return self.column.replace("-", "_")

    @property
    def bounds(self) -> tuple[float, float]:
        """The possible values: a share in %, or a difference of two shares."""
        return (-100.0, 100.0) if self.signed else (0.0, 100.0)


COVERAGE: dict[str, Coverage] = {c.column: c for c in (
    Coverage("cover-disc", "disc", "disc. phase coverage (%)"),
    Coverage("cover-rest", "rest", "other phases coverage (%)"),
    Coverage("cover-balance", "balance", "other - disc. phase coverage (points)", signed=True),
)}
COVERAGE_PARTS: dict[str, Coverage] = {c.part: c for c in COVERAGE.values()}  # metrics.json entry -> record
COLUMN_PATTERN = re.compile(r"^(" + "|".join(re.escape(c) for c in (*AVERAGES, *COVERAGE))
                            + rf"|{re.escape(CLS_MAP)}|{GMACS}|mAP@0\.\d+|{PER_CLASS})$")
_LABELS = {CLS_MAP: "cls. mAP", "cls_map": "cls. mAP", GMACS: "GMACs",
           **{name: c.label for c in COVERAGE.values() for name in (c.column, c.key)}}


def column_metric(column: str) -> str:
    """`AVG5` -> `avg5`, `mAP@0.5` -> `map@0.5`, `cls-mAP` -> `cls_map` (the number a column shows)."""
    if column in AVERAGES:
        return AVERAGES[column].key
    if column == CLS_MAP:
        return "cls_map"
    if column in COVERAGE:
        return COVERAGE[column].key
    if column.startswith("mAP@"):
        return "map@" + column[4:]
    if column == GMACS:
        return column
    raise ConfigError(f"column {column!r} is not a metrics number (known: {', '.join(AVERAGES)}, mAP@0.X, "
                      f"{CLS_MAP}, {', '.join(COVERAGE)}, {GMACS})")


def metric_label(name: str) -> str:
    """What a reader sees for a column or a metric key."""
    if name in _LABELS:
        return _LABELS[name]
    average = AVERAGES.get(name) or _BY_KEY.get(name)
    if average is not None:
        return average.label
    if name.startswith("map@"):
        return "mAP@" + name[4:]
    return name


def tiou_key(tiou: float) -> float:
    """tIoUs compare after rounding (0.1 * 3 != 0.3 in floats)."""
    return round(float(tiou), 4)


def average_of(map_by_tiou: Mapping[float, float], key: str) -> float | None:
    """The named average from mAP per tIoU (keys rounded by `tiou_key`); None when a tIoU is missing."""
    tious = AVERAGE_TIOUS[key]
    if not all(tiou_key(t) in map_by_tiou for t in tious):
        return None
    return float(np.mean([map_by_tiou[tiou_key(t)] for t in tious]))


def all_tious(extra: tuple[float, ...] = ()) -> tuple[float, ...]:
    """`extra` plus every tIoU an average needs, sorted (what an evaluation scores)."""
    wanted = {tiou_key(t) for t in extra}
    for tious in AVERAGE_TIOUS.values():
        wanted.update(tiou_key(t) for t in tious)
    return tuple(sorted(wanted))
