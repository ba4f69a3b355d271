"""`wstal figure N`: render figures/figureN.pdf and its PNG twin from run metrics (or one trained run)."""

from __future__ import annotations

import argparse

from wstal.report.settings import add_setting_arguments, artifact_name, load_settings_catalog, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", help="figure number or name (5 or figure5)")
    add_setting_arguments(parser)
    parser.add_argument("--device", default="cpu", help="device for qualitative figures that run a model (default cpu)")


def run(args: argparse.Namespace) -> int:
    from wstal.report.build import is_qualitative
    from wstal.report.figures import render_figure

    settings = settings_from_args(args)
    catalog = load_settings_catalog(settings)
    name = artifact_name(args.artifact, "figure")
    if is_qualitative(catalog.artifact(name)):  # only these run a model: torch (~2 s) is not imported for plots
        import torch

        torch.set_num_threads(1)
    pdf, png = render_figure(catalog, name, settings.layout, settings.seeds)
    print(f"wrote {pdf} and {png}")
    return 0
