"""`wstal synth`: generate the synthetic THUMOS-shaped benchmark, or describe it next to THUMOS'14."""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from wstal.data.synthetic.config import SCALE_PRESETS

    parser.add_argument("--out", type=Path, help="output dataset folder (required unless --describe alone)")
    parser.add_argument("--scale", default="default", choices=sorted(SCALE_PRESETS),
                        help="size preset (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="generator seed (default: the knob's, 0)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KNOB=VALUE",
                        help="override one SynthConfig knob (repeatable), e.g. --set context=0")
    parser.add_argument("--format", dest="fmt", default="wstal", choices=["wstal", "reduced"],
                        help="file format written to --out (default: %(default)s)")
    parser.add_argument("--layout", type=Path, default=None,
                        help="reduced-format annotation folder whose durations/segments/labels to use")
    parser.add_argument("--describe", action="store_true",
                        help="print the generated statistics next to THUMOS'14's real ones")


def run(args: argparse.Namespace) -> int:
    from wstal.data.synthetic import describe, make_config, parse_assignments
    from wstal.data.synthetic.generate import generate

    if args.out is None and not args.describe:
        raise ConfigError("wstal synth: give --out DIR (where to write the dataset) and/or --describe")
    if args.seed is not None:
        from wstal.utils.seeding import check_seed

        check_seed(args.seed, "--seed")
    config = make_config(args.scale, parse_assignments(args.assignments), seed=args.seed)
    if args.layout is not None:
        from wstal.data.synthetic.layout import generate_on_layout

        dataset = generate_on_layout(config, args.layout)
    else:
        dataset = generate(config)
    dataset.meta["scale"] = args.scale
    if args.out is not None:
        from wstal.data.io import save_dataset_atomically

        save_dataset_atomically(dataset, args.out, args.fmt)
        print(f"wrote {len(dataset.videos)} videos ({dataset.feature_dim}-d, {dataset.feature_kind}) to {args.out}")
    if args.describe:
        from tabulate import tabulate

        print(tabulate(describe(dataset), headers="keys", missingval="-"))
    return 0
