"""The catalog's artifact grammar: tables and figures, their rows and the claims on them.

Kept apart from `wstal.catalog` (data variants and experiments) because only the report
jobs read it: trainings, evaluations and data preparation import it to validate the
catalog, never to decide what they write, so an edit here re-runs tables, figures and the
summary only (`wstal.report.sources`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from wstal.errors import ConfigError
from wstal.evaluation.protocols import PROTOCOLS
from wstal.metrics import AVERAGES, COLUMN_PATTERN, COVERAGE

if TYPE_CHECKING:
    from wstal.catalog import Catalog

KINDS = ("table", "figure")
# Column vocabulary (COLUMN_PATTERN): wstal.metrics, how a table column maps to metrics.json.
# Claim operators: ordering, "about equal" (within the equivalence margin), "no worse/better than" (within
# the margin), "lhs is the best of series rhs"; how each is decided: wstal.report.verdicts.
CLAIM_OPS = (">=", "<=", "~=", ">", "<", "best-in")
_CLAIM_SPLIT = re.compile(r"^\s*(?P<lhs>.+?)\s+(?P<op>>=|<=|~=|>|<|best-in)\s+(?P<rhs>.+?)\s*$")


@dataclass(frozen=True)
class Row:
    """One row (table) or point (figure): which run, which variant/protocol, the paper's numbers."""

    label: str
    experiment: str | None  # None: paper numbers (and MACs) only, e.g. W-TALC in table7
    variant: str = "default"
    protocol: str | None = None  # None: the method's own protocol
    paper: Mapping[str, float | None] = field(default_factory=dict)
    x: Any = None  # figures: position on the x axis
    series: str | None = None  # figures: which line/panel
    macs: str | None = None  # model name in results/macs.json (table7)
    note: str = ""
    reference: str | None = None  # the row whose difference this row shows (default: the artifact's)
    line: int | None = None  # line of the entry in the catalog file (tables link to it)


