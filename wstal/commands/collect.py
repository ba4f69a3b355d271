"""`wstal collect`: write results/<dataset>/<scale>/metrics.csv, the tidy table of every evaluated run."""

from __future__ import annotations

import argparse

from wstal.report.settings import add_setting_arguments, load_settings_catalog, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser)
    parser.add_argument("--artifacts", help="comma-separated artifact names (default: every artifact)")


def collect_results(args: argparse.Namespace):
    """The settings, catalog, chosen artifacts and their tidy results table (also what `wstal summary` reads)."""
    from wstal.report.results import artifact_results

    settings = settings_from_args(args)
    catalog = load_settings_catalog(settings)
    artifacts = [a for a in (args.artifacts or "").split(",") if a] or list(catalog.artifacts)
    for name in artifacts:
        catalog.artifact(name)
    return settings, catalog, artifacts, artifact_results(catalog, settings.layout, settings.seeds, artifacts)


def run(args: argparse.Namespace) -> int:
    from wstal.utils.atomic import atomic_write_text

    settings, _, _, table = collect_results(args)
    atomic_write_text(settings.layout.metrics_table, table.to_csv())
    print(f"wrote {settings.layout.metrics_table} ({len(table.frame)} rows)")
    return 0
