"""CMCS localization: CAS -> scored segments (docs/methods/cmcs.md §5), no NMS.

Per video and per class whose video probability passes the gate, the softmax CAS of
that class is min–max normalised, linearly upsampled to a "frame" grid, thresholded at
θ·mean, dilated, and every connected component becomes a segment scored by

    q = w_inner · m_inner + w_outer · m_outer + w_global · p_c     (paper: 1, −1, 0.25)

so that a segment that stands out from its surroundings ranks above one inside a broad
plateau. The table3 ablations only change the three weights.

The released code interpolates to the video's real frames; features here have no frame
rate, so the grid has `upsample` points per snippet (15 = UNT's frames per snippet) and
the dilation is `dilation_snippets` snippets (1.25, as the code's `proc_value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wstal.data.records import Detection
from wstal.errors import ConfigError
from wstal.utils.runs import runs


@dataclass
class CMCSLocalizeConfig:
    """Detection parameters of the released THUMOS configs, plus the readings we had to choose."""

    class_threshold: float = 0.1  # localize class c only if p_c > this
    theta: float = 1.0  # threshold = theta * mean of the normalised score (1e-7 on ActivityNet)
    upsample: int = 15  # interpolation points per snippet (frames per UNT snippet)
    dilation_snippets: float = 1.25  # flat dilation window, in snippets (code quirk: not seconds)
    w_inner: float = 1.0
    w_outer: float = -1.0
    w_global: float = 0.25  # gamma
    tick_offset: float = 0.0  # where a snippet's value sits in it: 0 = start (code), 0.5 = centre
    clip_left_outer: bool = False  # code quirk: a left outer region reaching before 0 is dropped, not clipped
    masking: bool = False  # "simply masking": rule out static (test-time selected) snippets
    masking_reading: str = "frames"  # "frames": remove static frames from segments; "cas": zero the CAS there
    past_end: str = "clip"  # a segment starting at/after the duration: "clip" to [d, d] and keep (code); "drop"


MASKING_READINGS = ("frames", "cas")


def clip_and_keep(t0: float, t1: float, duration: float) -> tuple[float, float] | None:
    """The released code clips both ends to [0, duration] and keeps every segment.

    A segment that starts at or after the end of the video becomes [d, d]; the
    evaluation kits count it as a false positive.
    """
    return min(max(t0, 0.0), duration), min(max(t1, 0.0), duration)


def clip_or_drop(t0: float, t1: float, duration: float) -> tuple[float, float] | None:
    """Clip to [0, duration]; a segment left with no time inside the video is dropped."""
    t0, t1 = max(0.0, t0), min(duration, t1)
    return (t0, t1) if t1 > t0 else None


PAST_END_RULES = {"clip": clip_and_keep, "drop": clip_or_drop}


def minmax_normalize(values: np.ndarray) -> np.ndarray:
    """(v − min)/(max − min); a flat curve maps to zeros (nothing stands out)."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 0.0:
        return np.zeros_like(values, dtype=np.float64)
    return (values.astype(np.float64) - lo) / (hi - lo)


def class_softmax(cas_logits: np.ndarray) -> np.ndarray:
    """Softmax over classes (background included) at every snippet: [T, C'] -> [T, C']."""
    z = cas_logits - cas_logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def upsample_linear(values: np.ndarray, factor: int) -> np.ndarray:
    """Linear interpolation from snippet ticks 0, f, 2f, ... to every grid point up to the last tick."""
    if factor <= 1 or values.size <= 1:
        return values.astype(np.float64).copy()
    ticks = np.arange(values.size) * factor
    grid = np.arange(ticks[-1] + 1)
    return np.interp(grid, ticks, values.astype(np.float64))


def threshold_mask(score: np.ndarray, theta: float) -> np.ndarray:
    return score > theta * float(score.mean())


def dilate(mask: np.ndarray, width: int) -> np.ndarray:
    """Flat binary dilation over `width` grid points (closes short gaps, widens segments)."""
    if width <= 1:
        return mask.copy()
    # A moving "any" over the window; for even widths the window reaches one point further
    # right than left (scipy.ndimage.binary_dilation's centring, which the released code used).
    left = width // 2
    right = width - 1 - left
    padded = np.concatenate([np.zeros(right, dtype=np.int64), mask.astype(np.int64), np.zeros(left, dtype=np.int64)])
    return np.convolve(padded, np.ones(width, dtype=np.int64), mode="valid") > 0


