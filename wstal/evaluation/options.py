"""Checks of `wstal evaluate`'s options before anything is read or written.

Kept apart from the command so that the command module can change (one run, all
variants) while the rules stay: an option that does not apply is an error, not silently
ignored (`--run` takes its GT, thresholds and output paths from the run); `--output`
never replaces an input; `--snippet-seconds` is a plausible snippet length; and a run
is evaluated only on the dataset it was trained on, because its metrics files are named
by variant, not by dataset.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wstal.errors import ConfigError
from wstal.evaluation.ground_truth import check_snippet_seconds

# The command's defaults for the options `--run` does not use (a value other than these was typed).
DEFAULT_TIOU_TEXT = "0.1:0.7:0.1"
DEFAULT_SUBSET = "test"
DEFAULT_VARIANT = "default"


def check_evaluate_options(args: argparse.Namespace) -> None:
    """All option checks of `wstal evaluate`; call first in its `run`."""
    if getattr(args, "run", None):
        check_run_options(args)
    else:
        variant = getattr(args, "variant", DEFAULT_VARIANT)
        if variant not in (None, DEFAULT_VARIANT):
            raise ConfigError(f"--variant {variant!r} applies to --run only (a prediction file has no variants)")
    if getattr(args, "snippet_seconds", None) is not None:
        check_snippet_seconds(args.snippet_seconds)
    output = getattr(args, "output", None)
    if output:
        inputs = {"--predictions": getattr(args, "predictions", None),
                  "--annotations": getattr(args, "annotations", None)}
        check_output_is_not_an_input(output, {k: v for k, v in inputs.items() if v})


def check_run_options(args: argparse.Namespace) -> None:
    """`--run` reads its GT, thresholds and output paths from the run: other values would be ignored."""
    given = []
    for option, attribute, default in (("--predictions", "predictions", None), ("--output", "output", None),
                                       ("--snippet-seconds", "snippet_seconds", None),
                                       ("--tiou", "tiou", DEFAULT_TIOU_TEXT), ("--subset", "subset", DEFAULT_SUBSET)):
        value = getattr(args, attribute, default)
        if value is not None and value != default:
            given.append(option)
    if given:
        raise ConfigError(f"{', '.join(given)} cannot be used with --run (a run is scored on its dataset's test "
                          f"subset at the method's thresholds into <run>/<variant>/); to score other settings, "
                          f"evaluate <run>/<variant>/predictions.json with --predictions and --annotations")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output_is_not_an_input(output: str | Path, inputs: dict[str, str | Path]) -> None:
    """Refuse an `--output` that is (or, through links, resolves to) an input file or lies in an input folder."""
    out = Path(output)
    real_out = Path(os.path.realpath(out))
    for option, value in inputs.items():
        path = Path(value)
        if path.is_dir():
            if real_out.is_relative_to(Path(os.path.realpath(path))):
                raise ConfigError(f"--output {out}: lies inside the {option} folder {path}; write it elsewhere")
        elif _same_file(out, path):
            raise ConfigError(f"--output {out}: is the {option} file {path}; it would be replaced by the metrics")


def check_run_dataset(run_dir: str | Path, recorded: str | None, given: str | Path | None) -> None:
    """`--annotations` with `--run` must be the run's own dataset (the metrics keep the run's file names).

    `recorded` is `config.json`'s `dataset_dir` (symlinks and other spellings of it pass).
    """
    if given is None or recorded is None:
        return
    given_path, recorded_path = Path(given), Path(recorded)
    if _same_file(given_path, recorded_path):
        return
    raise ConfigError(f"--annotations {given}: run {run_dir} was trained on {recorded}; its metrics would be "
                      f"labelled with that dataset. Evaluate {Path(run_dir) / '<variant>' / 'predictions.json'} "
                      f"with --predictions and --annotations {given} instead (or fix dataset_dir in "
                      f"{Path(run_dir) / 'config.json'} if the dataset moved)")
