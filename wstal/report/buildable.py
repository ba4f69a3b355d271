"""What the configured data can build: artifacts kept, artifacts skipped (one line each), refused targets.

On synthetic data every artifact can be built. On a real dataset each data variant stands
for a feature source (catalog `real_source`); an artifact is built when every source its
experiments need is configured, and skipped otherwise with one line naming the source and
the config keys that provide it. Variants without a real source (figure11's knob sweeps)
are synthetic-only. The Snakefile prints the skip lines once at parse time and refuses an
explicitly requested target that cannot be built, with the same line, before any job runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from wstal.catalog import Catalog
from wstal.data.sources import SourcePaths, configured_features, missing_line, no_source_message, resolve_sources
from wstal.errors import ConfigError
from wstal.report.plan import selected_artifacts
from wstal.report.paths import Layout


@dataclass(frozen=True)
class ArtifactPlan:
    """The artifacts to build, a reason per skipped artifact, and what the data of each experiment is."""

    dataset: str
    build: tuple[str, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)  # artifact -> why (one line, no prefix)
    sources: Mapping[str, SourcePaths] = field(default_factory=dict)  # real data: every source of the dataset
    notes: tuple[str, ...] = ()  # other one-line remarks (e.g. the legacy features form)

    def skip_lines(self) -> list[str]:
        """One line per skipped artifact, in catalog order (what the workflow prints at parse time)."""
        return [f"wstal: skipping {name}: {reason}" for name, reason in self.skipped.items()]

    def source(self, name: str) -> SourcePaths:
        if name not in self.sources:
            raise ConfigError(f"feature source {name!r} does not exist for {self.dataset}")
        return self.sources[name]


def plan_artifacts(catalog: Catalog, config: Mapping[str, Any]) -> ArtifactPlan:
    """The plan for `config` (dataset, artifacts, features/annotation keys).

    Raises a one-line ConfigError when the config asks explicitly (`artifacts: [...]`) for an
    artifact that cannot be built, when a real dataset has no usable source, or when nothing
    at all can be built.
    """
    dataset = config["dataset"]
    wanted = selected_artifacts(catalog, dict(config))
    if dataset == "synthetic":
        return ArtifactPlan(dataset, tuple(wanted))
    sources = resolve_sources(config, dataset)
    if not any(p.available for p in sources.values()):
        raise ConfigError(no_source_message(dataset))
    skipped = {name: reason for name in wanted if (reason := _why_not(catalog, name, sources, dataset))}
    explicit = config.get("artifacts", "all") != "all"
    if explicit and skipped:
        name, reason = next(iter(skipped.items()))
        raise ConfigError(f"config artifacts: {name} cannot be built on {dataset}: {reason}")
    build = tuple(name for name in wanted if name not in skipped)
    if not build:
        name, reason = next(iter(skipped.items()))
        raise ConfigError(f"config: no artifact can be built from the configured feature sources of {dataset} "
                          f"(e.g. {name}: {reason})")
    _, legacy = configured_features(config, dataset)
    notes = (f"wstal: features.{dataset}=PATH is read as features.{dataset}.wtalc-i3d (the W-TALC file)",) \
        if legacy else ()
    return ArtifactPlan(dataset, build, skipped, sources, notes)


def _why_not(catalog: Catalog, artifact: str, sources: Mapping[str, SourcePaths], dataset: str) -> str | None:
    needed = catalog.real_sources_needed(artifact)
    if None in needed:
        return (f"synthetic-only (data variant(s) {', '.join(needed[None])} are generator knob settings that "
                f"real data cannot have)")
    unknown = [s for s in needed if s not in sources]
    if unknown:
        return f"needs feature source {unknown[0]}, which does not exist for {dataset}"
    missing = [sources[s] for s in needed if not sources[s].available]
    if missing:
        return "needs feature source " + " and ".join(missing_line(p) for p in missing)
    return None


def experiment_blocker(catalog: Catalog, plan: ArtifactPlan, experiment: str) -> str | None:
    """Why `experiment` cannot train on the plan's dataset (None: it can)."""
    if plan.dataset == "synthetic":
        return None
    variant = catalog.data_variant(catalog.experiment(experiment).data_variant)
    if variant.real_source is None:
        return f"experiment {experiment} is synthetic-only (data variant {variant.name} has no real_source)"
    paths = plan.sources.get(variant.real_source)
    if paths is None:
        return f"experiment {experiment}: feature source {variant.real_source} does not exist for {plan.dataset}"
    if not paths.available:
        return f"experiment {experiment} needs feature source {missing_line(paths)}"
    return None


def refused_target(catalog: Catalog, plan: ArtifactPlan, layout: Layout, targets: Iterable[str],
                   cwd: str | Path | None = None) -> str | None:
    """The one-line reason why the first unbuildable requested target cannot be built (None: all fine).

    Recognised targets: an artifact's files, a run folder's files of an experiment whose source is
    missing, and the prepared data of a missing source; anything else is left to Snakemake.
    """
    if plan.dataset == "synthetic":
        return None
    files: dict[str, str] = {}
    for name, reason in plan.skipped.items():
        for path in layout.artifact_outputs(name, catalog.artifact(name).kind):
            files[os.path.normpath(path)] = f"{name} cannot be built on {plan.dataset}: {reason}"
    run_root = os.path.normpath(layout.results / layout.dataset / layout.scale)
    data_root = os.path.normpath(layout.results / "data" / layout.dataset / layout.scale)
    base = Path(cwd or os.getcwd())
    for target in targets:
        path = Path(target)
        rel = os.path.normpath(os.path.relpath(path, base) if path.is_absolute() else path)
        if rel in files:
            return files[rel]
        parts = Path(rel).parts
        for depth in range(1, len(parts)):  # results/<dataset>/<scale>/<experiment>/... or results/data/.../<source>/
            prefix, name = os.path.join(*parts[:depth]), parts[depth]
            if prefix == run_root and name in catalog.experiments:
                blocker = experiment_blocker(catalog, plan, name)
                if blocker:
                    return f"{rel} cannot be built: {blocker}"
            if prefix == data_root and name in plan.sources and not plan.sources[name].available:
                return f"{rel} cannot be built: needs feature source {missing_line(plan.sources[name])}"
    return None


__all__ = ["ArtifactPlan", "experiment_blocker", "plan_artifacts", "refused_target"]
