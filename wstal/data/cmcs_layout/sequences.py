"""Training and test sequences of a ten-crop video, and its static clips (released-code semantics).

Training (temporal-offset augmentation): with f = sample_rate / base_sample_rate, the stored
features `(B, N, D)` give f offset sequences `x[:, o::f]` per crop, cut to the shortest
(N // f snippets): B * f sequences, of which every iteration draws one at random. They are
views of the loaded array, never copies. Testing uses offset 0 (`x[:, ::f]`) of all crops.

Static clips (hard negatives): the authors' per-frame mask when shipped — dropped when its
mean is outside [min, max] static ratio, else `mask[::sample_rate]` cut to the training
length — otherwise the flow-intensity pipeline of `wstal.data.hard_negatives` run on the
video's flow-feature magnitude (no flow frames ship with the features). The selected
snippets of all B * f sequences form one background pseudo video.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wstal.data.cmcs_layout.source import CropSource
from wstal.data.hard_negatives import HardNegativeConfig, keep_for_hard_negatives, static_mask
from wstal.errors import ConfigError, DataError


def offset_stride(source: CropSource, sample_rate: int) -> int:
    """f = sample_rate / base_sample_rate, which must be a positive integer."""
    base = source.base_sample_rate
    if sample_rate < base or sample_rate % base:
        raise ConfigError(f"cmcs: sample_rate {sample_rate} must be a positive multiple of the {source.kind} "
                          f"features' base sample rate {base}")
    return sample_rate // base


class CropSequences:
    """The B * f training sequences of one video (optionally only the snippets in `index`).

    Sequence s is crop `s % B` at offset `s // B` (the released code stacks the offset
    sequences along the crop axis), `[L, D]` with L = N // f, or `len(index)`.
    """

    def __init__(self, base: Any, stride: int, index: np.ndarray | None = None, name: str = ""):
        crops, length = int(base.shape[0]), int(base.shape[1]) // stride
        if length < 1:
            raise DataError(None, f"video {name!r}: {base.shape[1]} stored snippets, fewer than the {stride} "
                                  "temporal offsets of the sample rate")
        self.base, self.stride, self.crops, self.full_length = base, stride, crops, length
        self.index = index
        self.count = crops * stride

    @property
    def length(self) -> int:
        return self.full_length if self.index is None else int(len(self.index))

    def sequence(self, s: int) -> Any:
        offset, crop = divmod(int(s), self.crops)
        seq = self.base[crop, offset::self.stride][: self.full_length]
        return seq if self.index is None else seq[self.index]


def offset0_view(base: Any, stride: int) -> Any:
    """Offset 0 of every crop: `(B, ceil(N / f), D)`."""
    return base[:, ::stride]


def flow_motion(base: np.ndarray, stride: int) -> np.ndarray:
    """Per-snippet motion at offset 0: the flow half's L2 norm, averaged over crops."""
    view = np.asarray(offset0_view(base, stride))
    half = view.shape[2] // 2
    return np.linalg.norm(view[:, :, half:], axis=2).mean(axis=0)


def static_snippets(source: CropSource, base: np.ndarray, sample_rate: int, cfg: HardNegativeConfig,
                    length: int) -> np.ndarray | None:
    """Indices (into a training sequence of `length` snippets) of the static clips, or None (discarded)."""
    mask = source.load_mask()
    if mask is not None:
        ratio = float(mask.mean())
        if not cfg.min_static_ratio <= ratio <= cfg.max_static_ratio:
            return None
        chosen = mask[::sample_rate][:length]
    else:
        motion = flow_motion(base, sample_rate // source.base_sample_rate)
        full = static_mask(motion, sample_rate / source.fps, cfg)
        if not keep_for_hard_negatives(full, cfg):
            return None
        chosen = full[:length]
    index = np.flatnonzero(chosen)
    return index if index.size else None


__all__ = ["CropSequences", "offset_stride", "offset0_view", "flow_motion", "static_snippets"]
