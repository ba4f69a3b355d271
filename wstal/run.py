"""Run folders: train one (experiment, seed); the inference and scoring training and evaluation share.

A run folder is `results/<dataset>/<scale>/<experiment>/seed<k>/` (docs/architecture.md):
`config.json` (the fully resolved config: method defaults + scale + experiment
overrides), `model.pt`, `train_log.jsonl`, `train_summary.json`, and per evaluation
variant `<variant>/predictions.json` + `<variant>/metrics.json` (or
`metrics-<protocol>.json` when another protocol is asked for, for table8).
Inference-only ablations are variants of one trained model, never retrains. Evaluating a
finished run folder is `wstal.run_evaluation` (apart, so that its edits never re-run trainings).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from wstal.data.records import Dataset, Detection
from wstal.errors import ConfigError, DataError
from wstal.evaluation.precision import non_interpolated_ap
from wstal.metrics import AVERAGE_TIOUS as AVERAGES, all_tious, average_of, tiou_key
from wstal.methods.base import Method, apply_overrides, config_from_dict, config_to_dict, get_method
from wstal.train import CHECKPOINT, TRAIN_LOG, TRAIN_SUMMARY, check_resumable, train
from wstal.utils.atomic import atomic_write_json, write_error

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
    recorded = read_run_config(out_dir)
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

    return score_predictions(GroundTruth.from_dataset(dataset, dataset.test_subset), predictions, protocol, tious)


def score_predictions(truth: Any, predictions: dict, protocol: str, tious: tuple[float, ...]) -> dict:
    from wstal.evaluate import evaluate_detections

    return dict(evaluate_detections(truth, predictions, protocol=protocol, tious=tious))


def method_tious(method: type[Method]) -> tuple[float, ...]:
    """The paper's thresholds plus those every reported average needs."""
    return all_tious(tuple(method.TIOUS))


def method_averages(result: dict, method: type[Method]) -> tuple[float, dict]:
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
                       method_tious(cls))
    result["average"], result["averages"] = method_averages(result, cls)
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


RUN_CONFIG_FIELDS = {"experiment": str, "method": str, "dataset_dir": str, "scale": str, "seed": int}
OPTIONAL_RUN_FIELDS = {"dataset_dir"}  # `wstal import cmcs` without --data records none (null)


def read_run_config(run_dir: Path) -> dict:
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


__all__ = ["train_run", "run_folder_lock", "resolve_config", "score_model", "score_predictions", "predict",
           "predictions_json", "classification_map", "model_from_checkpoint", "method_tious", "method_averages",
           "read_run_config", "AVERAGES"]
