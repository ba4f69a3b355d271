"""Run folders: train one (experiment, seed), evaluate it with an inference variant.

A run folder is `results/<dataset>/<scale>/<experiment>/seed<k>/` (docs/architecture.md):
`config.json` (the fully resolved config: method defaults + scale + experiment
overrides), `model.pt`, `train_log.jsonl`, `train_summary.json`, and per evaluation
variant `<variant>/predictions.json` + `<variant>/metrics.json` (or
`metrics-<protocol>.json` when another protocol is asked for, for table8).
Inference-only ablations are variants of one trained model, never retrains.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from wstal.data.records import Dataset, Detection
from wstal.errors import ConfigError, DataError
from wstal.evaluation.phase_coverage import phase_coverage
from wstal.evaluation.precision import non_interpolated_ap
from wstal.metrics import AVERAGE_TIOUS as AVERAGES, all_tious, average_of, tiou_key
from wstal.methods.base import Method, apply_overrides, config_from_dict, config_to_dict, get_method
from wstal.train import (CHECKPOINT, TRAIN_LOG, TRAIN_SUMMARY, check_resumable, load_checkpoint, peak_memory_mb,
                         train)
from wstal.utils.atomic import atomic_write_json, write_error
from wstal.utils.provenance import provenance
from wstal.utils.seeding import resolve_device

RUN_CONFIG = "config.json"
EVALUATION_INDEX = "evaluation.json"  # written last by `wstal evaluate --run`: what it evaluated


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
    `config.json` first, so an interrupted run still says what it was. The folder is
    locked while training (a second training into it fails at once), and a start that
    fails before the first checkpoint leaves no half run folder behind.
    """
    from wstal.catalog import load_catalog
    from wstal.data.io import load_dataset
    from wstal.data.sources import SOURCES
    from wstal.train import check_has_features

    catalog = catalog if catalog is not None else load_catalog()
    exp = catalog.experiment(experiment)
    method = get_method(exp.method)
    config = resolve_config(method, scale, dict(exp.overrides), experiment)
    dataset = load_dataset(dataset_dir)
    check_has_features(dataset, experiment)
    prepared_variant = dataset.meta.get("data_variant")
    if prepared_variant is not None and prepared_variant != exp.data_variant:
        raise ConfigError(f"experiment {experiment!r} needs data variant {exp.data_variant!r} but {dataset_dir} "
                          f"was prepared as {prepared_variant!r}")
    prepared_source, wanted_source = dataset.meta.get("source"), catalog.data_variant(exp.data_variant).real_source
    if prepared_source in SOURCES and prepared_source != wanted_source:  # a real feature source (wstal.data.sources)
        raise ConfigError(f"experiment {experiment!r} needs feature source {wanted_source or 'synthetic data'} but "
                          f"{dataset_dir} holds {prepared_source!r} features")
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        with run_folder_lock(out_dir):
            remove_stale_temps_in(out_dir)
            if resume:
                check_resumable(out_dir, exp.method, config, experiment)  # config.json must keep matching model.pt
                check_same_run(out_dir, experiment, seed)  # same config, other experiment or seed: no mixing
            else:  # a fresh start: nothing of the old run may pass for this one if the new start fails
                _unlink(out_dir / TRAIN_SUMMARY)
                _unlink(out_dir / CHECKPOINT)
            try:
                atomic_write_json(out_dir / RUN_CONFIG, {
                    "experiment": experiment, "method": exp.method, "data_variant": exp.data_variant,
                    "dataset": dataset_name or dataset.name, "dataset_dir": str(Path(dataset_dir).resolve()),
                    "scale": scale, "seed": int(seed), "config": config_to_dict(config),
                })
                return train(exp.method, config, dataset, out_dir, seed, device=device, resume=resume,
                             progress=progress, experiment=experiment)
            except BaseException:
                if not (out_dir / CHECKPOINT).exists():  # failed before anything resumable: leave no half run
                    for name in (RUN_CONFIG, TRAIN_LOG):
                        _unlink(out_dir / name)
                raise
    finally:
        if created:
            try:
                out_dir.rmdir()  # only if empty: a failed first start
            except OSError:
                pass


LOCK_FILE = ".wstal-train.lock"


