"""Ground truth of one subset, flattened into arrays the vectorised matcher can index.

Two sources: an in-memory `Dataset` (any format `wstal.data.io` reads) and an
ActivityNet-style GT JSON (`{"database": {video: {"subset", "annotations": [...]}}}`,
segment values may be strings as in the UM/BaS-Net `gt.json`). Rows keep the file
order (videos in dataset order, segments in annotation order) because the W-TALC
first-match rule and the THUMOS kit's GT-driven matching depend on that order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wstal.data.records import SNIPPET_SECONDS, interval_problem
from wstal.utils.jsonfile import read_json
from wstal.errors import ConfigError, DataError

# A snippet grid outside this range (seconds) is a typo: evaluating on it gives mAP 0 for nothing.
SNIPPET_SECONDS_RANGE = (0.01, 60.0)


def check_snippet_seconds(value: float, what: str = "--snippet-seconds") -> float:
    """A finite snippet length in `SNIPPET_SECONDS_RANGE`, or a ConfigError naming `what`."""
    low, high = SNIPPET_SECONDS_RANGE
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r}: not a number") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ConfigError(f"{what} {value!r}: must be a snippet length between {low:g} and {high:g} seconds "
                          f"(0.64 = 16/25 for I3D at 25 fps)")
    return number

# THUMOS'14 marks unclear intervals with this label in its official files; in a GT JSON an
# annotation with this label becomes an ambiguous interval (as the Matlab kit treats it), not a class.
AMBIGUOUS_LABEL = "Ambiguous"


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """GT segments of one subset (seconds) plus ambiguous intervals and the snippet grid."""

    classes: tuple[str, ...]  # every class name a prediction may use (label ids index this)
    subset: str
    videos: tuple[str, ...]  # video names of the subset, file order
    segments: np.ndarray  # [N, 2] float64 seconds, rows in file order
    segment_video: np.ndarray  # [N] int64 index into `videos`
    segment_label: np.ndarray  # [N] int64 index into `classes`
    ambiguous: np.ndarray  # [M, 2] float64 seconds
    ambiguous_video: np.ndarray  # [M] int64 index into `videos`
    snippet_seconds: float = SNIPPET_SECONDS  # grid of the `snippet` and `wtalc` protocols
    source: str = "<memory>"
    durations: np.ndarray | None = None  # [V] seconds per video of `videos` (NaN: unknown), for unit checks

    def __post_init__(self) -> None:
        check_snippet_seconds(self.snippet_seconds, f"snippet_seconds of {self.source}")

    @property
    def num_segments(self) -> int:
        return int(self.segments.shape[0])

    def video_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.videos)}

    def positives_per_class(self) -> np.ndarray:
        """N_pos per class id (zero-length GT included: it counts but can never be matched)."""
        return np.bincount(self.segment_label, minlength=len(self.classes))

    def evaluated_classes(self) -> np.ndarray:
        """Class ids with at least one GT segment in the subset: the classes the mAP averages."""
        return np.flatnonzero(self.positives_per_class() > 0)

    @classmethod
    def from_dataset(cls, dataset, subset: str) -> "GroundTruth":
        """GT of `subset` of a `wstal.data.Dataset` (features are not needed)."""
        videos = dataset.subset(subset)  # raises DataError for an unknown subset
        segs, seg_video, seg_label, amb, amb_video = [], [], [], [], []
        for i, video in enumerate(videos):
            segs.append(np.asarray(video.segments, dtype=np.float64).reshape(-1, 2))
            seg_video.append(np.full(len(segs[-1]), i, dtype=np.int64))
            seg_label.append(np.asarray(video.segment_labels, dtype=np.int64).reshape(-1))
            amb.append(np.asarray(video.ambiguous, dtype=np.float64).reshape(-1, 2))
            amb_video.append(np.full(len(amb[-1]), i, dtype=np.int64))
        return cls(
            classes=tuple(dataset.classes),
            subset=subset,
            videos=tuple(v.name for v in videos),
            segments=np.concatenate(segs),
            segment_video=np.concatenate(seg_video),
            segment_label=np.concatenate(seg_label),
            ambiguous=np.concatenate(amb),
            ambiguous_video=np.concatenate(amb_video),
            snippet_seconds=float(dataset.snippet_seconds),
            source=f"dataset {dataset.name!r}",
            durations=np.asarray([float(v.duration) for v in videos], dtype=np.float64),
        )

    @classmethod
    def from_json(cls, path: str | Path, subset: str = "test",
                  snippet_seconds: float = SNIPPET_SECONDS) -> "GroundTruth":
        """GT of `subset` from an ActivityNet-style GT JSON.

        Classes are taken from the whole file in order of first appearance, so that a
        label used only in another subset is known (and simply has no GT here).
        """
        path = Path(path)
        data = read_json(path, "ground-truth file not found")
        database = data.get("database") if isinstance(data, dict) else None
        if not isinstance(database, dict):
            raise DataError(path, 'expected a JSON object with a "database" mapping video -> annotations')

        classes: dict[str, int] = {}
        videos: list[str] = []
        segs, seg_video, seg_label, amb, amb_video = [], [], [], [], []
        subsets_seen: set[str] = set()
        durations: list[float] = []
        for name, entry in database.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("annotations", []), list):
                raise DataError(path, f"video {name!r}: expected {{'subset', 'annotations': [...]}}")
            subsets_seen.add(str(entry.get("subset")))
            in_subset = entry.get("subset") == subset
            duration = _duration(entry.get("duration"), name, path)
            if in_subset:
                videos.append(name)
                durations.append(math.nan if duration is None else duration)
            for k, ann in enumerate(entry.get("annotations", [])):
                where = f"video {name!r} annotation {k}"
                label = ann.get("label") if isinstance(ann, dict) else None
                if not isinstance(label, str):
                    raise DataError(path, f"{where}: missing string 'label'")
                start, end = _parse_segment(ann.get("segment"), where, path, duration)
                if label == AMBIGUOUS_LABEL:
                    if in_subset:
                        amb.append((start, end))
                        amb_video.append(len(videos) - 1)
                    continue
                class_id = classes.setdefault(label, len(classes))
                if in_subset:
                    segs.append((start, end))
                    seg_video.append(len(videos) - 1)
                    seg_label.append(class_id)
        if not videos:
            raise DataError(path, f"no video in subset {subset!r} (subsets: {sorted(subsets_seen)})")
        return cls(
            classes=tuple(classes),
            subset=subset,
            videos=tuple(videos),
            segments=np.asarray(segs, dtype=np.float64).reshape(-1, 2),
            segment_video=np.asarray(seg_video, dtype=np.int64),
            segment_label=np.asarray(seg_label, dtype=np.int64),
            ambiguous=np.asarray(amb, dtype=np.float64).reshape(-1, 2),
            ambiguous_video=np.asarray(amb_video, dtype=np.int64),
            snippet_seconds=check_snippet_seconds(snippet_seconds),
            source=str(path),
            durations=np.asarray(durations, dtype=np.float64),
        )


def _duration(value, name: str, path: Path) -> float | None:
    """The optional per-video `duration` (seconds) of a GT JSON."""
    if value is None:
        return None
    try:
        duration = float(value)
    except (TypeError, ValueError):
        raise DataError(path, f"video {name!r}: duration {value!r} is not a number") from None
    if not (math.isfinite(duration) and duration > 0):
        raise DataError(path, f"video {name!r}: duration must be a positive number, got {value!r}")
    return duration


def _parse_segment(segment, where: str, path: Path, duration: float | None = None) -> tuple[float, float]:
    """[start, end] in seconds; numbers or numeric strings; the readers' one interval rule."""
    if not isinstance(segment, (list, tuple)) or len(segment) != 2:
        raise DataError(path, f"{where}: 'segment' must be [start, end], got {segment!r}")
    try:
        start, end = (float(v) for v in segment)
    except (TypeError, ValueError):
        raise DataError(path, f"{where}: segment {segment!r} is not numeric") from None
    problem = interval_problem(start, end, duration)
    if problem:
        raise DataError(path, f"{where}: {problem}")
    return start, end