@dataclass(frozen=True)
class Claim:
    """A paper claim as a checkable comparison of two row labels (or `row best-in series`)."""

    text: str
    lhs: str
    op: str
    rhs: str
    metric: str | None = None  # column compared; default: the artifact's metric
    min_effect: float | None = None  # e of a claim of a slight effect (verdicts.smallest_effect)

    @property
    def check(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"


PLOTS = ("values", "paired-gain")  # how a figure draws its rows


@dataclass(frozen=True)
class Artifact:
    """A table or figure of a paper's supplement (or ours) and everything needed to rebuild it."""

    name: str
    kind: str
    source: str
    paper: str  # "cmcs" | "rskp" | "ours"
    caption: str
    metric: str | None  # the column claims compare and figures plot (None: qualitative figure)
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    claims: tuple[Claim, ...] = ()
    choices: tuple[str, ...] = ()
    paper_text: str = ""  # what the paper says when it gives no numbers (figures)
    x_label: str = ""
    note: str = ""
    reference: str | None = None  # row label every row is compared with (effects, table8's differences)
    plot: str = "values"  # figures: "values" (rows' numbers) or "paired-gain" (see wstal.report.figures)

    def row(self, label: str) -> Row:
        for row in self.rows:
            if row.label == label:
                return row
        raise ConfigError(f"artifact {self.name!r} has no row {label!r}")

    def reference_of(self, row: Row) -> str | None:
        """The label of the row `row` is compared with (None: no reference; itself for a reference row)."""
        return row.reference or self.reference


def check_fields(entry: Any, where: str, required: set[str], optional: set[str]) -> dict:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    missing = required - set(entry)
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = set(entry) - required - optional
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return entry


def parse_claim(entry: Any, where: str) -> Claim:
    entry = check_fields(entry, where, {"text", "check"}, {"metric", "min_effect"})
    match = _CLAIM_SPLIT.match(str(entry["check"]))
    if not match:
        raise ConfigError(f"{where}: check {entry['check']!r} is not 'LABEL OP LABEL' with OP in "
                          f"{' '.join(CLAIM_OPS)}")
    min_effect = entry.get("min_effect")
    if min_effect is not None:
        number = isinstance(min_effect, (int, float)) and not isinstance(min_effect, bool)
        if match["op"] not in (">", "<", "best-in") or not number or min_effect <= 0:
            raise ConfigError(f"{where}: min_effect {min_effect!r}: a number > 0, on '>', '<' or 'best-in' claims")
        min_effect = float(min_effect)
    return Claim(text=str(entry["text"]), lhs=match["lhs"], op=match["op"], rhs=match["rhs"],
                 metric=entry.get("metric"), min_effect=min_effect)


def _parse_row(entry: Any, where: str, line: int | None = None) -> Row:
    entry = check_fields(entry, where, {"label"}, {"experiment", "variant", "protocol", "paper", "x", "series",
                                                   "macs", "note", "reference"})
    paper = entry.get("paper") or {}
    if not isinstance(paper, dict):
        raise ConfigError(f"{where}: paper must map column -> number")
    for column, value in paper.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(f"{where}: paper[{column!r}] must be a number or null, got {value!r}")
    return Row(label=str(entry["label"]), experiment=entry.get("experiment"),
               variant=str(entry.get("variant", "default")), protocol=entry.get("protocol"),
               paper={str(k): (None if v is None else float(v)) for k, v in paper.items()},
               x=entry.get("x"), series=entry.get("series"), macs=entry.get("macs"), note=str(entry.get("note", "")),
               reference=entry.get("reference"), line=line)


def parse_artifact(name: str, entry: Any, lines: Mapping[Any, int]) -> Artifact:
    where = f"artifact {name!r}"
    entry = check_fields(entry, where, {"kind", "source", "paper", "caption", "rows"},
                         {"metric", "columns", "claims", "choices", "paper_text", "x_label", "note", "reference",
                          "plot"})
    if entry.get("plot", "values") not in PLOTS:
        raise ConfigError(f"{where}: plot must be one of {', '.join(PLOTS)}, got {entry.get('plot')!r}")
    rows = entry["rows"]
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{where}: rows must be a non-empty list")
    return Artifact(
        name=name, kind=str(entry["kind"]), source=str(entry["source"]), paper=str(entry["paper"]),
        caption=str(entry["caption"]), metric=entry.get("metric"),
        columns=tuple(str(c) for c in entry.get("columns") or ()),
        rows=tuple(_parse_row(r, f"{where} row {i + 1}", lines.get(("row", name, i))) for i, r in enumerate(rows)),
        claims=tuple(parse_claim(c, f"{where} claim {i + 1}") for i, c in enumerate(entry.get("claims") or ())),
        choices=tuple(str(c) for c in entry.get("choices") or ()),
        paper_text=str(entry.get("paper_text", "")), x_label=str(entry.get("x_label", "")),
        note=str(entry.get("note", "")), reference=entry.get("reference"), plot=str(entry.get("plot", "values")),
    )


def validate_artifact(catalog: Catalog, art: Artifact, check_methods: bool) -> None:
    where = f"{catalog.path}: artifact {art.name!r}"
    if art.kind not in KINDS:
        raise ConfigError(f"{where}: kind must be table or figure, got {art.kind!r}")
    for column in art.columns:
        if not COLUMN_PATTERN.match(column):
            raise ConfigError(f"{where}: unknown column {column!r} ({', '.join(AVERAGES)}, mAP@0.X, GMACs, cls-mAP, "
                              f"{', '.join(COVERAGE)}, AP per class)")
    if art.metric is not None and art.metric not in art.columns:
        raise ConfigError(f"{where}: metric {art.metric!r} is not one of its columns {list(art.columns)}")
    labels: set[str] = set()
    for row in art.rows:
        if row.label in labels:
            raise ConfigError(f"{where}: duplicate row label {row.label!r}")
        labels.add(row.label)
        extra = set(row.paper) - set(art.columns)
        if extra:
            raise ConfigError(f"{where} row {row.label!r}: paper numbers for unknown column(s) {sorted(extra)}")
        if row.protocol is not None and row.protocol not in PROTOCOLS:
            raise ConfigError(f"{where} row {row.label!r}: unknown protocol {row.protocol!r}; "
                              f"known: {', '.join(PROTOCOLS)}")
        if row.experiment is None:
            if not row.paper and row.macs is None:
                raise ConfigError(f"{where} row {row.label!r}: needs an experiment, paper numbers or macs")
            continue
        if row.experiment not in catalog.experiments:
            catalog.experiment(row.experiment)  # raises with a "did you mean"
        if check_methods:
            from wstal.methods.base import get_method

            method = get_method(catalog.experiments[row.experiment].method)
            if row.variant not in method.VARIANTS:
                raise ConfigError(f"{where} row {row.label!r}: unknown variant {row.variant!r} of method "
                                  f"{method.name!r}; known: {', '.join(method.VARIANTS)}")
    series = {row.series for row in art.rows if row.series is not None}
    for claim in art.claims:
        if claim.lhs not in labels:
            raise ConfigError(f"{where}: claim {claim.check!r} names unknown row {claim.lhs!r}")
        known_rhs = series if claim.op == "best-in" else labels
        if claim.rhs not in known_rhs:
            what = "series" if claim.op == "best-in" else "row"
            raise ConfigError(f"{where}: claim {claim.check!r} names unknown {what} {claim.rhs!r}")
        if claim.metric is not None and claim.metric not in art.columns:
            raise ConfigError(f"{where}: claim {claim.check!r} compares unknown column {claim.metric!r}")
        if claim.metric is None and art.metric is None:
            raise ConfigError(f"{where}: claim {claim.check!r} needs a metric (the artifact has none)")
    for label in [art.reference] + [row.reference for row in art.rows]:
        if label is not None and label not in labels:
            raise ConfigError(f"{where}: reference {label!r} is not a row label")
        if label is not None and art.row(label).experiment is None:
            raise ConfigError(f"{where}: reference {label!r} has no experiment (nothing to compare with)")
    for choice_id in art.choices:
        if choice_id not in catalog.choices:
            raise ConfigError(f"{where}: unknown choice id {choice_id!r}")