@contextmanager
def run_folder_lock(out_dir: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on the run folder (created if needed) while training into it.

    `flock` on a file in the folder: released by the kernel when the process dies (SIGKILL
    included), so a killed run never leaves a stale lock; a second `wstal train` into the
    same folder fails at once with one line instead of mixing two runs' files.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(out_dir, "run folder (--out) exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    path = out_dir / LOCK_FILE
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise write_error(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(f"{out_dir}: another `wstal train` is training into this run folder (it holds "
                              f"{LOCK_FILE}); wait for it to finish or use another --out") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino  # not unlinked by a finishing holder meanwhile
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield path
    finally:
        _unlink(path)
        os.close(fd)


def check_same_run(out_dir: Path, experiment: str, seed: int) -> None:
    """A run folder holding another (experiment, seed) is refused, not resumed into a mixed folder."""
    path = out_dir / RUN_CONFIG
    if not path.exists() or not ((out_dir / CHECKPOINT).exists() or (out_dir / TRAIN_SUMMARY).exists()):
        return
    recorded = _read_run_config(out_dir)
    if recorded.get("experiment") != experiment or recorded.get("seed") != int(seed):
        raise ConfigError(f"{out_dir}: run folder holds experiment {recorded.get('experiment')!r} seed "
                          f"{recorded.get('seed')!r} (config.json), not {experiment!r} seed {seed}; use another "
                          f"--out, or --no-resume to replace it")


def remove_stale_temps_in(folder: Path) -> None:
    """Temp files that killed writers left in the run folder (safe: the folder is locked by us)."""
    from wstal.utils.atomic import remove_stale_temps

    for name in (CHECKPOINT, TRAIN_SUMMARY, TRAIN_LOG, RUN_CONFIG):
        remove_stale_temps(folder, name)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise write_error(path, exc) from None


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
        aps.append(non_interpolated_ap(truth[order, c][:, None], positives)[0])
    return float(100.0 * np.mean(aps)) if aps else None


def _evaluate(dataset: Dataset, predictions: dict, protocol: str, tious: tuple[float, ...]) -> dict:
    from wstal.evaluate import GroundTruth

    return _evaluate_truth(GroundTruth.from_dataset(dataset, dataset.test_subset), predictions, protocol, tious)


def _evaluate_truth(truth: Any, predictions: dict, protocol: str, tious: tuple[float, ...]) -> dict:
    from wstal.evaluate import evaluate_detections

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


def model_from_checkpoint(ckpt: dict, dataset: Dataset, source: Path) -> tuple[Method, nn.Module]:
    """The method (config from the checkpoint) and its model carrying the checkpoint's weights, on the CPU."""
    method_cls = get_method(ckpt["method"])
    method = method_cls(config_from_dict(method_cls.Config, ckpt["config"], f"{source} config"), dataset)
    model = method.build_model()
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise DataError(source, f"weights do not fit the model for this dataset "
                                f"({str(exc).splitlines()[0][:200]})") from None
    return method, model


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
    run_config = _read_run_config(run_dir)
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
            result = _evaluate_truth(truth, predictions, protocol or method_cls.PROTOCOL, _all_tious(method_cls))
            eval_wall = infer_wall + time.perf_counter() - t1
            result["average"], result["averages"] = _averages(result, method_cls)
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
                "provenance": {**provenance(dev, ckpt.get("seed")), "train_commits": _train_commits(run_dir, ckpt)},
                "timing": {**train_timing, "eval_wall_s": eval_wall, "eval_peak_memory_mb": peak_memory_mb(dev)},
                "num_detections": len(detections),
            }
            atomic_write_json(run_dir / evaluation_file(variant, protocol), metrics)
            results[(variant, protocol)] = metrics
    return results


RUN_CONFIG_FIELDS = {"experiment": str, "method": str, "dataset_dir": str, "scale": str, "seed": int}
OPTIONAL_RUN_FIELDS = {"dataset_dir"}  # `wstal import cmcs` without --data records none (null)


def _read_run_config(run_dir: Path) -> dict:
    """`config.json` of a run folder, with the fields evaluation reads checked (one line if not)."""
    from wstal.utils.jsonfile import read_json

    path = run_dir / RUN_CONFIG
    if not run_dir.is_dir():
        raise DataError(run_dir, "run folder not found")
    data = read_json(path, "missing; this folder was not made by `wstal train`")
    if not isinstance(data, dict):
        raise DataError(path, f"expected a JSON object, got {type(data).__name__}; this file was not written by "
                              "`wstal train` (retrain the run)")
    for key, kind in RUN_CONFIG_FIELDS.items():
        value = data.get(key)
        if value is None and key in OPTIONAL_RUN_FIELDS and key in data:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DataError(path, f"field {key!r} missing or not {kind.__name__} (got {type(value).__name__}); "
                                  "this file was not written by `wstal train` (retrain the run)")
    return data


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


__all__ = ["train_run", "evaluate_run", "evaluate_run_all", "evaluation_file", "run_folder_lock", "resolve_config",
           "score_model", "predict", "predictions_json", "classification_map", "AVERAGES"]
