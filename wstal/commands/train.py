"""`wstal train`: train one catalog experiment with one seed into its run folder.

The run folder defaults to `results/<dataset>/<scale>/<experiment>/seed<k>` and the
prepared data to `results/data/<dataset>/<scale>/<data_variant>` (synthetic) or `.../<feature source>`
(real data), as `wstal prepare` writes them.
An interrupted run resumes from its last checkpoint; a finished one is not retrained.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from wstal.data.records import DATASET_NAMES
from wstal.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", required=True, help="experiment name in the catalog")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--dataset", required=True, choices=DATASET_NAMES)
    parser.add_argument("--scale", required=True, choices=("smoke", "default", "paper"))
    parser.add_argument("--out", type=Path, default=None,
                        help="run folder (default: results/<dataset>/<scale>/<experiment>/seed<k>)")
    parser.add_argument("--data", type=Path, default=None,
                        help="prepared dataset folder (default: results/data/<dataset>/<scale>/<data_variant>, on "
                             "real data .../<feature source>)")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results root for the defaults")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    parser.add_argument("--no-resume", action="store_true", help="start over even if model.pt exists")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: config/catalog.yaml)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                        help="auto: a bar on a terminal, log lines otherwise")
    add_method_module_argument(parser)


def add_method_module_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method-module", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (registers extra methods: plugins, tests); repeatable")


def import_method_modules(names: list[str]) -> None:
    """Import user modules that register methods with `@METHODS.register`."""
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                raise ConfigError(f"--method-module {name!r}: module not found (is it on PYTHONPATH?)") from None
            raise


def check_options(args: argparse.Namespace) -> None:
    """Out-of-range options are one line here, not a traceback from torch or NumPy later."""
    from wstal.errors import DataError
    from wstal.utils.seeding import check_seed

    check_seed(args.seed, "--seed")
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads {args.threads}: must be at least 1")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise DataError(args.out, "--out exists and is not a folder (a run folder is a folder)")


def run(args: argparse.Namespace) -> int:
    check_options(args)
    import_method_modules(args.method_module)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    from wstal.catalog import load_catalog
    from wstal.run import train_run

    catalog = load_catalog(args.catalog)
    experiment = catalog.experiment(args.experiment)
    data = args.data or args.results / "data" / args.dataset / args.scale / catalog.data_key(experiment.name,
                                                                                             args.dataset)
    out = args.out or args.results / args.dataset / args.scale / args.experiment / f"seed{args.seed}"
    progress = None if args.progress == "auto" else args.progress
    summary = train_run(args.experiment, args.seed, data, args.scale, out, args.device,
                        resume=not args.no_resume, progress=progress, catalog=catalog, dataset_name=args.dataset)
    timing = summary["timing"]
    rate = timing.get("iterations_per_s")
    rate_text = f", {rate:.1f} it/s" if rate else ""
    wall = timing.get("train_wall_s")
    wall_text = f"{wall:.1f} s" if wall is not None else "? s"
    print(f"{args.experiment} seed {args.seed}: {summary['steps']} steps in {wall_text}{rate_text} -> {out}")
    return 0
