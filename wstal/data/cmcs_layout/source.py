"""One video of a prepared CMCS-layout dataset: where its files are, loaded on demand.

The ten-crop features of THUMOS'14 are GBs, so a prepared dataset holds an index, not
the arrays: a `CropSource` knows the video's rgb/flow files, its snippet count `T`, crop
count `B`, `frame_cnt` and fps, and loads `(B, T, 2048)` (RGB | flow) when a method asks.
Loading re-checks the files against the index (a file replaced after `prepare` fails in
one line instead of training on something else).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wstal.data.cmcs_layout.files import KINDS, FeatureKind, read_feature_file, read_mask
from wstal.errors import DataError


@dataclass(frozen=True)
class CropSource:
    """Index entry of one video: files, sizes and its frame grid."""

    kind: str  # "unt" | "i3d"
    rgb: Path
    flow: Path
    length: int  # T, stored features (one every base_sample_rate frames)
    crops: int  # B
    frame_cnt: int
    fps: float
    mask: Path | None = None  # FLOW-INTENSITY static-clip mask (training subset), when shipped

    @property
    def feature_kind(self) -> FeatureKind:
        return KINDS.get(self.kind)

    @property
    def base_sample_rate(self) -> int:
        return self.feature_kind.base_sample_rate

    @property
    def snippet_seconds(self) -> float:
        """Seconds between stored features (the video's own fps)."""
        return self.base_sample_rate / self.fps

    def load(self) -> np.ndarray:
        """`(B, T, 2048)` float32, RGB first; both files checked against the index."""
        halves = []
        for path in (self.rgb, self.flow):
            feature, frame_cnt = read_feature_file(path, self.feature_kind)
            if feature.shape[:2] != (self.crops, self.length):
                raise DataError(path, f"feature is (B={feature.shape[0]}, T={feature.shape[1]}) but the prepared "
                                      f"index says (B={self.crops}, T={self.length}); prepare the source again")
            if frame_cnt != self.frame_cnt:
                raise DataError(path, f"frame_cnt {frame_cnt} != {self.frame_cnt} of the prepared index")
            halves.append(feature)
        return np.concatenate(halves, axis=2)

    def load_mask(self) -> np.ndarray | None:
        """The per-frame static mask, or None when the layout ships no masks for this video."""
        return None if self.mask is None else read_mask(self.mask, self.frame_cnt)

    def num_ticks(self, sample_rate: int) -> int:
        """Snippets (at `sample_rate` frames) that have a time in the video.

        UNT: tick i sits at frame i * sample_rate, valid while < frame_cnt. I3D: a chunk
        starts at i * sample_rate, valid up to ((frame_cnt - 16) // sample_rate) * sample_rate.
        """
        chunk = self.feature_kind.chunk_frames
        if chunk:
            return max(1, (self.frame_cnt - chunk) // sample_rate + 1)
        return max(1, math.ceil(self.frame_cnt / sample_rate))


__all__ = ["CropSource"]
