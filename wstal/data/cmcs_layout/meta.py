"""The CMCS per-video meta files (`thumos14-{val,test}-meta.mat`): fps and duration.

THUMOS'14 videos run at 30, 25 or 24 fps, so a snippet index becomes seconds only
through the video's own frame rate. The files are MATLAB structs read with
`scipy.io.loadmat` (plain data, no code); the struct array is the key containing
`videos` (`validation_videos`, `test_videos`), looked up by `video_name`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wstal.data.cmcs_layout.official import SUBSET_SUFFIX
from wstal.errors import DataError

META_FILE = "thumos14-{suffix}-meta.mat"


@dataclass(frozen=True)
class VideoMeta:
    fps: float
    duration: float  # seconds (`video_duration_seconds`)


def meta_path(meta_dir: Path, subset: str) -> Path:
    return Path(meta_dir) / META_FILE.format(suffix=SUBSET_SUFFIX[subset])


def read_meta(path: Path) -> dict[str, VideoMeta]:
    """video_name -> VideoMeta of every entry with a usable fps and duration."""
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "meta file not found")
    try:
        doc = scipy.io.loadmat(str(path))
    except Exception as exc:  # scipy raises several types for corrupt files
        raise DataError(path, f"not a readable .mat file ({' '.join(str(exc).split())[:120]})") from None
    keys = [k for k in doc if "videos" in k and not k.startswith("__")]
    if len(keys) != 1:
        raise DataError(path, f"expected one struct array whose key contains 'videos', found {keys or 'none'}")
    table = doc[keys[0]]
    fields = table.dtype.names or ()
    for name in ("video_name", "frame_rate_FPS", "video_duration_seconds"):
        if name not in fields:
            raise DataError(path, f"{keys[0]}: field {name!r} missing")
    out = {}
    for entry in table.reshape(-1):
        name = _scalar(entry["video_name"])
        fps, duration = _scalar(entry["frame_rate_FPS"]), _scalar(entry["video_duration_seconds"])
        if name is None:
            continue
        out[str(name)] = VideoMeta(_number(fps), _number(duration))
    return out


def lookup(table: dict[str, VideoMeta], video: str, path: Path) -> VideoMeta:
    """The meta of `video`; missing, or without a positive fps/duration, is an error naming the file."""
    meta = table.get(video)
    if meta is None:
        raise DataError(path, f"video {video!r} (named in the annotation files) is not in the meta file")
    if not (meta.fps > 0 and meta.duration > 0):
        raise DataError(path, f"video {video!r}: frame_rate_FPS {meta.fps} / video_duration_seconds "
                              f"{meta.duration} must be positive")
    return meta


def _scalar(value: np.ndarray):
    arr = np.asarray(value).reshape(-1)
    return arr[0].item() if arr.size else None


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


__all__ = ["VideoMeta", "read_meta", "lookup", "meta_path", "META_FILE"]
