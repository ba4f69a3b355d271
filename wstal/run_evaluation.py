"""Evaluate a finished run folder: inference per variant, every protocol, one metrics schema.

Kept apart from `wstal.run` (training) so that the code of `wstal evaluate` alone, e.g. what a
metrics file records, is not part of the trainings' code digest (`wstal.report.sources`): an
edit here re-runs evaluations, never trainings. Writes `<run>/<variant>/predictions.json` and
`metrics.json` (or `metrics-<protocol>.json`), then `evaluation.json` (what was evaluated).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from wstal.errors import ConfigError, DataError
from wstal.evaluation.phase_coverage import phase_coverage
from wstal.methods.base import get_method
from wstal.run import (RUN_CONFIG, classification_map, method_averages, method_tious, model_from_checkpoint, predict,
                       predictions_json, read_run_config, score_predictions)
from wstal.train import CHECKPOINT, TRAIN_SUMMARY, load_checkpoint, peak_memory_mb
from wstal.utils.atomic import atomic_write_json
from wstal.utils.provenance import provenance
from wstal.utils.seeding import resolve_device

EVALUATION_INDEX = "evaluation.json"  # written last by `wstal evaluate --run`: what it evaluated


def evaluate_run(run_dir: str | Path, variant: str, protocol: str | None = None,
                 dataset_dir: str | Path | None = None, device: str = "auto") -> dict:
    """Evaluate the finished run in `run_dir` with inference variant `variant`; return metrics.

    Writes `<run>/<variant>/predictions.json` and `metrics.json` (or
    `metrics-<protocol>.json` when `protocol` is given). The checkpoint loads with
    `weights_only=True`; `dataset_dir` defaults to the one recorded in `config.json`.
    """
    return evaluate_run_all(run_dir, [(variant, protocol)], dataset_dir, device)[(variant, protocol)]


def evaluation_file(variant: str, protocol: str | None = None) -> str:
    """`<variant>/metrics.json` (the method's protocol) or `<variant>/metrics-<protocol>.json`, run-relative."""
    return f"{variant}/" + ("metrics.json" if protocol is None else f"metrics-{protocol}.json")


def evaluate_run_all(run_dir: str | Path, evaluations: list[tuple[str, str | None]],
                     dataset_dir: str | Path | None = None, device: str = "auto") -> dict:
    """Every (variant, protocol) evaluation of one finished run, in one process.

    The checkpoint, dataset and ground truth are loaded once; inference runs once per
    variant, and each protocol re-scores that variant's predictions (protocol None: the
    method's own, written to `metrics.json`). Every metrics file has one schema. Returns
    {(variant, protocol): metrics}.
    """
    run_dir = Path(run_dir)
    run_config = read_run_config(run_dir)
    ckpt = load_checkpoint(run_dir / CHECKPOINT)
    if int(ckpt["step"]) < int(ckpt["total_steps"]):
        raise DataError(run_dir / CHECKPOINT, f"run is not finished (step {ckpt['step']} of "
                                              f"{ckpt['total_steps']}); resume it with `wstal train` first")
    method_cls = get_method(ckpt["method"])
    for variant, protocol in evaluations:
        if variant not in method_cls.VARIANTS:
            raise ConfigError(f"unknown variant {variant!r} for method {method_cls.name!r}; "
                              f"known: {', '.join(method_cls.VARIANTS)}")
        if protocol is not None:
            from wstal.evaluation.protocols import PROTOCOLS

            PROTOCOLS.get(protocol)  # one line with "did you mean" before any inference
    from wstal.data.io import load_dataset
    from wstal.evaluation.options import check_run_dataset
    from wstal.evaluate import GroundTruth

    data = dataset_dir or run_config.get("dataset_dir")
    if data is None:  # an imported run records no dataset unless `wstal import --data` gave one
        raise ConfigError(f"{run_dir / RUN_CONFIG}: no dataset recorded; give the dataset folder (--annotations)")
    check_run_dataset(run_dir, run_config.get("dataset_dir"), dataset_dir)
    dataset = load_dataset(data)
    dev = resolve_device(device)
    method, model = model_from_checkpoint(ckpt, dataset, run_dir / CHECKPOINT)
    model.to(dev)
    truth = GroundTruth.from_dataset(dataset, dataset.test_subset)
    train_timing = _train_timing(run_dir, ckpt)
    run_provenance = {**provenance(dev, ckpt.get("seed")), "train_commits": _train_commits(run_dir, ckpt)}
    videos = dataset.test_videos
    results: dict = {}
    for variant in dict.fromkeys(v for v, _ in evaluations):
        t0 = time.perf_counter()
        detections, scores = predict(method, model, videos, variant)
        predictions = predictions_json(detections, dataset, videos)
        infer_wall = time.perf_counter() - t0
        cls_map = classification_map(scores, videos, dataset.num_classes)
        coverage = phase_coverage(dataset, videos, detections)  # None unless phases were planted
        out = run_dir / variant
        atomic_write_json(out / "predictions.json", predictions)
        for protocol in dict.fromkeys(p for v, p in evaluations if v == variant):
            t1 = time.perf_counter()
            result = score_predictions(truth, predictions, protocol or method_cls.PROTOCOL, method_tious(method_cls))
            eval_wall = infer_wall + time.perf_counter() - t1
            result["average"], result["averages"] = method_averages(result, method_cls)
            result["average_tious"] = [float(t) for t in method_cls.TIOUS]
            metrics = {
                **result,
                "classification_map": cls_map,
                "phase_coverage": coverage,
                "best_on_test": ckpt.get("best_on_test"),
                "experiment": run_config.get("experiment", ckpt.get("experiment")),
                "method": ckpt["method"],
                "variant": variant,
                "dataset": run_config.get("dataset", dataset.name),
                "scale": run_config.get("scale"),
                "data_variant": run_config.get("data_variant"),
                "dataset_dir": str(Path(data).resolve()),
                "config": ckpt["config"],
                "provenance": run_provenance,
                "timing": {**train_timing, "eval_wall_s": eval_wall, "eval_peak_memory_mb": peak_memory_mb(dev)},
                "num_detections": len(detections),
            }
            atomic_write_json(run_dir / evaluation_file(variant, protocol), metrics)
            results[(variant, protocol)] = metrics
    return results


def _train_commits(run_dir: Path, ckpt: dict) -> list[str]:
    """The commits the weights were trained at (checkpoint first, else the training summary)."""
    commits = ckpt.get("train_commits")
    if not commits:
        try:
            commits = json.loads((run_dir / TRAIN_SUMMARY).read_text(encoding="utf-8")).get("train_commits")
        except (OSError, ValueError, AttributeError):
            commits = None
    return [str(c) for c in commits] if commits else ["unknown"]


def _train_timing(run_dir: Path, ckpt: dict) -> dict:
    """Timing of the training from its summary; from the checkpoint when the summary is unusable."""
    try:
        summary = json.loads((run_dir / TRAIN_SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        summary = None
    timing = summary.get("timing") if isinstance(summary, dict) else None
    if not isinstance(timing, dict):
        timing = {"train_wall_s": ckpt.get("train_wall_s"), "iterations_per_s": None, "peak_memory_mb": None}

    def number(key: str) -> float | None:
        value = timing.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    return {"train_wall_s": number("train_wall_s"), "iterations_per_s": number("iterations_per_s"),
            "peak_memory_mb": number("peak_memory_mb")}


__all__ = ["evaluate_run", "evaluate_run_all", "evaluation_file", "EVALUATION_INDEX"]
