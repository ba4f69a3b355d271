"""`wstal table N`: render tables/tableN.tex (+ .md, .html) from run metrics and print the Markdown twin."""

from __future__ import annotations

import argparse

from wstal.report.settings import add_setting_arguments, artifact_name, load_settings_catalog, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", help="table number or name (3 or table3)")
    add_setting_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="write the files without printing the table")


def run(args: argparse.Namespace) -> int:
    from wstal.report.build import table_view
    from wstal.report.tables import render_html, render_latex, render_markdown
    from wstal.utils.atomic import atomic_write_text

    settings = settings_from_args(args)
    catalog = load_settings_catalog(settings)
    name = artifact_name(args.artifact, "table")
    view = table_view(catalog, name, settings.layout, settings.seeds)
    markdown = render_markdown(view)
    atomic_write_text(settings.layout.table(name, ".tex"), render_latex(view))
    atomic_write_text(settings.layout.table(name, ".md"), markdown)
    atomic_write_text(settings.layout.table(name, ".html"), render_html(view))
    if not args.quiet:
        print(markdown, end="")
    return 0
