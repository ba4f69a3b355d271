"""Predictions: read, validate, and flatten into arrays aligned with a `GroundTruth`.

Accepted inputs: a list of `wstal.methods.base.Detection` (class ids, seconds) or an
ActivityNet result dict `{"results": {video: [{"label": name, "score", "segment": [t0, t1]}]}}`.
Bad predictions are errors, never silently dropped: an unknown label, a non-finite
score or time, or end < start. Predictions for videos outside the evaluated subset
are the one thing that is dropped, and it is reported (stderr + counts in the result).
"""

from __future__ import annotations

import math
import sys
from itertools import chain
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from wstal.data.records import MAX_TIME_SECONDS, interval_problem
from wstal.utils.jsonfile import read_json
from wstal.errors import DataError
from wstal.evaluation.ground_truth import GroundTruth

# Predictions of a model working in seconds end within their video (plus a snippet); when most end
# beyond this multiple of the duration the file is almost surely in frames or milliseconds.
UNIT_WARNING_FACTOR = 2.0


class PredictionFile(dict):
    """A result dict read from a file: remembers the file, so that every later message names it."""

    source: str = "predictions"


@dataclass(frozen=True)
class PredictionArrays:
    """Validated predictions of the evaluated subset, one row each, in ranking order (see `ranking_order`)."""

    video: np.ndarray  # [P] int64 index into GroundTruth.videos
    label: np.ndarray  # [P] int64 class id
    score: np.ndarray  # [P] float64
    segments: np.ndarray  # [P, 2] float64 seconds
    ignored_predictions: int  # rows whose video is not in the subset
    ignored_videos: int  # distinct such videos
    videos: tuple[str, ...] = ()  # the GroundTruth.videos these indices refer to

    def __len__(self) -> int:
        return int(self.score.shape[0])

    def select(self, keep: np.ndarray) -> "PredictionArrays":
        return PredictionArrays(self.video[keep], self.label[keep], self.score[keep], self.segments[keep],
                                self.ignored_predictions, self.ignored_videos, self.videos)


def load_predictions(path: str | Path) -> dict:
    """Read an ActivityNet result JSON and check its structure (labels are checked against GT later)."""
    path = Path(path)
    data = read_json(path, "prediction file not found")
    _rows_from_results(data, str(path))  # validates every row
    loaded = PredictionFile(data)
    loaded.source = str(path)
    return loaded


def to_arrays(predictions: Any, truth: GroundTruth, source: str = "predictions") -> PredictionArrays:
    """Validate `predictions` against `truth` and keep those of the subset's videos.

    A `PredictionArrays` made by this function for the same GT passes through, so callers
    that score one prediction set under several protocols validate it only once.
    """
    source = getattr(predictions, "source", source)
    if isinstance(predictions, PredictionArrays):
        if predictions.videos != truth.videos:
            raise DataError(source, "PredictionArrays were prepared for another ground truth")
        return predictions
    if isinstance(predictions, dict):
        videos, labels, scores, starts, ends = _rows_from_results(predictions, source)
        index = {name: i for i, name in enumerate(truth.classes)}
        try:
            label_ids = np.fromiter((index[name] for name in labels), dtype=np.int64, count=len(labels))
        except KeyError as exc:
            i = labels.index(exc.args[0])
            raise DataError(source, f"prediction for video {videos[i]!r} has unknown label {labels[i]!r} "
                                    f"(not a class of {truth.source})") from None
    else:
        videos, label_ids, scores, starts, ends = _rows_from_detections(predictions, len(truth.classes), source)

    video_index = truth.video_index()
    video_ids = np.fromiter((video_index.get(v, -1) for v in videos), dtype=np.int64, count=len(videos))
    outside = video_ids < 0
    outside_names = sorted({videos[i] for i in np.flatnonzero(outside)})
    ignored_videos = len(outside_names)
    if outside.any():
        example = outside_names[0]
        print(f"wstal: warning: ignoring {int(outside.sum())} predictions for {ignored_videos} videos not in "
              f"subset {truth.subset!r} of {truth.source} (e.g. {example!r})", file=sys.stderr)
    if outside.all() and len(videos):
        raise DataError(source, f"none of the {len(videos)} predictions is for a video of subset {truth.subset!r} "
                                f"of {truth.source} (e.g. {outside_names[0]!r}): wrong video names or subset?")
    keep = ~outside
    _warn_about_units(video_ids[keep], np.asarray(ends, dtype=np.float64)[keep], truth, source)
    arrays = PredictionArrays(
        video=video_ids[keep],
        label=np.asarray(label_ids, dtype=np.int64)[keep],
        score=np.asarray(scores, dtype=np.float64)[keep],
        segments=np.stack([np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)],
                          axis=1).reshape(-1, 2)[keep],
        ignored_predictions=int(outside.sum()),
        ignored_videos=ignored_videos,
        videos=truth.videos,
    )
    return arrays.select(ranking_order(arrays.video, arrays.score, arrays.segments))


