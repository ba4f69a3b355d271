"""Catalog + run folders -> what a table, a figure, the summary and the golden file show.

The catalog (`wstal.catalog`) says which experiment/variant/protocol each row is and what
the paper reported; the run folders hold one metrics.json per seed. This module joins
the two: per row and column, our values over seeds (`SeedStats`), the paper's number,
and the verdict of every claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from wstal.catalog import Artifact, Catalog, Claim as CatalogClaim, Row
from wstal.errors import ConfigError, DataError
from wstal.report.aggregate import SeedStats, collect, read_json
from wstal.report.paths import Layout
from wstal.report.plan import (  # noqa: F401 (the planning helpers, re-exported)
    GMACS, artifact_inputs, is_qualitative, needs_macs, run_evaluations, seeds_for, selected_artifacts)
from wstal.report.tables import RowView, TableView
from wstal.report.verdicts import Claim, Judgement, judge, judge_exact

PER_CLASS = "AP per class"
# catalog column -> aggregate metric name (docs in wstal/report/aggregate.py)
_COLUMN_METRICS = {"AVG5": "avg5", "AVG7": "avg7", "AVG3-7": "avg3-7", "cls-mAP": "cls_map"}
# catalog claim operator -> verdict relation (wstal/report/verdicts.py)
_RELATIONS = {">": ">", "<": "<", "~=": "~", "<=": "<="}


def column_metric(column: str) -> str:
    """`AVG5` -> `avg5`, `mAP@0.5` -> `map@0.5` (the metrics.json field the column shows)."""
    if column in _COLUMN_METRICS:
        return _COLUMN_METRICS[column]
    if column.startswith("mAP@"):
        return "map@" + column[4:]
    raise ConfigError(f"column {column!r} is not a metrics.json number")


# ------------------------------------------------------------------ metrics files


def row_metric_files(layout: Layout, row: Row, seeds: Sequence[int]) -> list[str]:
    if row.experiment is None:
        return []
    return [str(layout.metrics(row.experiment, s, row.variant, row.protocol)) for s in seeds]


# ------------------------------------------------------------------ values


def row_values(layout: Layout, row: Row, column: str, seeds: Sequence[int]) -> SeedStats:
    if row.experiment is None:
        return SeedStats(())
    return collect(row_metric_files(layout, row, seeds), column_metric(column))


def macs_values(layout: Layout, artifact: Artifact) -> tuple[dict[str, float], str]:
    """GMACs per row label (rows naming a `macs` model) and the note macs.json carries for table7."""
    if not needs_macs(artifact):
        return {}, ""
    report = read_json(layout.macs, "MACs")
    values = {row.label: macs_count(report, row.macs, layout) / 1e9 for row in artifact.rows if row.macs}
    inter = any(r.macs == "rskp_inter" for r in artifact.rows if r.macs)
    note = report.get("rskp_inter_note", {}).get("text", "") if inter else ""
    return values, note


def macs_count(report: dict, model: str, layout: Layout) -> int:
    models = report.get("models", {})
    if model not in models:
        raise DataError(layout.macs, f"no MACs for model {model!r}; have {', '.join(models)}")
    return int(models[model]["macs"])


def numeric_columns(artifact: Artifact) -> list[str]:
    return [c for c in artifact.columns if c != PER_CLASS]


def to_verdict_claim(claim: CatalogClaim, artifact: Artifact) -> Claim:
    metric = claim.metric or artifact.metric
    if claim.op == "best-in":
        members = tuple(r.label for r in artifact.rows if r.series == claim.rhs)
        return Claim("best", members, claim.lhs, metric, text=claim.text)
    if claim.op == ">=":  # "lhs is not worse than rhs" = "rhs makes no improvement over lhs"
        return Claim("<=", (claim.rhs, claim.lhs), None, metric, text=claim.text)
    return Claim(_RELATIONS[claim.op], (claim.lhs, claim.rhs), None, metric, text=claim.text)


def judgements(artifact: Artifact, layout: Layout, seeds: Sequence[int]) -> list[Judgement]:
    out = []
    for claim in artifact.claims:
        vclaim = to_verdict_claim(claim, artifact)
        if vclaim.metric == GMACS:
            out.append(judge_exact(vclaim, macs_values(layout, artifact)[0]))
            continue
        rows = {label: row_values(layout, artifact.row(label), vclaim.metric, seeds) for label in vclaim.rows}
        out.append(judge(vclaim, rows))
    return out


def table_view(catalog: Catalog, artifact: str, layout: Layout, seeds: Sequence[int]) -> TableView:
    art = catalog.artifact(artifact)
    if art.kind != "table":
        raise ConfigError(f"{artifact} is a {art.kind}, not a table (use `wstal figure`)")
    gmacs, macs_note = macs_values(layout, art)
    columns = numeric_columns(art)
    rows = []
    for row in art.rows:
        ours = {}
        for column in columns:
            if column == GMACS:
                ours[column] = SeedStats((gmacs[row.label],)) if row.label in gmacs else SeedStats(())
            else:
                ours[column] = row_values(layout, row, column, seeds)
        label = row.label + (f" [{row.protocol}]" if row.protocol and _mixed_protocols(art) else "")
        rows.append(RowView(label, dict(row.paper), ours, exact=frozenset({GMACS})))
    notes = [n for n in (art.note, macs_note) if n]
    return TableView(artifact=art.name, caption=art.caption, metrics=columns, rows=rows,
                     judgements=judgements(art, layout, seeds), notes=notes,
                     dataset=layout.dataset, scale=layout.scale)


def _mixed_protocols(art: Artifact) -> bool:
    return len({r.protocol for r in art.rows}) > 1


# ------------------------------------------------------------------ flat numbers (golden regression, summary)


@dataclass(frozen=True)
class Number:
    """One reproduced number: artifact, row, column, and its per-seed values (GMACs: one exact value)."""

    artifact: str
    row: str
    column: str
    values: tuple[float, ...]


def artifact_numbers(catalog: Catalog, artifact: str, layout: Layout, seeds: Sequence[int]) -> list[Number]:
    art = catalog.artifact(artifact)
    gmacs, _ = macs_values(layout, art)
    out = []
    for row in art.rows:
        for column in numeric_columns(art):
            if column == GMACS:
                if row.macs is not None:
                    report = read_json(layout.macs, "MACs")
                    out.append(Number(art.name, row.label, "MACs", (float(macs_count(report, row.macs, layout)),)))
            elif row.experiment is not None:
                out.append(Number(art.name, row.label, column, row_values(layout, row, column, seeds).values))
    return out


def all_numbers(catalog: Catalog, layout: Layout, seeds: Sequence[int], artifacts: Iterable[str]) -> list[Number]:
    return [n for a in artifacts for n in artifact_numbers(catalog, a, layout, seeds)]
