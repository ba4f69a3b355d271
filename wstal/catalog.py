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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from wstal.artifacts import Artifact, check_fields, parse_artifact, validate_artifact
from wstal.config_files import shipped_config
from wstal.errors import ConfigError
from wstal.registry import did_you_mean

DEFAULT_CATALOG = shipped_config("catalog.yaml")  # the checkout's, else the installed package's


def default_catalog_path() -> Path:
    """`config/catalog.yaml` of the working directory (a workflow's root), else the checkout's.

    A copy of the workflow (a test's temp folder, a user's fork) must read its own catalog,
    not the one next to the installed package.
    """
    local = Path.cwd() / "config" / "catalog.yaml"
    return local if local.is_file() else DEFAULT_CATALOG
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
    data = check_fields(data, str(path), {"version", "data_variants", "experiments", "artifacts", "choices"},
                        {"equivalence_margin"})
    if data["version"] != 1:
        raise ConfigError(f"{path}: unsupported catalog version {data['version']!r} (expected 1)")
    variants = {}
    for name, entry in (data["data_variants"] or {}).items():
        entry = check_fields(entry, f"data variant {name!r}", {"knobs"}, {"note", "real_source"})
        source = entry.get("real_source")
        variants[name] = DataVariant(name, dict(entry["knobs"] or {}), str(entry.get("note", "")),
                                     None if source is None else str(source))
    experiments = {}
    for name, entry in (data["experiments"] or {}).items():
        entry = check_fields(entry, f"experiment {name!r}", {"method", "data_variant"}, {"overrides", "note"})
        experiments[name] = Experiment(name, str(entry["method"]), str(entry["data_variant"]),
                                       dict(entry.get("overrides") or {}), str(entry.get("note", "")),
                                       lines.get(("experiment", name)))
    artifacts = {name: parse_artifact(name, entry, lines) for name, entry in (data["artifacts"] or {}).items()}
    choices: dict[str, Choice] = {}
    for i, entry in enumerate(data["choices"] or ()):
        entry = check_fields(entry, f"choice {i + 1}", {"id", "choice", "reason"}, {"artifacts"})
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
        validate_artifact(catalog, art, check_methods)
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


__all__ = ["Catalog", "Experiment", "DataVariant", "Choice", "load_catalog", "parse_catalog", "validate",
           "DEFAULT_CATALOG"]
