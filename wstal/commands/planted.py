"""`wstal planted --run DIR [DIR ...]`: where evaluated synthetic runs' detections fall, by planted kind.

Reads the run's `<variant>/predictions.json` (written by `wstal evaluate --run`) and the dataset
recorded in its `config.json`; prints the phase coverage of the best detections
(`wstal.evaluation.phase_coverage`) and the share of each planted kind's snippets inside a detection
(`wstal.evaluation.planted_selection`), per run and, for several runs (e.g. the seeds of one experiment),
their mean. Synthetic data only: what was planted is known there alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tabulate import tabulate

from wstal.errors import ConfigError, DataError
from wstal.evaluation.planted_selection import KINDS
from wstal.metrics import COVERAGE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", metavar="DIR", required=True, nargs="+",
                        help="evaluated run folder(s) on synthetic data (several: also their mean)")
    parser.add_argument("--variant", default="default", help="inference variant whose predictions to read")


def run(args: argparse.Namespace) -> int:
    datasets: dict[str, tuple] = {}  # dataset folder -> (dataset, ground truth): seeds of one experiment share it
    rows = [_diagnose(Path(run_dir), args.variant, datasets) for run_dir in args.run]
    headers = ["run", *KINDS, "cover disc", "cover rest", "balance"]
    if len(rows) > 1:
        columns = zip(*(r[1:] for r in rows))
        rows.append(["mean", *(float(np.mean(c)) if None not in c else None for c in columns)])
    print("% of each planted kind's snippets inside a detection (context, background: any class of the video); "
          "cover: the best detection per instance (docs/evaluation.md §8)")
    print(tabulate(rows, headers=headers, floatfmt=".1f", missingval="-"))
    return 0


def _diagnose(run_dir: Path, variant: str, datasets: dict[str, tuple]) -> list:
    """[run label, % per planted kind..., cover disc, cover rest, balance] of one evaluated run."""
    from wstal.data.io import load_dataset
    from wstal.data.records import Detection
    from wstal.evaluate import GroundTruth
    from wstal.evaluation.phase_coverage import phase_coverage
    from wstal.evaluation.planted_selection import planted_selection
    from wstal.evaluation.predictions import load_predictions, to_arrays
    from wstal.run import read_run_config

    config = read_run_config(run_dir)
    path = run_dir / variant / "predictions.json"
    if not path.is_file():
        raise DataError(path, f"not found; evaluate the run first: wstal evaluate --run {run_dir} --variant {variant}")
    if not config.get("dataset_dir"):
        raise ConfigError(f"{run_dir / 'config.json'}: no dataset recorded (an imported run?)")
    if config["dataset_dir"] not in datasets:
        dataset = load_dataset(config["dataset_dir"])
        datasets[config["dataset_dir"]] = (dataset, GroundTruth.from_dataset(dataset, dataset.test_subset))
    dataset, truth = datasets[config["dataset_dir"]]
    videos = dataset.test_videos
    arrays = to_arrays(load_predictions(path), truth)
    detections = [Detection(arrays.videos[v], int(c), float(s), float(a), float(b))
                  for v, c, s, (a, b) in zip(arrays.video, arrays.label, arrays.score, arrays.segments)]
    selection = planted_selection(dataset, videos, detections)
    if selection is None:
        raise DataError(config["dataset_dir"], "no planted phenomena recorded: `wstal planted` needs synthetic data")
    coverage = phase_coverage(dataset, videos, detections) or {}
    label = f"{config['experiment']} seed {config['seed']}"
    return [label, *(None if count == 0 else share for share, count in selection.values()),
            *(coverage.get(c.part) for c in COVERAGE.values())]
