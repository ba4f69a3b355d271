"""Catalog + tidy results table -> what a table, a figure, the summary and the golden file show.

The catalog (`wstal.catalog`) says which experiment/variant/protocol each row is, what the
paper reported and which row a row is compared with (`reference`); the tidy results table
(`wstal.report.results`) holds every evaluated number. This module joins the two: per row
and column our values over seeds (`SeedStats`), the paper's number, the difference from the
reference row, every claim's verdict, and the links from a row to its catalog entry and run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wstal.artifacts import Artifact, Row
from wstal.catalog import Catalog
from wstal.errors import ConfigError, DataError
from wstal.metrics import GMACS, PER_CLASS
from wstal.report.aggregate import SeedStats, read_json
from wstal.report.paths import Layout
from wstal.report.plan import (  # noqa: F401 (the planning helpers, re-exported for the report code)
    artifact_inputs, is_qualitative, needs_macs, run_evaluations, seeds_for, selected_artifacts)
from wstal.report.results import ResultsTable, artifact_results, read_results
from wstal.report.views import RowView, RunInfo, TableView
from wstal.report.verdicts import Judgement, difference, is_paired, judge, judge_exact, smallest_effect

SYNTHETIC = "synthetic"  # the generated benchmark: absolute numbers are not comparable with the papers'


# ------------------------------------------------------------------ inputs (also used by the Snakefile)


def row_metric_files(layout: Layout, row: Row, seeds: Sequence[int]) -> list[str]:
    if row.experiment is None:
        return []
    return [str(layout.metrics(row.experiment, s, row.variant, row.protocol)) for s in seeds]


# ------------------------------------------------------------------ values


def group_of(catalog: Catalog, row: Row) -> str | None:
    """The data a row's model was trained on: rows of one group are paired seed by seed."""
    return None if row.experiment is None else catalog.experiment(row.experiment).data_variant


def row_stats(catalog: Catalog, results: ResultsTable, row: Row, column: str, seeds: Sequence[int]) -> SeedStats:
    return results.values(row, column, seeds, group_of(catalog, row))


def row_values(layout: Layout, row: Row, column: str, seeds: Sequence[int]) -> SeedStats:
    """One row's values over seeds, read on their own (figures); no pairing group."""
    if row.experiment is None:
        return SeedStats(())
    return read_results(None, layout, seeds, [(row.experiment, row.variant, row.protocol)]).values(row, column, seeds)


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


def judgements(catalog: Catalog, artifact: Artifact, layout: Layout, seeds: Sequence[int],
               results: ResultsTable | None = None) -> list[Judgement]:
    results = results if results is not None else artifact_results(catalog, layout, seeds, [artifact.name])
    out = []
    for claim in artifact.claims:
        column = claim.metric or artifact.metric
        if column == GMACS:
            out.append(judge_exact(claim, macs_values(layout, artifact)[0]))
            continue
        members = [r.label for r in artifact.rows if r.series == claim.rhs] if claim.op == "best-in" else []
        labels = members or [claim.lhs, claim.rhs]
        rows = {label: row_stats(catalog, results, artifact.row(label), column, seeds) for label in labels}
        paper = {label: artifact.row(label).paper.get(column) for label in labels}
        effect = smallest_effect(claim, paper, catalog.margin)
        out.append(judge(claim, rows, catalog.margin, members, min_effect=effect))
    return out


# ------------------------------------------------------------------ table views


def _href(target: Path, start: Path) -> str:
    return Path(os.path.relpath(Path(target).resolve(), Path(start).resolve())).as_posix()


def run_info(catalog: Catalog, layout: Layout, row: Row, seeds: Sequence[int], results: ResultsTable) -> RunInfo | None:
    """What a row is (experiment, inference variant, protocol) with links to the catalog and its run."""
    if row.experiment is None:
        return None
    catalog_href = _href(catalog.path, layout.tables)
    experiment_line = catalog.experiment(row.experiment).line
    protocol = (row.protocol or results.protocol_of(row, seeds[0])) if seeds else row.protocol
    return RunInfo(
        experiment=row.experiment, variant=row.variant, protocol=protocol or "primary",
        row_href=f"{catalog_href}#L{row.line}" if row.line else catalog_href,
        experiment_href=f"{catalog_href}#L{experiment_line}" if experiment_line else catalog_href,
        config_href=_href(layout.run_dir(row.experiment, seeds[0]) / "config.json", layout.tables) if seeds else "",
    )


