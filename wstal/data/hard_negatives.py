"""CMCS hard negatives: static clips of training videos become background pseudo videos.

Context frames (a pool table, a golf course) look like the action but do not move, so a
classifier trained only on weak video labels fires on them. CMCS (docs/methods/cmcs.md §4)
picks the least-moving snippets of each training video, keeps only long static runs,
and concatenates them into a pseudo video labelled *background*. Each step below is a
separate function so that it can be checked against a hand-made motion curve.

The released code works on per-frame flow intensity with frame-based constants (a
49-frame median filter, a 50-frame minimum run at 25 fps). Here the motion curve is
per snippet (`Video.motion`), so those constants are given in seconds and converted
with the dataset's `snippet_seconds`. The log of the intensity in the released script
is omitted: a percentile threshold selects the same snippets on a monotone transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError, DataError
from wstal.utils.runs import runs


@dataclass
class HardNegativeConfig:
    """Static-clip selection (defaults: the released ActivityNet script, converted to seconds)."""

    selection_ratio: float = 0.25  # threshold at this percentile of the motion curve
    smooth_seconds: float = 49 / 25  # median-filter width (49 frames at 25 fps)
    min_run_seconds: float = 50 / 25  # static runs shorter than this are dropped (50 frames)
    min_static_ratio: float = 0.05  # discard the video for HN below this static fraction
    max_static_ratio: float = 0.30  # ... or above this one
    trailing_run: str = "released"  # released: a run reaching the last snippet is measured one short; exact


@dataclass(frozen=True, eq=False)
class PseudoVideo:
    """A background pseudo video: the static snippets of one training video, concatenated."""

    name: str  # "{video}_bg"
    source: str  # the training video it was cut from
    features: np.ndarray  # [T_static, D] float32
    snippets: np.ndarray  # [T_static] indices into the source video's snippets


def threshold_at_ratio(motion: np.ndarray, ratio: float) -> np.ndarray:
    """Snippets whose motion lies strictly below the `ratio` percentile (≈ ratio of them)."""
    if not 0.0 < ratio < 1.0:
        raise ConfigError(f"hard_negatives.selection_ratio must be in (0, 1), got {ratio}")
    tau = np.percentile(motion, ratio * 100.0)
    return motion < tau


def seconds_to_odd_kernel(seconds: float, snippet_seconds: float) -> int:
    """The nearest odd number of snippets to `seconds` (a median filter needs an odd width)."""
    snippets = seconds / snippet_seconds
    return max(1, 2 * int(round((snippets - 1.0) / 2.0)) + 1)


def seconds_to_min_run(seconds: float, snippet_seconds: float) -> int:
    """Snippets a run needs to last at least `seconds` (50 frames = 3.1 snippets -> 4)."""
    return max(1, math.ceil(seconds / snippet_seconds - 1e-9))


def median_smooth(mask: np.ndarray, kernel: int) -> np.ndarray:
    """Majority vote over `kernel` (odd) snippets, zero padded at the ends.

    Equals a median filter of the 0/1 sequence (scipy's `medfilt`, what the released code
    uses) written as a moving sum, which spares every job the ~1 s import of scipy.signal.
    """
    if kernel <= 1:
        return mask.astype(bool).copy()
    half = kernel // 2
    padded = np.concatenate([np.zeros(half), mask.astype(np.float64), np.zeros(half)])
    return np.convolve(padded, np.ones(kernel), mode="valid") > half


def _measured_exactly(start: int, end: int, length: int) -> tuple[int, int]:
    """(measured length, end of the part cleared when too short): every run as it is."""
    return end - start, end


def _measured_as_released(start: int, end: int, length: int) -> tuple[int, int]:
    """The released script ends a run still open at the last frame on that frame, not after it.

    So a run reaching the end is measured one short, and when it is removed its last
    frame (here: snippet) stays static: a trailing run of exactly the minimum length is
    removed but for one stray snippet, and so is one a snippet shorter.
    """
    if end == length:
        return end - 1 - start, end - 1
    return end - start, end


TRAILING_RUN_RULES = {"released": _measured_as_released, "exact": _measured_exactly}


def remove_short_runs(mask: np.ndarray, min_length: int, trailing_run: str = "released") -> np.ndarray:
    """Clear every run of True shorter than `min_length` snippets (as measured by `trailing_run`)."""
    if trailing_run not in TRAILING_RUN_RULES:
        raise ConfigError(f"hard_negatives.trailing_run must be one of {', '.join(TRAILING_RUN_RULES)}, "
                          f"got {trailing_run!r}")
    measure = TRAILING_RUN_RULES[trailing_run]
    out = mask.astype(bool).copy()
    for start, end in runs(out):
        measured, cleared_end = measure(start, end, out.size)
        if measured < min_length:
            out[start:cleared_end] = False
    return out


def static_mask(motion: np.ndarray, snippet_seconds: float, cfg: HardNegativeConfig) -> np.ndarray:
    """The released pipeline: threshold at the ratio, median smoothing, short-run removal."""
    mask = threshold_at_ratio(np.asarray(motion, dtype=np.float64), cfg.selection_ratio)
    mask = median_smooth(mask, seconds_to_odd_kernel(cfg.smooth_seconds, snippet_seconds))
    return remove_short_runs(mask, seconds_to_min_run(cfg.min_run_seconds, snippet_seconds), cfg.trailing_run)


def keep_for_hard_negatives(mask: np.ndarray, cfg: HardNegativeConfig) -> bool:
    """Discard rule: too few static snippets is noise, too many means the video barely moves."""
    ratio = float(mask.mean()) if mask.size else 0.0
    return cfg.min_static_ratio <= ratio <= cfg.max_static_ratio


def pseudo_video(video: Video, snippet_seconds: float, cfg: HardNegativeConfig) -> PseudoVideo | None:
    """The background pseudo video of one training video, or None when it is discarded."""
    if video.motion is None:
        raise DataError(None, f"video {video.name!r} has no motion curve; hard negatives need "
                              "per-snippet motion (synthetic data provides it; set hard_negatives off otherwise)")
    mask = static_mask(video.motion, snippet_seconds, cfg)
    if not keep_for_hard_negatives(mask, cfg):
        return None
    index = np.flatnonzero(mask)
    return PseudoVideo(f"{video.name}_bg", video.name, video.features[index], index)


def pseudo_background_videos(dataset: Dataset, cfg: HardNegativeConfig) -> list[PseudoVideo]:
    """Pseudo videos of every training video that passes the discard rule (label: background)."""
    made = (pseudo_video(v, dataset.snippet_seconds, cfg) for v in dataset.train_videos)
    return [p for p in made if p is not None]


__all__ = [
    "HardNegativeConfig", "PseudoVideo", "threshold_at_ratio", "seconds_to_odd_kernel", "seconds_to_min_run",
    "median_smooth", "remove_short_runs", "TRAILING_RUN_RULES",
    "static_mask", "keep_for_hard_negatives", "pseudo_video",
    "pseudo_background_videos",
]
