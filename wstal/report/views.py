"""What a table shows: rows, runs, judgements. Built by `wstal.report.build`, drawn by `tables`.

Its own module so that figures and the summary, which build views too, do not depend on the
table renderers: an edit to how tables are drawn re-renders tables only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wstal.report.aggregate import SeedStats
from wstal.report.verdicts import Difference, Judgement


@dataclass(frozen=True)
class RunInfo:
    """Which run a row shows, and where it is defined."""

    experiment: str
    variant: str  # inference variant
    protocol: str
    row_href: str  # the row's catalog entry
    experiment_href: str  # the experiment's catalog entry
    config_href: str  # the run's resolved config (first seed)


@dataclass
class RowView:
    label: str
    paper: dict[str, float | None]  # column -> the paper's number (None: not reported)
    ours: dict[str, SeedStats]  # column -> our values over seeds
    exact: frozenset[str] = frozenset()  # columns that are counts, not seed statistics (GMACs)
    run: RunInfo | None = None
    reference: str | None = None  # the row this row is compared with
    is_reference: bool = False
    effects: dict[str, Difference | None] = field(default_factory=dict)  # column -> ours − reference
    paper_effects: dict[str, float | None] = field(default_factory=dict)  # column -> paper − paper's reference


@dataclass
class TableView:
    artifact: str
    caption: str  # names the paper and its table
    metrics: list[str]
    rows: list[RowView]
    judgements: list[Judgement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dataset: str = ""
    scale: str = ""
    digits: int = 1
    mode: str = "absolute"  # absolute | effects | matrix
    seeds: int = 0
    margin: float = 1.0
    metric: str | None = None  # the column claims compare by default (the artifact's metric)