def _mode(art: Artifact, layout: Layout) -> str:
    has_paper = any(v is not None for row in art.rows for v in row.paper.values())
    has_reference = art.reference is not None or any(r.reference for r in art.rows)
    if not has_paper:
        return "matrix" if has_reference else "absolute"
    return "effects" if layout.dataset == SYNTHETIC and has_reference else "absolute"


def table_view(catalog: Catalog, artifact: str, layout: Layout, seeds: Sequence[int]) -> TableView:
    art = catalog.artifact(artifact)
    if art.kind != "table":
        raise ConfigError(f"{artifact} is a {art.kind}, not a table (use `wstal figure`)")
    results = artifact_results(catalog, layout, seeds, [art.name])
    gmacs, macs_note = macs_values(layout, art)
    columns = numeric_columns(art)
    stats: dict[str, dict[str, SeedStats]] = {}
    for row in art.rows:
        stats[row.label] = {c: (SeedStats((gmacs[row.label],)) if row.label in gmacs else SeedStats(()))
                            if c == GMACS else row_stats(catalog, results, row, c, seeds) for c in columns}
    rows = []
    for row in art.rows:
        reference = art.reference_of(row)
        view = RowView(row.label, dict(row.paper), stats[row.label], exact=frozenset({GMACS}),
                       run=run_info(catalog, layout, row, seeds, results), reference=reference,
                       is_reference=reference == row.label or (reference is None and any(
                           art.reference_of(r) == row.label for r in art.rows)))
        if reference is not None and reference != row.label:
            ref_row = art.row(reference)
            for column in columns:
                if column == GMACS:
                    continue
                ours, base = stats[row.label][column], stats[reference][column]
                view.effects[column] = difference(ours, base, is_paired(ours, base)) if ours.values else None
                paper, paper_base = row.paper.get(column), ref_row.paper.get(column)
                view.paper_effects[column] = None if paper is None or paper_base is None else paper - paper_base
        rows.append(view)
    notes = [n for n in (art.note, macs_note) if n]
    return TableView(artifact=art.name, caption=art.caption, metrics=columns, rows=rows,
                     judgements=judgements(catalog, art, layout, seeds, results), notes=notes,
                     dataset=layout.dataset, scale=layout.scale, mode=_mode(art, layout), seeds=len(seeds),
                     margin=catalog.margin, metric=art.metric)


# ------------------------------------------------------------------ flat numbers (golden regression, summary)


@dataclass(frozen=True)
class Number:
    """One reproduced number: artifact, row, column, and its per-seed values (GMACs: one exact value)."""

    artifact: str
    row: str
    column: str
    values: tuple[float, ...]


def artifact_numbers(catalog: Catalog, artifact: str, layout: Layout, seeds: Sequence[int],
                     results: ResultsTable | None = None) -> list[Number]:
    art = catalog.artifact(artifact)
    results = results if results is not None else artifact_results(catalog, layout, seeds, [artifact])
    out = []
    for row in art.rows:
        for column in numeric_columns(art):
            if column == GMACS:
                if row.macs is not None:
                    report = read_json(layout.macs, "MACs")
                    out.append(Number(art.name, row.label, "MACs", (float(macs_count(report, row.macs, layout)),)))
            elif row.experiment is not None:
                out.append(Number(art.name, row.label, column, results.values(row, column, seeds).values))
    return out


def all_numbers(catalog: Catalog, layout: Layout, seeds: Sequence[int], artifacts: Iterable[str]) -> list[Number]:
    artifacts = list(artifacts)
    results = artifact_results(catalog, layout, seeds, artifacts)
    return [n for a in artifacts for n in artifact_numbers(catalog, a, layout, seeds, results)]
