"""Typed records every other module consumes.

All file formats (W-TALC reduced, the pickle-free `wstal` format, ActivityNet JSON)
are read into these records and validated once, here or in the reader; everything
downstream (training, localization, evaluation) can then trust shapes and values.

Conventions
-----------
* Times are in **seconds**. `Dataset.snippet_seconds` converts a feature row index
  to time (16/25 s for W-TALC I3D features at 25 fps).
* `Video.features` is `[T, D]` float32 with the RGB half first and flow second
  (`D = 2 * stream_dim`), as in the W-TALC joint feature files.
* Class ids index `Dataset.classes` (the `classlist.npy` order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np

from wstal.errors import DataError

SNIPPET_SECONDS = 16.0 / 25.0  # W-TALC I3D snippet: 16 frames at 25 fps = 0.64 s
DATASET_NAMES = ("synthetic", "thumos14", "activitynet12")  # what `--dataset` accepts

if TYPE_CHECKING:
    from wstal.data.cmcs_layout.source import CropSource


def snippet_span(start: float, end: float, snippet_seconds: float, total: int) -> tuple[int, int]:
    """[first, last) of the snippets whose centre lies in [start, end), clipped to a video of `total`.

    The one rule that puts seconds on the snippet grid where a snippet is "inside" an interval: the
    synthetic generator plants by it and the phase-coverage analysis measures by it, so both agree
    to the last float.
    """
    first = int(np.ceil(start / snippet_seconds - 0.5))
    last = int(np.ceil(end / snippet_seconds - 0.5))  # exclusive
    return max(first, 0), min(last, total)


@dataclass(frozen=True, eq=False)
class Video:
    """One video: its snippet features, ground truth and weak labels."""

    name: str
    subset: str
    duration: float
    features: np.ndarray  # [T, D] float32, RGB | flow
    segments: np.ndarray  # [N, 2] float64 seconds (start, end)
    segment_labels: np.ndarray  # [N] int64 class ids, aligned with segments
    labels: tuple[int, ...]  # video-level class ids (labels_all): the weak labels
    ambiguous: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # [M, 2] seconds
    motion: np.ndarray | None = None  # [T] per-snippet motion intensity (for CMCS hard negatives)
    # CMCS feature layout (wstal.data.cmcs_layout): ten-crop features on disk, loaded on demand;
    # `features` is then an empty [0, D] array that only carries the width.
    crops: CropSource | None = None

    @property
    def num_snippets(self) -> int:
        return int(self.features.shape[0])


@dataclass(eq=False)
class Dataset:
    """A benchmark: class list, videos, and which subsets train and test."""

    name: str
    classes: tuple[str, ...]
    videos: list[Video]
    snippet_seconds: float = SNIPPET_SECONDS
    feature_kind: str = "i3d"  # "i3d" | "unt": UNT-like RGB carries no motion
    train_subset: str = "validation"  # THUMOS'14 trains on its validation set
    test_subset: str = "test"
    meta: dict = field(default_factory=dict)  # generator knobs, source paths, ...
    # False for annotation-only datasets (read without a feature file, e.g. for the evaluator):
    # every video then carries an empty [0, 0] feature array and no motion; validation skips features.
    features_loaded: bool = True

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def feature_dim(self) -> int:
        return int(self.videos[0].features.shape[1]) if self.videos else 0

    def subset(self, name: str) -> list[Video]:
        """Videos of one subset in file order; an unknown subset is an error."""
        chosen = [v for v in self.videos if v.subset == name]
        if not chosen:
            known = sorted({v.subset for v in self.videos})
            raise DataError(None, f"dataset {self.name!r} has no video in subset {name!r} (subsets: {known})")
        return chosen

    @property
    def train_videos(self) -> list[Video]:
        return self.subset(self.train_subset)

    @property
    def test_videos(self) -> list[Video]:
        return self.subset(self.test_subset)

    def class_id(self, name: str, source: str | None = None) -> int:
        try:
            return self.classes.index(name)
        except ValueError:
            raise DataError(source, f"unknown class name {name!r}") from None

    def video(self, name: str) -> Video:
        for v in self.videos:
            if v.name == name:
                return v
        raise DataError(None, f"dataset {self.name!r} has no video {name!r}")


@dataclass
class Detection:
    """One localized action instance, in seconds (what localization returns, what evaluation reads)."""

    video: str
    label: int
    score: float
    start: float
    end: float


def validate_video(
    video: Video, num_classes: int, feature_dim: int | None, source: str | None, check_features: bool = True
) -> None:
    """Check one video's invariants; raise a one-line DataError naming the video."""
    where = f"video {video.name!r}"
    if check_features and video.crops is None:  # a CropSource checks its files when it loads them
        _check_features(video, feature_dim, where, source)
    elif video.features.size or video.motion is not None:
        raise DataError(source, f"{where}: annotation-only dataset but the video carries features or motion")
    _check_annotations(video, num_classes, where, source)


def _check_features(video: Video, feature_dim: int | None, where: str, source: str | None) -> None:
    f = video.features
    if f.ndim != 2:
        raise DataError(source, f"{where}: features must be 2-D [T, D], got shape {tuple(f.shape)}")
    if f.shape[0] == 0:
        raise DataError(source, f"{where}: has no snippets (empty feature array)")
    if feature_dim is not None and f.shape[1] != feature_dim:
        raise DataError(source, f"{where}: feature width {f.shape[1]} != {feature_dim} of the other videos")
    if f.shape[1] % 2:
        raise DataError(source, f"{where}: feature width {f.shape[1]} is odd; expected RGB|flow halves")
    if not np.isfinite(f).all():
        bad = int(np.argwhere(~np.isfinite(f))[0][0])
        raise DataError(source, f"{where}: features contain NaN/Inf (first at snippet {bad})")
    if video.motion is not None and video.motion.shape != (f.shape[0],):
        raise DataError(source, f"{where}: motion has shape {tuple(video.motion.shape)}, expected ({f.shape[0]},)")


