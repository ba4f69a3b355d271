"""Which files the workflow makes for an artifact, from the catalog alone (no numbers read).

The Snakefile plans the DAG with these functions on every call, so this module imports
neither torch nor SciPy: catalog + layout in, file lists and `wstal evaluate` arguments out.
`wstal.report.build` re-exports them for the report code.
"""

from __future__ import annotations

from typing import Any, Sequence

from wstal.artifacts import Artifact
from wstal.catalog import Catalog
from wstal.metrics import GMACS
from wstal.report.paths import Layout


def seeds_for(config: dict) -> list[int]:
    """The workflow's seeds: `seeds` when given, else `seeds_by_scale[scale]`."""
    seeds = config.get("seeds")
    return list(seeds) if seeds else list(config["seeds_by_scale"][config["scale"]])


def selected_artifacts(catalog: Catalog, config: dict[str, Any]) -> list[str]:
    wanted = config.get("artifacts", "all")
    if wanted == "all":
        return list(catalog.artifacts)
    for name in wanted:
        catalog.artifact(name)
    return list(wanted)


def needs_macs(artifact: Artifact) -> bool:
    return GMACS in artifact.columns or any(row.macs for row in artifact.rows)


def is_qualitative(artifact: Artifact) -> bool:
    """Figures without a metric (RSKP Fig. 4-7) show one trained run's outputs, not numbers over seeds."""
    return artifact.kind == "figure" and artifact.metric is None


def artifact_inputs(catalog: Catalog, layout: Layout, artifact: str, seeds: Sequence[int]) -> list[str]:
    """Every file the workflow must make before rendering the artifact.

    The evaluation marker of each (row experiment, seed) run: one evaluate job writes all
    metrics files of a run (every variant and protocol); plus macs.json for GMACs. A
    qualitative figure needs the first seed's finished training and its evaluation.
    """
    art = catalog.artifact(artifact)
    if is_qualitative(art):
        files = []
        for row in art.rows:
            files += [str(layout.train_done(row.experiment, seeds[0])), str(layout.evaluated(row.experiment, seeds[0]))]
        return list(dict.fromkeys(files))
    files = [str(layout.evaluated(row.experiment, s)) for row in art.rows if row.experiment is not None for s in seeds]
    if needs_macs(art):
        files.append(str(layout.macs))
    return list(dict.fromkeys(files))


def run_evaluations(catalog: Catalog, experiment: str) -> str:
    """What the evaluate job of one run scores, as `wstal evaluate --variant` takes it.

    Every (variant, protocol) any artifact of the catalog reads from this experiment:
    `default,masking,default@snippet` (no protocol: the method's own, metrics.json).
    From the whole catalog, not the selected artifacts, so selecting artifacts never
    changes what a finished evaluation holds.
    """
    items = [v if p is None else f"{v}@{p}" for e, v, p in catalog.runs() if e == experiment]
    return ",".join(items or ["default"])
