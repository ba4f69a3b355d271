"""`wstal evaluate`: mAP@tIoU of a prediction file (or of a run folder with `--run`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tabulate import tabulate

from wstal.errors import ConfigError
from wstal.evaluation.protocols import PROTOCOL_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--annotations", metavar="PATH",
                        help="GT: a reduced-format or wstal-format dataset folder, or an ActivityNet-style GT JSON "
                             "(with --run: the dataset folder, default the one recorded in the run)")
    parser.add_argument("--predictions", metavar="PRED.json", help="ActivityNet result JSON (seconds)")
    parser.add_argument("--subset", default="test", help="GT subset to evaluate (default: test)")
    parser.add_argument("--protocol", default=None, choices=PROTOCOL_NAMES,
                        help="evaluation protocol (docs/evaluation.md) (default: activitynet; "
                             "with --run: the method's paper protocol)")
    parser.add_argument("--tiou", default="0.1:0.7:0.1", help="start:stop:step (stop included) or a comma list")
    parser.add_argument("--snippet-seconds", type=float, default=None,
                        help="snippet grid of a GT JSON for the snippet/wtalc protocols (default 0.64 = 16/25)")
    parser.add_argument("--output", metavar="metrics.json", help="write the result JSON here")
    parser.add_argument("--run", metavar="DIR", help="evaluate a finished run folder instead of a prediction file")
    parser.add_argument("--variant", default="default",
                        help="with --run: inference variant(s), comma-separated; VARIANT@PROTOCOL also scores "
                             "that variant under another protocol (metrics-PROTOCOL.json). All in one process: "
                             "the model and dataset load once, inference runs once per variant")


def run(args: argparse.Namespace) -> int:
    from wstal.evaluation.options import check_evaluate_options

    check_evaluate_options(args)  # options that do not apply, --output = an input, --snippet-seconds
    if args.run:
        return run_evaluations(args)

    from wstal.evaluate import evaluate_detections, load_predictions, parse_tious
    from wstal.utils.atomic import atomic_write_json

    if not args.annotations or not args.predictions:
        raise ConfigError("wstal evaluate: give --annotations PATH and --predictions PRED.json (or --run DIR)")
    tious = parse_tious(args.tiou)
    truth = load_ground_truth(Path(args.annotations), args.subset, args.snippet_seconds)
    predictions = load_predictions(args.predictions)
    result = evaluate_detections(truth, predictions, protocol=args.protocol or "activitynet", tious=tious)
    print(render_table(result))
    if args.output:
        atomic_write_json(args.output, result)
    return 0


def parse_evaluations(spec: str, protocol: str | None) -> list[tuple[str, str | None]]:
    """`default,masking,default@snippet` -> [(default, P), (masking, P), (default, snippet)] (P = --protocol)."""
    out = []
    for item in spec.split(","):
        variant, _, item_protocol = item.strip().partition("@")
        if not variant:
            raise ConfigError(f"--variant {spec!r}: empty variant name (expected VARIANT[@PROTOCOL],...)")
        out.append((variant, item_protocol or protocol or None))
    return list(dict.fromkeys(out))


def run_evaluations(args: argparse.Namespace) -> int:
    """`--run`: every requested evaluation of the run, then `evaluation.json` (the workflow's marker)."""
    from wstal.run_evaluation import EVALUATION_INDEX, evaluate_run_all, evaluation_file
    from wstal.train import process_cpu_s
    from wstal.utils.atomic import atomic_write_json

    evaluations = parse_evaluations(args.variant, args.protocol)
    results = evaluate_run_all(args.run, evaluations, dataset_dir=args.annotations)
    for (variant, _protocol), metrics in results.items():
        print(f"{variant}: " + render_table(metrics))
    atomic_write_json(Path(args.run) / EVALUATION_INDEX, {"evaluations": [
        {"variant": v, "protocol": m["protocol"], "metrics": evaluation_file(v, p),
         "predictions": f"{v}/predictions.json", "average": m["average"]}
        for (v, p), m in results.items()], "process_cpu_s": process_cpu_s()})
    return 0


def load_ground_truth(path: Path, subset: str, snippet_seconds: float | None):
    """A GT JSON file, or a dataset folder read by `wstal.data.io` (annotations only)."""
    from wstal.data.records import SNIPPET_SECONDS
    from wstal.errors import DataError
    from wstal.evaluate import GroundTruth

    if path.is_dir():
        from wstal.data.io import load_dataset

        dataset = load_dataset(path)
        if snippet_seconds is not None:
            dataset.snippet_seconds = snippet_seconds
        return GroundTruth.from_dataset(dataset, subset)
    if not path.exists():
        raise DataError(path, "annotations not found (expected a dataset folder or a GT JSON file)")
    return GroundTruth.from_json(path, subset, snippet_seconds if snippet_seconds is not None else SNIPPET_SECONDS)


def render_table(result: dict) -> str:
    """mAP per tIoU and the average, one row, for the terminal."""
    headers = [f"mAP@{t:g}" for t in result["tiou"]] + ["average"]
    row = [*result["map"], result["average"]]
    title = f"protocol {result['protocol']}: {result.get('num_predictions', '?')} predictions"
    text = title + "\n" + tabulate([row], headers=headers, floatfmt=".2f")
    coverage = result.get("phase_coverage")
    if coverage:  # synthetic data with planted phases
        text += (f"\nphase coverage of the best detection: discriminative {coverage['disc']:.1f}%, "
                 f"other phases {coverage['rest']:.1f}% (balance {coverage['balance']:+.1f})")
    return text
