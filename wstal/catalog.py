"""The experiment catalog: every paper artifact, the runs it needs, the paper's numbers and claims.

`config/catalog.yaml` is the single place that says *what* is reproduced: data variants
(generator knobs), experiments (method + dotted-key overrides of its paper defaults),
artifacts (tables/figures: rows -> experiment + inference variant + protocol + paper
numbers; claims as comparisons between row labels) and the choices made where the papers
are silent. Everything downstream (Snakemake, tables, figures, verdicts) reads it through
`load_catalog`, which validates it fully so that a typo fails here, in one line, and not
after an hour of training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from wstal.config_files import shipped_config
from wstal.errors import ConfigError
from wstal.evaluation.protocols import PROTOCOLS
from wstal.metrics import AVERAGES, COLUMN_PATTERN
from wstal.registry import did_you_mean

DEFAULT_CATALOG = shipped_config("catalog.yaml")  # the checkout's, else the installed package's


def default_catalog_path() -> Path:
    """`config/catalog.yaml` of the working directory (a workflow's root), else the checkout's.

    A copy of the workflow (a test's temp folder, a user's fork) must read its own catalog,
    not the one next to the installed package.
    """
    local = Path.cwd() / "config" / "catalog.yaml"
    return local if local.is_file() else DEFAULT_CATALOG
KINDS = ("table", "figure")
# Column vocabulary (COLUMN_PATTERN): wstal.metrics, how a table column maps to metrics.json.
# Claim operators: ordering, "about equal" (within the equivalence margin), "no worse/better than" (within
# the margin), "lhs is the best of series rhs"; how each is decided: wstal.report.verdicts.
CLAIM_OPS = (">=", "<=", "~=", ">", "<", "best-in")
_CLAIM_SPLIT = re.compile(r"^\s*(?P<lhs>.+?)\s+(?P<op>>=|<=|~=|>|<|best-in)\s+(?P<rhs>.+?)\s*$")


@dataclass(frozen=True)
class DataVariant:
    """A prepared dataset flavour: generator knobs on top of the scale preset (synthetic data), and the
    real feature source (`wstal.data.sources`) it stands for on a real dataset (None: synthetic-only,
    e.g. a knob sweep that real data cannot have)."""

    name: str
    knobs: Mapping[str, Any]
    note: str = ""
    real_source: str | None = None


@dataclass(frozen=True)
class Experiment:
    """One training configuration: a method, its overrides, and the data variant it trains on."""

    name: str
    method: str
    data_variant: str
    overrides: Mapping[str, Any]
    note: str = ""
    line: int | None = None  # line of the entry in the catalog file


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


@dataclass(frozen=True)
class Choice:
    """A decision the papers leave open, with its one-line reason."""

    id: str
    choice: str
    reason: str
    artifacts: tuple[str, ...] = ()


@dataclass
class Catalog:
    path: Path
    data_variants: dict[str, DataVariant]
    experiments: dict[str, Experiment]
    artifacts: dict[str, Artifact]
    choices: dict[str, Choice]
    margin: float = 1.0  # equivalence margin of the verdicts (mAP points), `equivalence_margin`

    def experiment(self, name: str) -> Experiment:
        return _lookup(self.experiments, name, "experiment", self.path)

    def artifact(self, name: str) -> Artifact:
        return _lookup(self.artifacts, name, "artifact", self.path)

    def data_variant(self, name: str) -> DataVariant:
        return _lookup(self.data_variants, name, "data variant", self.path)

    def _selected(self, artifact: str | None) -> list[Artifact]:
        return list(self.artifacts.values()) if artifact is None else [self.artifact(artifact)]

    def runs(self, artifact: str | None = None) -> list[tuple[str, str, str | None]]:
        """Distinct (experiment, variant, protocol) evaluations needed, in catalog order."""
        seen: dict[tuple[str, str, str | None], None] = {}
        for art in self._selected(artifact):
            for row in art.rows:
                if row.experiment is not None:
                    seen.setdefault((row.experiment, row.variant, row.protocol), None)
        return list(seen)

    def trainings(self, artifact: str | None = None) -> list[str]:
        """Distinct experiment names to train, in catalog order."""
        return list(dict.fromkeys(exp for exp, _, _ in self.runs(artifact)))

    def data_variants_needed(self, artifact: str | None = None) -> list[str]:
        return list(dict.fromkeys(self.experiments[e].data_variant for e in self.trainings(artifact)))

    def real_sources_needed(self, artifact: str | None = None) -> dict[str | None, list[str]]:
        """Real feature source -> the data variants that need it (None: synthetic-only variants)."""
        out: dict[str | None, list[str]] = {}
        for variant in self.data_variants_needed(artifact):
            out.setdefault(self.data_variants[variant].real_source, []).append(variant)
        return out

    def data_key(self, experiment: str, dataset: str) -> str:
        """The prepared-data folder name an experiment trains on: its data variant on synthetic data,
        its variant's real feature source on a real dataset (prepared once per source)."""
        variant = self.data_variant(self.experiment(experiment).data_variant)
        if dataset == "synthetic":
            return variant.name
        if variant.real_source is None:
            raise ConfigError(f"experiment {experiment!r} trains on data variant {variant.name!r}, which is "
                              f"synthetic-only (no real_source in {self.path})")
        return variant.real_source


def _lookup(table: Mapping[str, Any], name: str, kind: str, path: Path) -> Any:
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"{path}: unknown {kind} {name!r}{did_you_mean(name, table)}") from None