# Real GT may end after the video (THUMOS'14 video_test_0000270 reaches 4x its duration), so only
# ends beyond this multiple of the duration are taken as corrupt (e.g. frames or ms instead of seconds).
MAX_END_OVER_DURATION = 10.0
# No video of any benchmark lasts anywhere near this long (11.6 days): a time beyond it is a unit or
# corruption error even where no duration is known (GT JSON without durations, predictions).
MAX_TIME_SECONDS = 1e6


def interval_problem(start: float, end: float, duration: float | None = None) -> str | None:
    """The one rule every reader applies to a [start, end] in seconds (None: fine).

    Finite, not negative, not inverted, below `MAX_TIME_SECONDS`, and, when the video's
    duration is known, ending within `MAX_END_OVER_DURATION` times it.
    """
    if not (np.isfinite(start) and np.isfinite(end)):
        return f"segment [{start}, {end}] is not finite"
    if start < 0 or end < 0:
        return f"segment [{start}, {end}] has a negative time"
    if end < start:
        return f"segment end {end} < start {start}"
    if end > MAX_TIME_SECONDS:
        return f"segment [{start}, {end}] ends beyond {MAX_TIME_SECONDS:g} s (not seconds?)"
    if duration is not None and np.isfinite(duration) and duration > 0 and end > MAX_END_OVER_DURATION * duration:
        return (f"segment [{start}, {end}] ends more than {MAX_END_OVER_DURATION:g}x after the video's duration "
                f"{duration} s (not seconds?)")
    return None


def _check_annotations(video: Video, num_classes: int, where: str, source: str | None) -> None:
    if not np.isfinite(video.duration) or video.duration <= 0 or video.duration > MAX_TIME_SECONDS:
        raise DataError(source, f"{where}: duration must be a positive number of seconds below "
                                f"{MAX_TIME_SECONDS:g}, got {video.duration}")
    _check_intervals(video.segments, f"{where} segments", source)
    if video.segments.size and video.segments[:, 1].max() > MAX_END_OVER_DURATION * video.duration:
        raise DataError(source, f"{where}: a segment ends at {float(video.segments[:, 1].max())} s, more than "
                                f"{MAX_END_OVER_DURATION:g}x the duration {video.duration} s (not seconds?)")
    _check_intervals(video.ambiguous, f"{where} ambiguous intervals", source)
    if video.segment_labels.shape != (video.segments.shape[0],):
        raise DataError(source, f"{where}: {video.segments.shape[0]} segments but "
                                f"{video.segment_labels.shape[0]} segment labels")
    for label in (*video.segment_labels.tolist(), *video.labels):
        if not 0 <= label < num_classes:
            raise DataError(source, f"{where}: class id {label} outside 0..{num_classes - 1}")


def _check_intervals(intervals: np.ndarray, what: str, source: str | None) -> None:
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise DataError(source, f"{what}: expected shape [N, 2], got {tuple(intervals.shape)}")
    if not np.isfinite(intervals).all():
        raise DataError(source, f"{what}: contain NaN/Inf")
    if (intervals < 0).any():
        raise DataError(source, f"{what}: negative time {float(intervals.min())}")
    if (intervals > MAX_TIME_SECONDS).any():
        raise DataError(source, f"{what}: time {float(intervals.max())} beyond {MAX_TIME_SECONDS:g} s (not seconds?)")
    inverted = intervals[:, 1] < intervals[:, 0]
    if inverted.any():
        s, e = intervals[np.argmax(inverted)]
        raise DataError(source, f"{what}: end < start ({e} < {s})")


def validate_dataset(dataset: Dataset, source: str | None = None) -> Dataset:
    """Validate every video and the dataset-level invariants; return the dataset."""
    if not dataset.classes:
        raise DataError(source, "class list is empty")
    if len(set(dataset.classes)) != len(dataset.classes):
        raise DataError(source, "class list has duplicate names")
    seen: set[str] = set()
    dim = dataset.feature_dim
    subsets = (dataset.train_subset, dataset.test_subset)
    for video in dataset.videos:
        if video.name in seen:
            raise DataError(source, f"duplicated video name {video.name!r}")
        seen.add(video.name)
        if video.subset not in subsets:  # it would be silently left out of both training and testing
            raise DataError(source, f"video {video.name!r}: subset {video.subset!r} is neither the train subset "
                                    f"{dataset.train_subset!r} nor the test subset {dataset.test_subset!r}")
        validate_video(video, dataset.num_classes, dim, source, check_features=dataset.features_loaded)
    return dataset


def as_intervals(rows: Iterable, what: str, source: str | None) -> np.ndarray:
    """Convert a list of [start, end] pairs to a float64 [N, 2] array with a clear error."""
    try:
        arr = np.asarray(list(rows), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(source, f"{what}: not a list of [start, end] numbers ({exc})") from None
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataError(source, f"{what}: expected [start, end] pairs, got shape {tuple(arr.shape)}")
    return arr
