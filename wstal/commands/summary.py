"""`wstal summary`: write tables/summary.md (every claim with its verdict) and the tidy results/.../metrics.csv."""

from __future__ import annotations

import argparse

from wstal.report.settings import add_setting_arguments, load_settings_catalog, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser)
    parser.add_argument("--artifacts", help="comma-separated artifact names (default: every artifact)")


def run(args: argparse.Namespace) -> int:
    from wstal.report.results import artifact_results
    from wstal.report.summary import render_summary
    from wstal.utils.atomic import atomic_write_text

    settings = settings_from_args(args)
    catalog = load_settings_catalog(settings)
    artifacts = [a for a in (args.artifacts or "").split(",") if a] or list(catalog.artifacts)
    for name in artifacts:
        catalog.artifact(name)
    results = artifact_results(catalog, settings.layout, settings.seeds, artifacts)
    text = render_summary(catalog, settings.layout, settings.seeds, artifacts, results)
    atomic_write_text(settings.layout.metrics_table, results.to_csv())
    atomic_write_text(settings.layout.summary, text)
    print(f"wrote {settings.layout.summary} and {settings.layout.metrics_table}")
    return 0