# ------------------------------------------------------------------ YAML with duplicate detection


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one).

    libyaml's parser when PyYAML has it: the catalog, which every job reads, loads in 0.08 s
    instead of 0.56 s.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise ConfigError(f"duplicate name {key!r} (line {key_node.start_mark.line + 1})")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# ------------------------------------------------------------------ parsing


def _fields(entry: Any, where: str, required: set[str], optional: set[str]) -> dict:
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
    entry = _fields(entry, where, {"text", "check"}, {"metric", "min_effect"})
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
    entry = _fields(entry, where, {"label"}, {"experiment", "variant", "protocol", "paper", "x", "series",
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


def _parse_artifact(name: str, entry: Any, lines: Mapping[Any, int]) -> Artifact:
    where = f"artifact {name!r}"
    entry = _fields(entry, where, {"kind", "source", "paper", "caption", "rows"},
                    {"metric", "columns", "claims", "choices", "paper_text", "x_label", "note", "reference", "plot"})
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


def entry_lines(text: str) -> dict[Any, int]:
    """1-based lines of experiments (`("experiment", name)`) and artifact rows (`("row", artifact, index)`)."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[Any, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value == "experiments" and isinstance(value, yaml.MappingNode):
            lines.update({("experiment", k.value): k.start_mark.line + 1 for k, _ in value.value})
        if key.value == "artifacts" and isinstance(value, yaml.MappingNode):
            for name, art in value.value:
                rows = next((v for k, v in getattr(art, "value", ()) if getattr(k, "value", None) == "rows"), None)
                for i, row in enumerate(getattr(rows, "value", ()) if isinstance(rows, yaml.SequenceNode) else ()):
                    lines[("row", name.value, i)] = row.start_mark.line + 1
    return lines


def parse_catalog(data: Any, path: Path, lines: Mapping[Any, int] | None = None) -> Catalog:
    """Build the typed catalog from parsed YAML (structure only; `validate` checks references)."""
    lines = lines or {}
    data = _fields(data, str(path), {"version", "data_variants", "experiments", "artifacts", "choices"},
                   {"equivalence_margin"})
    if data["version"] != 1:
        raise ConfigError(f"{path}: unsupported catalog version {data['version']!r} (expected 1)")
    variants = {}
    for name, entry in (data["data_variants"] or {}).items():
        entry = _fields(entry, f"data variant {name!r}", {"knobs"}, {"note", "real_source"})
        source = entry.get("real_source")
        variants[name] = DataVariant(name, dict(entry["knobs"] or {}), str(entry.get("note", "")),
                                     None if source is None else str(source))
    experiments = {}
    for name, entry in (data["experiments"] or {}).items():
        entry = _fields(entry, f"experiment {name!r}", {"method", "data_variant"}, {"overrides", "note"})
        experiments[name] = Experiment(name, str(entry["method"]), str(entry["data_variant"]),
                                       dict(entry.get("overrides") or {}), str(entry.get("note", "")),
                                       lines.get(("experiment", name)))
    artifacts = {name: _parse_artifact(name, entry, lines) for name, entry in (data["artifacts"] or {}).items()}
    choices: dict[str, Choice] = {}
    for i, entry in enumerate(data["choices"] or ()):
        entry = _fields(entry, f"choice {i + 1}", {"id", "choice", "reason"}, {"artifacts"})
        if entry["id"] in choices:
            raise ConfigError(f"{path}: duplicate choice id {entry['id']!r}")
        choices[entry["id"]] = Choice(str(entry["id"]), str(entry["choice"]), str(entry["reason"]),
                                      tuple(entry.get("artifacts") or ()))
    margin = data.get("equivalence_margin", 1.0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin > 0:
        raise ConfigError(f"{path}: equivalence_margin must be a positive number (mAP points), got {margin!r}")
    return Catalog(path, variants, experiments, artifacts, choices, float(margin))


# ------------------------------------------------------------------ validation


def validate(catalog: Catalog, check_methods: bool = True) -> Catalog:
    """Check every reference; a problem is a one-line ConfigError naming the catalog and the entry.

    `check_methods=False` skips what needs the method classes (method names, override
    keys, variants): for listing a catalog while a method is not installed.
    """
    p = catalog.path
    _validate_knobs(catalog)
    _validate_real_sources(catalog)
    if check_methods:
        from wstal.methods.base import apply_overrides, get_method

        from wstal.methods.base import config_to_dict

        resolved: dict[str, str] = {}
        for exp in catalog.experiments.values():
            try:
                method = get_method(exp.method)
                config = apply_overrides(method.Config(), exp.overrides, f"experiment {exp.name!r}")
            except ConfigError as exc:
                raise ConfigError(f"{p}: {exc}") from None
            key = repr((exp.method, exp.data_variant, config_to_dict(config)))
            if key in resolved:  # two names for one run: wasted compute, and usually a forgotten override
                raise ConfigError(f"{p}: experiments {resolved[key]!r} and {exp.name!r} are the same run "
                                  f"(same method, data variant and resolved config)")
            resolved[key] = exp.name
    for exp in catalog.experiments.values():
        if exp.data_variant not in catalog.data_variants:
            raise ConfigError(f"{p}: experiment {exp.name!r}: unknown data variant {exp.data_variant!r}; "
                              f"known: {', '.join(catalog.data_variants)}")
    for art in catalog.artifacts.values():
        _validate_artifact(catalog, art, check_methods)
    for choice in catalog.choices.values():
        for name in choice.artifacts:
            if name not in catalog.artifacts:
                raise ConfigError(f"{p}: choice {choice.id!r} names unknown artifact {name!r}")
    return catalog


def _validate_knobs(catalog: Catalog) -> None:
    from wstal.data.synthetic.config import knob_names, make_config

    known = set(knob_names())
    for variant in catalog.data_variants.values():
        unknown = set(variant.knobs) - known
        if unknown:
            raise ConfigError(f"{catalog.path}: data variant {variant.name!r}: unknown synthetic knob(s) "
                              f"{', '.join(sorted(unknown))}")
        try:
            make_config("smoke", variant.knobs)  # range checks of the values
        except ConfigError as exc:
            raise ConfigError(f"{catalog.path}: data variant {variant.name!r}: {exc}") from None


def _validate_real_sources(catalog: Catalog) -> None:
    """A data variant's real source must exist and carry the feature kind its knobs promise."""
    from wstal.data.sources import SOURCES
    from wstal.data.synthetic.config import SynthConfig

    for variant in catalog.data_variants.values():
        if variant.real_source is None:
            continue
        try:
            source = SOURCES.get(variant.real_source)
        except ConfigError as exc:
            raise ConfigError(f"{catalog.path}: data variant {variant.name!r}: {exc}") from None
        kind = variant.knobs.get("feature_kind", SynthConfig().feature_kind)
        if kind != source.feature_kind:
            raise ConfigError(f"{catalog.path}: data variant {variant.name!r} has {kind!r} features but its "
                              f"real_source {source.name!r} holds {source.feature_kind!r} features")


def _validate_artifact(catalog: Catalog, art: Artifact, check_methods: bool) -> None:
    where = f"{catalog.path}: artifact {art.name!r}"
    if art.kind not in KINDS:
        raise ConfigError(f"{where}: kind must be table or figure, got {art.kind!r}")
    for column in art.columns:
        if not COLUMN_PATTERN.match(column):
            raise ConfigError(f"{where}: unknown column {column!r} ({', '.join(AVERAGES)}, mAP@0.X, GMACs, cls-mAP, "
                              f"AP per class)")
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


def load_catalog(path: str | Path | None = None, check_methods: bool = True) -> Catalog:
    """Read and validate `config/catalog.yaml` (or `path`)."""
    path = Path(path) if path is not None else default_catalog_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: catalog not found") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (SafeLoader subclass)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at} ({getattr(exc, 'problem', exc)})") from None
    try:
        catalog = parse_catalog(data, path, entry_lines(text))
    except ConfigError as exc:  # structural errors name the entry; add the file
        message = str(exc)
        raise ConfigError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    return validate(catalog, check_methods=check_methods)


__all__ = ["Catalog", "Experiment", "Artifact", "Row", "Claim", "DataVariant", "Choice", "load_catalog",
           "parse_catalog", "parse_claim", "validate", "CLAIM_OPS", "DEFAULT_CATALOG"]
