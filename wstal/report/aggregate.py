"""One number over seeds, and the one reader of result JSON files.

Tables, figures, verdicts and the golden regression start from the tidy results table
(`wstal.report.results`), which reads every metrics file through `read_json` here; what
a row shows over seeds is a `SeedStats`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wstal.utils.jsonfile import read_json as read_json_file
from wstal.report.validate_metrics import validate_metrics


@dataclass(frozen=True)
class SeedStats:
    """One number over seeds: the values, the seeds they come from, and the data they were trained on.

    `group` names the training data (the data variant): two rows with the same group share
    data, so their runs with the same seed are paired (the verdicts use per-seed differences).
    """

    values: tuple[float, ...]
    seeds: tuple[int, ...] = ()
    group: str | None = None

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

    def by_seed(self) -> dict[int, float]:
        return dict(zip(self.seeds, self.values))

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