def _warn_about_units(video_ids: np.ndarray, ends: np.ndarray, truth: GroundTruth, source: str) -> None:
    """Warn (naming the file) when most predictions end far beyond their video: frames or ms, not seconds."""
    if truth.durations is None or not len(video_ids):
        return
    duration = truth.durations[video_ids]
    known = np.isfinite(duration)
    far = known & (ends > UNIT_WARNING_FACTOR * np.where(known, duration, np.inf))
    if known.any() and far.sum() > 0.5 * known.sum():
        i = int(np.flatnonzero(far)[0])
        print(f"wstal: warning: {source}: {int(far.sum())} of {int(known.sum())} predictions end more than "
              f"{UNIT_WARNING_FACTOR:g}x after their video's duration (e.g. {float(ends[i]):g} s in video "
              f"{truth.videos[video_ids[i]]!r} of {float(duration[i]):g} s); are the times in seconds, not frames "
              f"or milliseconds?", file=sys.stderr)


def ranking_order(video: np.ndarray, score: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Score descending; ties by video (subset order), start, end: independent of input order."""
    return np.lexsort((segments[:, 1], segments[:, 0], video, -score))


def _rows_from_results(data: Any, source: str) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Flatten the result dict; validate in bulk and locate the first bad row only on failure."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise DataError(source, 'expected a JSON object with a "results" mapping video -> predictions')
    videos, labels, scores, segments = [], [], [], []
    try:
        for video, rows in results.items():
            videos.extend([video] * len(rows))
            for row in rows:
                labels.append(row["label"])
                scores.append(row["score"])
                segments.append(row["segment"])
        flat = list(chain.from_iterable(segments))
        numeric = {float, int}
        ok = (set(map(type, labels)) <= {str} and set(map(type, scores)) <= numeric
              and set(map(type, flat)) <= numeric and set(map(len, segments)) <= {2})
    except (TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        _explain_bad_row(results, source)  # raises with the offending video and row
    score = np.fromiter(scores, dtype=np.float64, count=len(scores))
    segment = np.fromiter(flat, dtype=np.float64, count=len(flat)).reshape(-1, 2)
    if not (np.isfinite(score).all() and np.isfinite(segment).all() and (segment[:, 1] >= segment[:, 0]).all()
            and (segment >= 0).all() and (segment <= MAX_TIME_SECONDS).all()):
        _explain_bad_row(results, source)
    return videos, labels, score, segment[:, 0], segment[:, 1]


def _explain_bad_row(results: dict, source: str) -> None:
    for video, rows in results.items():
        if not isinstance(rows, list):
            raise DataError(source, f"video {video!r}: predictions must be a list")
        for k, row in enumerate(rows):
            where = f"video {video!r} prediction {k}"
            if not isinstance(row, dict):
                raise DataError(source, f"{where}: expected {{'label', 'score', 'segment'}}")
            label = row.get("label")
            if not isinstance(label, str):
                raise DataError(source, f"{where}: 'label' must be a class name, got {label!r}")
            segment = row.get("segment")
            if not isinstance(segment, (list, tuple)) or len(segment) != 2:
                raise DataError(source, f"{where}: 'segment' must be [start, end], got {segment!r}")
            _check_numbers(row.get("score"), segment[0], segment[1], where, source)
    raise DataError(source, "predictions are malformed")  # unreachable unless the bulk check disagrees


def _rows_from_detections(detections: Iterable, num_classes: int, source: str):
    videos, labels, scores, starts, ends = [], [], [], [], []
    for k, det in enumerate(detections):
        where = f"detection {k} (video {getattr(det, 'video', '?')!r})"
        try:
            video, label = det.video, det.label
            score, start, end = _check_numbers(det.score, det.start, det.end, where, source)
        except AttributeError:
            raise DataError(source, f"{where}: expected a Detection(video, label, score, start, end)") from None
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label < num_classes:
            raise DataError(source, f"{where}: unknown class id {label!r} (expected 0..{num_classes - 1})")
        videos.append(str(video))
        labels.append(int(label))
        scores.append(score)
        starts.append(start)
        ends.append(end)
    return videos, labels, scores, starts, ends


def _check_numbers(score: Any, start: Any, end: Any, where: str, source: str) -> tuple[float, float, float]:
    for name, value in (("score", score), ("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise DataError(source, f"{where}: {name} must be a finite number, got {value!r}")
    if end < start:
        raise DataError(source, f"{where}: inverted segment (end {end} < start {start})")
    problem = interval_problem(float(start), float(end))
    if problem:
        raise DataError(source, f"{where}: {problem}")
    return float(score), float(start), float(end)