def outer_regions(start: int, end: int, length: int, clip_left: bool) -> list[tuple[int, int]]:
    """The two context windows, a quarter of the segment each (at least one point), as [a, b)."""
    span = end - start
    left = min(int(start - 0.25 * span), start - 1)
    right = min(max(int(end + 0.25 * span), end + 1), length)
    regions = []
    if left >= 0:
        regions.append((left, start))
    elif clip_left and start > 0:
        regions.append((0, start))
    if right > end:
        regions.append((end, right))
    return regions


def segment_score(score: np.ndarray, start: int, end: int, p_c: float, cfg: CMCSLocalizeConfig) -> float:
    """q = w_inner·m_inner + w_outer·m_outer + w_global·p_c (outer term dropped when it has no points)."""
    inner = float(score[start:end].mean())
    outer_values = [score[a:b] for a, b in outer_regions(start, end, score.size, cfg.clip_left_outer)]
    q = cfg.w_inner * inner + cfg.w_global * p_c
    if outer_values:
        q += cfg.w_outer * float(np.concatenate(outer_values).mean())
    return q


def localize_video(
    video: str,
    cas_logits: np.ndarray,
    video_probs: np.ndarray,
    num_classes: int,
    snippet_seconds: float,
    duration: float,
    cfg: CMCSLocalizeConfig,
    static: np.ndarray | None = None,
) -> list[Detection]:
    """Detections of one video: `cas_logits` [T, C'] raw fused logits, `video_probs` [C'] softmax.

    Classes 0..num_classes-1 are localized; a background column (index num_classes), when
    present, only takes part in the softmaxes. `static` [T] bool is the test-time static
    mask, required when `cfg.masking` is on.
    """
    if cfg.masking and cfg.masking_reading not in MASKING_READINGS:
        raise ConfigError(f"localize.masking_reading must be one of {MASKING_READINGS}, got {cfg.masking_reading!r}")
    if cfg.past_end not in PAST_END_RULES:
        raise ConfigError(f"localize.past_end must be one of {', '.join(PAST_END_RULES)}, got {cfg.past_end!r}")
    if cfg.masking and static is None:
        raise ConfigError("localize.masking is on but no static mask was given for video " + repr(video))
    probs = class_softmax(cas_logits)
    step = snippet_seconds / cfg.upsample
    width = int(cfg.dilation_snippets * cfg.upsample)
    static_grid = None
    if static is not None and cfg.masking:
        static_grid = np.repeat(static.astype(bool), cfg.upsample)[: (cas_logits.shape[0] - 1) * cfg.upsample + 1]
    detections: list[Detection] = []
    for c in range(num_classes):
        p_c = float(video_probs[c])
        if p_c <= cfg.class_threshold:
            continue
        score = minmax_normalize(probs[:, c])
        if static is not None and cfg.masking and cfg.masking_reading == "cas":
            score = np.where(static, 0.0, score)
        score = upsample_linear(score, cfg.upsample)
        mask = dilate(threshold_mask(score, cfg.theta), width)
        if static_grid is not None and cfg.masking_reading == "frames":
            mask &= ~static_grid
        for start, end in runs(mask):
            t0 = (start + cfg.tick_offset * cfg.upsample) * step
            t1 = (end + cfg.tick_offset * cfg.upsample) * step
            times = PAST_END_RULES[cfg.past_end](t0, t1, duration)
            if times is None:
                continue
            q = segment_score(score, start, end, p_c, cfg)
            detections.append(Detection(video=video, label=c, score=q, start=times[0], end=times[1]))
    return detections


__all__ = [
    "CMCSLocalizeConfig", "MASKING_READINGS", "PAST_END_RULES", "clip_and_keep", "clip_or_drop",
    "minmax_normalize", "class_softmax", "upsample_linear",
    "threshold_mask", "dilate", "outer_regions", "segment_score", "localize_video",
]
