"""mAP@tIoU of temporal detections under a named protocol (docs/evaluation.md).

    truth = GroundTruth.from_dataset(dataset, "test")     # or GroundTruth.from_json(path, subset)
    result = evaluate_detections(truth, detections, protocol="snippet", tious=(0.1, 0.3, 0.5))

`detections` is a list of `Detection` (class ids, seconds), an ActivityNet result
dict, or the `PredictionArrays` that `prepare_predictions(detections, truth)` returns
(validation done once when one prediction set is scored under several protocols). The result:
`{"protocol", "tiou", "map" (%), "average", "per_class" {class: [AP %]},
"num_predictions", "ignored_videos", ...}` plus the protocol's switches.

Ranking and ties. Predictions are ranked by score (descending); equal scores are
ordered by video (subset order), then start, then end time in seconds, so the result
never depends on input order (the official code's unstable argsort leaves this
open). Predictions identical in all of these are interchangeable. Within the matching,
equal overlaps go to the GT row earlier in file order (prediction-driven rules) or to
the higher-ranked prediction (the THUMOS kit's GT-driven rule, as Matlab's `max`).

Zero-length segments (GT shorter than half a snippet on the grid, or degenerate input)
have overlap 0 with everything: they can never be matched (a zero-length GT still
counts in N_pos; a zero-length prediction is a false positive), which removes the
official code's NaN-tIoU true positive.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from wstal.errors import ConfigError
from wstal.evaluation.ground_truth import GroundTruth
from wstal.evaluation.matching import OVERLAPS, candidate_pairs
from wstal.evaluation.precision import AP_RULES
from wstal.evaluation.predictions import PredictionArrays, load_predictions, ranking_order, to_arrays
from wstal.evaluation.protocols import AMBIGUOUS_RULES, MATCHERS, PROTOCOLS, UNITS, Protocol

prepare_predictions = to_arrays  # validate once, evaluate under several protocols

DEFAULT_TIOUS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)  # THUMOS'14 convention


def evaluate_detections(gt: GroundTruth, predictions: Any, protocol: str | Protocol = "activitynet",
                        tious: Sequence[float] = DEFAULT_TIOUS) -> dict:
    """Per-class AP and mAP (in %) at each tIoU threshold under `protocol`."""
    proto = protocol if isinstance(protocol, Protocol) else PROTOCOLS.get(protocol)
    thresholds = check_tious(tious)
    preds = to_arrays(predictions, gt)  # validated, in ranking order
    npos = gt.positives_per_class()
    evaluated = np.flatnonzero(npos > 0)
    has_gt = npos > 0
    off_class = ~has_gt[preds.label]  # known class, but no GT in this subset: nothing to match
    preds = preds.select(~off_class)

    unit = UNITS.get(proto.unit)
    gt_seg = unit(gt.segments, gt.snippet_seconds)
    amb_seg = unit(gt.ambiguous, gt.snippet_seconds)
    pred_seg = unit(preds.segments, gt.snippet_seconds)

    rule = AMBIGUOUS_RULES.get(proto.ambiguous)
    touching = (_touches_ambiguous(preds.video, pred_seg, gt.ambiguous_video, amb_seg)
                if rule.delete_before or rule.drop_unmatched else np.zeros(len(preds), dtype=bool))
    removed = int(touching.sum()) if rule.delete_before else 0
    if rule.delete_before:
        preds, pred_seg, touching = preds.select(~touching), pred_seg[~touching], touching[~touching]

    num_classes = len(gt.classes)
    tp = MATCHERS.get(proto.matching)(
        preds.video * num_classes + preds.label, pred_seg,
        gt.segment_video * num_classes + gt.segment_label, gt_seg, thresholds,
        overlap=proto.overlap, strict=proto.strict)
    kept = np.ones_like(tp)
    if rule.drop_unmatched:
        kept &= ~(touching[:, None] & ~tp)

    ap = _average_precision(preds.label, tp, kept, npos, evaluated, AP_RULES.get(proto.ap))
    counts = np.bincount(preds.label, minlength=num_classes)
    missing = [gt.classes[c] for c in evaluated if counts[c] == 0]
    mean_ap = ap.mean(axis=0) if len(evaluated) else np.zeros(len(thresholds))
    if proto.missing_class == "zero-map" and missing:
        mean_ap = np.zeros_like(mean_ap)

    return {
        "protocol": proto.name,
        "tiou": [float(t) for t in thresholds],
        "map": [float(100.0 * m) for m in mean_ap],
        "average": float(100.0 * mean_ap.mean()),
        "per_class": {gt.classes[c]: [float(100.0 * v) for v in ap[i]] for i, c in enumerate(evaluated)},
        "num_predictions": len(preds),
        "ignored_videos": preds.ignored_videos,
        "ignored_predictions": preds.ignored_predictions,
        "ignored_class_predictions": int(off_class.sum()),
        "ambiguous_removed": removed,
        "ambiguous_dropped": [int((~kept[:, k]).sum()) for k in range(len(thresholds))],
        "classes_without_predictions": missing,
        "subset": gt.subset,
        "num_videos": len(gt.videos),
        "num_ground_truth": gt.num_segments,
        "switches": proto.switches(),
    }


def check_tious(tious: Sequence[float]) -> np.ndarray:
    values = np.asarray(list(tious), dtype=np.float64)
    if values.ndim != 1 or not len(values):
        raise ConfigError("tIoU thresholds: need at least one value")
    if not np.isfinite(values).all() or (values <= 0).any() or (values > 1).any():
        raise ConfigError(f"tIoU thresholds must lie in (0, 1], got {values.tolist()}")
    return values


MAX_TIOUS = 1000  # more thresholds than this is a typo (a step of 1e-7), not an evaluation


def parse_tious(text: str) -> tuple[float, ...]:
    """`0.1:0.7:0.1` (start:stop:step, stop included) or `0.3,0.5,0.7`; values rounded to 10 decimals.

    Range and count are checked before the list is expanded: `0.1:1e9:1` or a step of
    1e-7 is one error line, not a hang or an out-of-memory kill.
    """
    try:
        if ":" in text:
            start, stop, step = (float(v) for v in text.split(":"))
            if not all(np.isfinite((start, stop, step))):
                raise ValueError("start, stop and step must be finite numbers")
            if step <= 0:
                raise ValueError("step must be positive")
            if not (0 < start <= 1 and 0 < stop <= 1):
                raise ValueError("start and stop must lie in (0, 1]")
            if stop < start:
                raise ValueError("stop is below start")
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            if count > MAX_TIOUS:
                raise ValueError(f"{count} thresholds, at most {MAX_TIOUS} allowed")
            values = [round(start + i * step, 10) for i in range(count)]
        else:
            values = [float(v) for v in text.split(",") if v.strip()]
            if len(values) > MAX_TIOUS:
                raise ValueError(f"{len(values)} thresholds, at most {MAX_TIOUS} allowed")
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"--tiou {text!r}: expected start:stop:step or a comma list ({exc})") from None
    try:
        check_tious(values)
    except ConfigError as exc:
        raise ConfigError(f"--tiou {text!r}: {exc}") from None
    return tuple(values)


def _touches_ambiguous(pred_video, pred_seg, amb_video, amb_seg) -> np.ndarray:
    """Predictions sharing time (intersection > 0, i.e. ≥ 1 snippet on the grid) with an Ambiguous interval."""
    touching = np.zeros(len(pred_video), dtype=bool)
    if len(amb_video) and len(pred_video):
        p, _, _ = candidate_pairs(pred_video, pred_seg, amb_video, amb_seg, OVERLAPS.get("th14"), lambda o: o > 0)
        touching[p] = True
    return touching


def _average_precision(labels, tp, kept, npos, evaluated, rule) -> np.ndarray:
    """AP [len(evaluated), K]; rows of `labels`/`tp`/`kept` are in ranking order."""
    ap = np.zeros((len(evaluated), tp.shape[1]))
    by_class = np.argsort(labels, kind="stable")  # keeps the ranking inside each class
    sorted_labels = labels[by_class]
    lo, hi = np.searchsorted(sorted_labels, evaluated), np.searchsorted(sorted_labels, evaluated, "right")
    all_kept = bool(kept.all())
    for i, c in enumerate(evaluated):
        rows = by_class[lo[i]:hi[i]]
        if all_kept:
            ap[i] = rule(tp[rows], int(npos[c]))
        else:
            for k in range(tp.shape[1]):
                ap[i, k] = rule(tp[rows, k][kept[rows, k], None], int(npos[c]))[0]
    return ap


__all__ = ["GroundTruth", "evaluate_detections", "load_predictions", "prepare_predictions", "PredictionArrays",
           "PROTOCOLS", "Protocol",
           "DEFAULT_TIOUS", "parse_tious", "check_tious", "ranking_order"]
