"""Run folders: train one (experiment, seed), evaluate it with an inference variant.

A run folder is `results/<dataset>/<scale>/<experiment>/seed<k>/` (docs/architecture.md):
`config.json` (the fully resolved config: method defaults + scale + experiment
overrides), `model.pt`, `train_log.jsonl`, `train_summary.json`, and per evaluation
variant `<variant>/predictions.json` + `<variant>/metrics.json` (or
`metrics-<protocol>.json` when another protocol is asked for, for table8).
Inference-only ablations are variants of one trained model, never retrains.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from wstal.data.records import Dataset
from wstal.errors import ConfigError, DataError
from wstal.metrics import AVERAGE_TIOUS as AVERAGES, all_tious, average_of, tiou_key
from wstal.methods.base import Detection, Method, apply_overrides, config_from_dict, config_to_dict, get_method
from wstal.train import CHECKPOINT, TRAIN_SUMMARY, check_resumable, load_checkpoint, peak_memory_mb, train
from wstal.utils.atomic import atomic_write_json
from wstal.utils.provenance import provenance
from wstal.utils.seeding import resolve_device

RUN_CONFIG = "config.json"


def resolve_config(method: type[Method], scale: str, overrides: dict, experiment: str) -> Any:
    """Method defaults (the paper's) + `SCALES[scale]` + the experiment's overrides."""
    if scale not in method.SCALES:
        raise ConfigError(f"unknown scale {scale!r} for method {method.name!r}; known: {', '.join(method.SCALES)}")
    config = apply_overrides(method.Config(), method.SCALES[scale], f"{method.name} scale {scale!r}")
    return apply_overrides(config, overrides, f"experiment {experiment!r}")


def train_run(
    experiment: str,
    seed: int,
    dataset_dir: str | Path,
    scale: str,
    out_dir: str | Path,
    device: str = "auto",
    *,
    resume: bool = True,
    progress: bool | str | None = None,
    catalog: Any = None,
    dataset_name: str | None = None,
) -> dict:
    """Train catalog experiment `experiment` with `seed` into the run folder `out_dir`.

    `catalog` is a loaded `Catalog` (default: `config/catalog.yaml`). Writes
    `config.json` first, so an interrupted run still says what it was.
    """
    from wstal.catalog import load_catalog
    from wstal.data.io import load_dataset
    from wstal.data.sources import SOURCES

    catalog = catalog if catalog is not None else load_catalog()
    exp = catalog.experiment(experiment)
    method = get_method(exp.method)
    config = resolve_config(method, scale, dict(exp.overrides), experiment)
    dataset = load_dataset(dataset_dir)
    prepared_variant = dataset.meta.get("data_variant")
    if prepared_variant is not None and prepared_variant != exp.data_variant:
        raise ConfigError(f"experiment {experiment!r} needs data variant {exp.data_variant!r} but {dataset_dir} "
                          f"was prepared as {prepared_variant!r}")
    prepared_source, wanted_source = dataset.meta.get("source"), catalog.data_variant(exp.data_variant).real_source
    if prepared_source in SOURCES and prepared_source != wanted_source:  # a real feature source (wstal.data.sources)
        raise ConfigError(f"experiment {experiment!r} needs feature source {wanted_source or 'synthetic data'} but "
                          f"{dataset_dir} holds {prepared_source!r} features")
    out_dir = Path(out_dir)
    if resume:
        check_resumable(out_dir, exp.method, config, experiment)  # config.json must keep matching model.pt
    atomic_write_json(out_dir / RUN_CONFIG, {
        "experiment": experiment, "method": exp.method, "data_variant": exp.data_variant,
        "dataset": dataset_name or dataset.name, "dataset_dir": str(Path(dataset_dir).resolve()),
        "scale": scale, "seed": int(seed), "config": config_to_dict(config),
    })
    return train(exp.method, config, dataset, out_dir, seed, device=device, resume=resume,
                 progress=progress, experiment=experiment)


# ------------------------------------------------------------------ inference


def predict(method: Method, model: nn.Module, videos: list, variant: str) -> tuple[list[Detection], np.ndarray]:
    """Detections and video-level scores [V, C] of `videos`, in eval mode without gradients."""
    was_training = model.training
    model.eval()
    detections: list[Detection] = []
    scores = []
    try:
        with torch.no_grad():
            for video in videos:
                outputs = method.infer(model, video, variant)
                detections.extend(method.localize(outputs, video, variant))
                scores.append(np.asarray(method.video_scores(outputs), dtype=np.float64))
    finally:
        model.train(was_training)
    return detections, np.stack(scores) if scores else np.zeros((0, method.dataset.num_classes))


def predictions_json(detections: list[Detection], dataset: Dataset, videos: list) -> dict:
    """ActivityNet result format: seconds and class names; every test video present (maybe empty)."""
    results: dict[str, list] = {v.name: [] for v in videos}
    for d in detections:
        results[d.video].append({"label": dataset.classes[d.label], "score": float(d.score),
                                 "segment": [float(d.start), float(d.end)]})
    return {"version": "wstal-predictions-1", "results": results, "external_data": {"used": False}}


def classification_map(scores: np.ndarray, videos: list, num_classes: int) -> float | None:
    """Mean over classes (with a positive video) of the non-interpolated AP of video scores, in %."""
    truth = np.zeros((len(videos), num_classes), dtype=bool)
    for i, video in enumerate(videos):
        truth[i, list(video.labels)] = True
    aps = []
    for c in range(num_classes):
        positives = int(truth[:, c].sum())
        if positives == 0:
            continue
        order = np.argsort(-scores[:, c], kind="stable")
        hits = truth[order, c]
        precision_at_hit = np.cumsum(hits)[hits] / (np.flatnonzero(hits) + 1)
        aps.append(precision_at_hit.sum() / positives)
    return float(100.0 * np.mean(aps)) if aps else None


def _evaluate(dataset: Dataset, predictions: dict, protocol: str, tious: tuple[float, ...]) -> dict:
    from wstal.evaluate import GroundTruth, evaluate_detections

    truth = GroundTruth.from_dataset(dataset, dataset.test_subset)
    return dict(evaluate_detections(truth, predictions, protocol=protocol, tious=tious))


def _all_tious(method: type[Method]) -> tuple[float, ...]:
    """The paper's thresholds plus those every reported average needs."""
    return all_tious(tuple(method.TIOUS))


def _averages(result: dict, method: type[Method]) -> tuple[float, dict]:
    """The paper's average (over `method.TIOUS`) and the named averages, from mAP per tIoU."""
    by_tiou = {tiou_key(t): float(m) for t, m in zip(result["tiou"], result["map"])}
    named = {name: value for name in AVERAGES if (value := average_of(by_tiou, name)) is not None}
    paper = float(np.mean([by_tiou[tiou_key(t)] for t in method.TIOUS]))
    return paper, named


def score_model(method: Method, model: nn.Module, device: torch.device, variant: str = "default") -> dict:
    """mAP of an in-memory model on the test subset (the loop's periodic best-on-test evaluation)."""
    videos = method.dataset.test_videos
    detections, _ = predict(method, model, videos, variant)
    cls = type(method)
    result = _evaluate(method.dataset, predictions_json(detections, method.dataset, videos), cls.PROTOCOL,
                       _all_tious(cls))
    result["average"], result["averages"] = _averages(result, cls)
    return result


def evaluate_run(run_dir: str | Path, variant: str, protocol: str | None = None,
                 dataset_dir: str | Path | None = None, device: str = "auto") -> dict:
    """Evaluate the finished run in `run_dir` with inference variant `variant`; return metrics.

    Writes `<run>/<variant>/predictions.json` and `metrics.json` (or
    `metrics-<protocol>.json` when `protocol` is given). The checkpoint loads with
    `weights_only=True`; `dataset_dir` defaults to the one recorded in `config.json`.
    """
    run_dir = Path(run_dir)
    run_config = _read_run_config(run_dir)
    ckpt = load_checkpoint(run_dir / CHECKPOINT)
    if int(ckpt["step"]) < int(ckpt["total_steps"]):
        raise DataError(run_dir / CHECKPOINT, f"run is not finished (step {ckpt['step']} of "
                                              f"{ckpt['total_steps']}); resume it with `wstal train` first")
    method_cls = get_method(ckpt["method"])
    if variant not in method_cls.VARIANTS:
        raise ConfigError(f"unknown variant {variant!r} for method {method_cls.name!r}; "
                          f"known: {', '.join(method_cls.VARIANTS)}")
    from wstal.data.io import load_dataset

    data = dataset_dir or run_config.get("dataset_dir")
    if data is None:  # an imported run records no dataset unless `wstal import --data` gave one
        raise ConfigError(f"{run_dir / RUN_CONFIG}: no dataset recorded; give the dataset folder (--annotations)")
    dataset = load_dataset(data)
    config = config_from_dict(method_cls.Config, ckpt["config"], f"{run_dir / CHECKPOINT} config")
    dev = resolve_device(device)
    method = method_cls(config, dataset)
    model = method.build_model()
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise DataError(run_dir / CHECKPOINT, f"weights do not fit the model for this dataset "
                                              f"({str(exc).splitlines()[0][:200]})") from None
    model.to(dev)

    t0 = time.perf_counter()
    videos = dataset.test_videos
    detections, scores = predict(method, model, videos, variant)
    predictions = predictions_json(detections, dataset, videos)
    chosen = protocol or method_cls.PROTOCOL
    result = _evaluate(dataset, predictions, chosen, _all_tious(method_cls))
    eval_wall = time.perf_counter() - t0
    result["average"], result["averages"] = _averages(result, method_cls)
    result["average_tious"] = [float(t) for t in method_cls.TIOUS]

    train_timing = _train_timing(run_dir, ckpt)
    metrics = {
        **result,
        "classification_map": classification_map(scores, videos, dataset.num_classes),
        "best_on_test": ckpt.get("best_on_test"),
        "experiment": run_config.get("experiment", ckpt.get("experiment")),
        "method": ckpt["method"],
        "variant": variant,
        "dataset": run_config.get("dataset", dataset.name),
        "scale": run_config.get("scale"),
        "data_variant": run_config.get("data_variant"),
        "config": ckpt["config"],
        "provenance": {**provenance(dev, ckpt.get("seed")), "train_commits": _train_commits(run_dir, ckpt)},
        "timing": {**train_timing, "eval_wall_s": eval_wall, "eval_peak_memory_mb": peak_memory_mb(dev)},
        "num_detections": len(detections),
    }
    out = run_dir / variant
    atomic_write_json(out / "predictions.json", predictions)
    atomic_write_json(out / ("metrics.json" if protocol is None else f"metrics-{protocol}.json"), metrics)
    return metrics


def _read_run_config(run_dir: Path) -> dict:
    path = run_dir / RUN_CONFIG
    if not run_dir.is_dir():
        raise DataError(run_dir, "run folder not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, "missing; this folder was not made by `wstal train`") from None
    except ValueError as exc:
        raise DataError(path, f"not valid JSON ({exc})") from None


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
    try:
        timing = json.loads((run_dir / TRAIN_SUMMARY).read_text(encoding="utf-8"))["timing"]
    except (OSError, ValueError, KeyError):
        timing = {"train_wall_s": ckpt.get("train_wall_s"), "iterations_per_s": None, "peak_memory_mb": None}
    return {"train_wall_s": timing.get("train_wall_s"), "iterations_per_s": timing.get("iterations_per_s"),
            "peak_memory_mb": timing.get("peak_memory_mb")}


__all__ = ["train_run", "evaluate_run", "resolve_config", "score_model", "predict", "predictions_json",
           "classification_map", "AVERAGES"]
