"""`wstal catalog`: list artifacts, experiments and what each needs; validate the catalog.

`--check` only validates (exit 0 and one line, or a one-line error); `--json` prints the
resolved needs for scripts (Snakemake reads what to train and evaluate from it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tabulate import tabulate

from wstal.commands.train import add_method_module_argument, import_method_modules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: config/catalog.yaml)")
    parser.add_argument("--check", action="store_true", help="validate only")
    parser.add_argument("--json", action="store_true", help="machine-readable listing")
    parser.add_argument("--artifact", default=None, help="only this artifact")
    add_method_module_argument(parser)


def as_json(catalog, artifact: str | None = None) -> dict:
    """What each artifact needs and what each experiment is (plain JSON types)."""
    names = [artifact] if artifact else list(catalog.artifacts)
    return {
        "artifacts": {
            name: {
                "kind": catalog.artifacts[name].kind,
                "source": catalog.artifacts[name].source,
                "trainings": catalog.trainings(name),
                "evaluations": [{"experiment": e, "variant": v, "protocol": p} for e, v, p in catalog.runs(name)],
            }
            for name in names
        },
        "experiments": {
            name: {"method": exp.method, "data_variant": exp.data_variant, "overrides": dict(exp.overrides)}
            for name, exp in catalog.experiments.items() if name in set(catalog.trainings(artifact))
        },
        "data_variants": {name: dict(catalog.data_variants[name].knobs)
                          for name in catalog.data_variants_needed(artifact)},
    }


def run(args: argparse.Namespace) -> int:
    import_method_modules(args.method_module)
    from wstal.catalog import load_catalog

    catalog = load_catalog(args.catalog)
    if args.artifact:
        catalog.artifact(args.artifact)
    if args.check:
        print(f"{catalog.path}: ok ({len(catalog.artifacts)} artifacts, {len(catalog.experiments)} experiments, "
              f"{len(catalog.runs())} evaluations, {len(catalog.choices)} choices)")
        return 0
    if args.json:
        print(json.dumps(as_json(catalog, args.artifact), indent=2))
        return 0
    names = [args.artifact] if args.artifact else list(catalog.artifacts)
    rows = []
    for name in names:
        art = catalog.artifacts[name]
        rows.append([name, art.kind, art.source, len(art.rows), len(art.claims),
                     len(catalog.trainings(name)), len(catalog.runs(name))])
    print(tabulate(rows, headers=["artifact", "kind", "source", "rows", "claims", "trainings", "evaluations"]))
    print()
    used_by: dict[str, list[str]] = {}
    for name in names:
        for exp in catalog.trainings(name):
            used_by.setdefault(exp, []).append(name)
    rows = [[name, exp.method, exp.data_variant,
             ", ".join(f"{k}={v}" for k, v in exp.overrides.items()) or "(defaults)", ", ".join(used_by[name])]
            for name, exp in catalog.experiments.items() if name in used_by]
    print(tabulate(rows, headers=["experiment", "method", "data", "overrides", "used by"]))
    return 0
