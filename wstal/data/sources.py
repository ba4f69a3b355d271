"""Real feature sources: which feature set backs a real dataset, and which config keys locate it.

A real dataset (THUMOS'14, ActivityNet 1.2) can be read from feature sets that are not
interchangeable: the W-TALC reduced-format I3D file (what RSKP and its family train on)
and the CMCS authors' own layout with UntrimmedNet or I3D features (what the CMCS
supplement reports). Synthetic data has generator knobs instead; real data has sources.
The catalog says which source each data variant stands for on real data (`real_source`);
the workflow config gives each source's paths (`features.<dataset>.<source>` plus the
layout's annotation keys); `resolve_sources` joins the two and says, for a source that is
not configured, exactly which config key is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from wstal.errors import ConfigError
from wstal.registry import Registry

REAL_DATASETS = ("thumos14", "activitynet12")
# What a user means by "not set" on the command line: Snakemake's --config parser reads YAML
# with the BaseLoader, which turns `null` into the string "null".
_UNSET = (None, "", "null", "Null", "NULL", "None", "~")


@dataclass(frozen=True)
class Layout:
    """How a family of sources is laid out on disk: the config keys beside `features.<dataset>.<source>`."""

    name: str
    keys: tuple[str, ...]  # config sections, each mapping dataset -> folder
    features_file: str  # what `wstal prepare` writes beside annotations.json
    what: str  # what the features path points at (for messages and the schema)


LAYOUTS: Registry[Layout] = Registry("feature layout")
LAYOUTS.register("wtalc")(Layout(
    "wtalc", ("annotations",), "features.npz",
    "the W-TALC reduced-format features .npy (e.g. Thumos14reduced-I3D-JOINTFeatures.npy)"))
LAYOUTS.register("cmcs")(Layout(
    "cmcs", ("cmcs_annotations", "cmcs_meta"), "features.json",
    "the CMCS feature folder (THUMOS14_FEATURES, holding UNTRI-5/ and/or I3D-4/)"))


@dataclass(frozen=True)
class FeatureSource:
    """A named real feature set: its layout, its feature kind and the datasets it exists for."""

    name: str
    layout: str
    feature_kind: str  # "i3d" | "unt" (UNT RGB carries no motion)
    datasets: tuple[str, ...]
    description: str

    @property
    def files(self) -> Layout:
        return LAYOUTS.get(self.layout)

    def config_keys(self, dataset: str) -> tuple[str, ...]:
        """Every config key this source needs for `dataset`, the features path first."""
        return (f"features.{dataset}.{self.name}", *(f"{key}.{dataset}" for key in self.files.keys))


SOURCES: Registry[FeatureSource] = Registry("feature source")
SOURCES.register("wtalc-i3d")(FeatureSource(
    "wtalc-i3d", "wtalc", "i3d", REAL_DATASETS,
    "W-TALC reduced-format I3D features (one .npy object array + annotation folder); RSKP's input"))
SOURCES.register("cmcs-unt")(FeatureSource(
    "cmcs-unt", "cmcs", "unt", ("thumos14",),
    "the CMCS authors' UntrimmedNet features (per-video .npz, ten crops); the CMCS supplement's tables"))
SOURCES.register("cmcs-i3d")(FeatureSource(
    "cmcs-i3d", "cmcs", "i3d", ("thumos14",),
    "the CMCS authors' I3D features (per-video .npz, ten crops); CMCS supp. Fig. 1's I3D rows"))

# `features.<dataset>: PATH` (before sources existed) meant the W-TALC file
LEGACY_SOURCE = "wtalc-i3d"


@dataclass(frozen=True)
class SourcePaths:
    """The configured paths of one source for one dataset; `missing` names the unset config keys."""

    source: str
    dataset: str
    features: str | None
    folders: Mapping[str, str | None]  # layout key (annotations, cmcs_annotations, cmcs_meta) -> folder
    missing: tuple[str, ...]

    @property
    def available(self) -> bool:
        return not self.missing


def is_set(value: Any) -> bool:
    return value not in _UNSET


def configured_features(config: Mapping[str, Any], dataset: str) -> tuple[dict[str, str | None], bool]:
    """`features.<dataset>` as {source: path}; True when it was the legacy single path (W-TALC)."""
    entry = (config.get("features") or {}).get(dataset)
    if entry is None:
        return {}, False
    if isinstance(entry, str):  # `features: {thumos14: PATH}`, the form before sources existed
        return {LEGACY_SOURCE: entry if is_set(entry) else None}, is_set(entry)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"config features.{dataset}: expected a mapping source -> path "
                          f"({', '.join(SOURCES)}), got {type(entry).__name__}")
    paths = {}
    for name, path in entry.items():
        try:
            source = SOURCES.get(str(name))
        except ConfigError as exc:
            raise ConfigError(f"config features.{dataset}: {exc}") from None
        if dataset not in source.datasets:
            raise ConfigError(f"config features.{dataset}.{name}: feature source {name!r} exists for "
                              f"{', '.join(source.datasets)} only")
        if is_set(path) and not isinstance(path, str):
            raise ConfigError(f"config features.{dataset}.{name}: expected a path, got {path!r}")
        paths[str(name)] = path if is_set(path) else None
    return paths, False


def resolve_sources(config: Mapping[str, Any], dataset: str | None = None) -> dict[str, SourcePaths]:
    """Every source of the (real) dataset with its configured paths and the keys still missing."""
    dataset = dataset or config["dataset"]
    if dataset not in REAL_DATASETS:
        raise ConfigError(f"feature sources apply to real datasets ({', '.join(REAL_DATASETS)}), not {dataset!r}")
    features, _ = configured_features(config, dataset)
    out = {}
    for name, source in SOURCES.items():
        if dataset not in source.datasets:
            continue
        folders = {key: _folder(config, key, dataset) for key in source.files.keys}
        path = features.get(name)
        keys = source.config_keys(dataset)
        missing = tuple(k for k, v in zip(keys, (path, *folders.values())) if not v)
        out[name] = SourcePaths(name, dataset, path, folders, missing)
    return out


def _folder(config: Mapping[str, Any], key: str, dataset: str) -> str | None:
    section = config.get(key) or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"config {key}: expected a mapping dataset -> folder, got {type(section).__name__}")
    value = section.get(dataset)
    if is_set(value) and not isinstance(value, str):
        raise ConfigError(f"config {key}.{dataset}: expected a folder path, got {value!r}")
    return value if is_set(value) else None


def missing_line(paths: SourcePaths) -> str:
    """`cmcs-unt (set features.thumos14.cmcs-unt, cmcs_meta.thumos14)`: what a skip message names."""
    return f"{paths.source} (set {', '.join(paths.missing)})"


def no_source_message(dataset: str) -> str:
    """The one line for a real dataset without any usable source."""
    options = []
    for name, source in SOURCES.items():
        if dataset in source.datasets:
            options.append(f"{name}: {' + '.join(k + '=PATH' for k in source.config_keys(dataset))}")
    return (f"config: dataset={dataset} needs at least one feature source; set {' | '.join(options)} "
            f"(README, 'Real features')")


__all__ = ["FeatureSource", "LAYOUTS", "REAL_DATASETS", "SOURCES", "SourcePaths", "configured_features",
           "is_set", "missing_line", "no_source_message", "resolve_sources"]
