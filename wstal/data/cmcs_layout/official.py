"""The official THUMOS'14 per-class temporal annotation files (`<Class>_<subset>.txt`).

CMCS builds its video list and its ground truth from these files, not from a meta file:
a video exists for it when a per-class file names it. `Ambiguous_<subset>.txt` holds the
intervals the THUMOS kit ignores, and `detclasslist.txt` (when present) is the kit's id
list; neither names classes. Each row is `video_name  start end` in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wstal.errors import DataError

SUBSET_SUFFIX = {"validation": "val", "test": "test"}  # our subset name -> file suffix
FOLDER = "annotations_{suffix}"
NOT_A_CLASS = ("Ambiguous", "detclasslist")


@dataclass
class OfficialVideo:
    """GT of one video: segments [N, 2] seconds with class names, ambiguous intervals [M, 2]."""

    segments: list[tuple[float, float]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ambiguous: list[tuple[float, float]] = field(default_factory=list)


def subset_folder(annotations_dir: Path, subset: str) -> Path:
    return Path(annotations_dir) / FOLDER.format(suffix=SUBSET_SUFFIX[subset])


def class_files(folder: Path, subset: str) -> dict[str, Path]:
    """Class name -> its file; a missing folder or one without class files is an error."""
    suffix = SUBSET_SUFFIX[subset]
    if not folder.is_dir():
        raise DataError(folder, "annotation folder not found (expected the official per-class txt files)")
    files = {}
    for path in sorted(folder.glob(f"*_{suffix}.txt")):
        name = path.name[: -len(f"_{suffix}.txt")]
        if name not in NOT_A_CLASS:
            files[name] = path
    if not files:
        raise DataError(folder, f"no per-class annotation file (<Class>_{suffix}.txt)")
    return files


def parse_rows(path: Path) -> list[tuple[str, float, float]]:
    """(video, start, end) of every non-empty row; a malformed row is an error naming its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable ({exc})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 3:
                raise ValueError(f"{len(parts)} fields")
            start, end = float(parts[1]), float(parts[2])
            if not (np.isfinite(start) and np.isfinite(end)) or end < start or start < 0:
                raise ValueError(f"bad interval {start}..{end}")
        except ValueError as exc:
            raise DataError(path, f"line {number}: expected 'video start end' in seconds ({exc})") from None
        rows.append((parts[0], start, end))
    return rows


def read_official(annotations_dir: Path, subset: str) -> tuple[tuple[str, ...], dict[str, OfficialVideo]]:
    """Class names (sorted, the THUMOS index order) and the GT of every video of `subset`.

    The videos are those named in the per-class files, in sorted order; Ambiguous rows of
    other videos are dropped (a video annotated only as Ambiguous is not a CMCS video).
    """
    folder = subset_folder(annotations_dir, subset)
    files = class_files(folder, subset)
    videos: dict[str, OfficialVideo] = {}
    for name, path in files.items():
        for video, start, end in parse_rows(path):
            entry = videos.setdefault(video, OfficialVideo())
            entry.segments.append((start, end))
            entry.labels.append(name)
    ambiguous = folder / f"Ambiguous_{SUBSET_SUFFIX[subset]}.txt"
    if ambiguous.is_file():
        for video, start, end in parse_rows(ambiguous):
            if video in videos:
                videos[video].ambiguous.append((start, end))
    return tuple(files), {name: videos[name] for name in sorted(videos)}


__all__ = ["OfficialVideo", "read_official", "class_files", "parse_rows", "subset_folder", "SUBSET_SUFFIX"]
