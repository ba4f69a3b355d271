"""`wstal summary`: write tables/summary.md (every claim with its verdict) and the tidy results/.../metrics.csv."""

from __future__ import annotations

import argparse

from wstal.commands.collect import add_arguments, collect_results

__all__ = ["add_arguments", "run"]


def run(args: argparse.Namespace) -> int:
    from wstal.report.summary import render_summary
    from wstal.utils.atomic import atomic_write_text

    settings, catalog, artifacts, results = collect_results(args)
    text = render_summary(catalog, settings.layout, settings.seeds, artifacts, results)
    atomic_write_text(settings.layout.metrics_table, results.to_csv())
    atomic_write_text(settings.layout.summary, text)
    print(f"wrote {settings.layout.summary} and {settings.layout.metrics_table}")
    return 0
