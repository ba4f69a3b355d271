"""Several videos in one pass: concatenated along time, with per-video (segment) reductions.

The released code of both papers runs one video per forward/backward pass and sums the
gradients of a batch. A packed batch concatenates the videos' snippets into one
[N, ...] tensor (N = sum of lengths), so each big matmul runs once per batch instead of
once per video, and reduces over time per video with the segment operations here.
Nothing leaks across videos: sums, maxima and softmaxes over time are per segment, and
a temporal convolution runs on `gapped` input with zero gaps between the videos.

Padding the batch to [B, Tmax, D] would waste the padded part: THUMOS'14 lengths
range from tens to thousands of snippets, so Tmax is many times the mean.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

BATCHINGS = ("packed", "per_video")


class Pack:
    """Lengths of the packed videos and the index tensors of their segment operations."""

    def __init__(self, lengths: Sequence[int], device: torch.device | str = "cpu"):
        self.lengths = [int(t) for t in lengths]
        if not self.lengths or min(self.lengths) < 1:
            raise ValueError(f"a pack needs videos of at least one snippet, got lengths {self.lengths}")
        self.device = torch.device(device)
        self.size = len(self.lengths)  # B
        self.total = sum(self.lengths)  # N
        self.length_tensor = torch.tensor(self.lengths, dtype=torch.float32, device=self.device)
        self.segment = torch.repeat_interleave(
            torch.arange(self.size, device=self.device),
            torch.tensor(self.lengths, device=self.device))  # [N] video index of each snippet
        self._membership: torch.Tensor | None = None
        self._gaps: dict[int, tuple[torch.Tensor, int]] = {}

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Per-video views of a packed [N, ...] tensor."""
        return x.split(self.lengths, dim=0)

    def expand(self, per_video: torch.Tensor) -> torch.Tensor:
        """[B, ...] -> [N, ...]: each snippet gets its video's value."""
        return per_video.index_select(0, self.segment)

    def sum(self, x: torch.Tensor) -> torch.Tensor:
        """[N, ...] -> [B, ...]: sums over each video's snippets."""
        out = x.new_zeros((self.size, *x.shape[1:]))
        return out.index_add(0, self.segment, x)

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """[N, ...] -> [B, ...]: means over each video's snippets."""
        lengths = self.length_tensor.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
        return self.sum(x) / lengths

    def amax(self, x: torch.Tensor) -> torch.Tensor:
        """[N, ...] -> [B, ...]: maxima over each video's snippets (differentiable, ties share the gradient)."""
        index = self.segment.view(-1, *([1] * (x.dim() - 1))).expand_as(x)
        out = x.new_zeros((self.size, *x.shape[1:]))
        return out.scatter_reduce(0, index, x, "amax", include_self=False)

    def softmax(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax over time within each video, for x [N] or [N, C] (per column)."""
        shift = self.expand(self.amax(x.detach()))  # softmax is shift-invariant: the shift needs no gradient
        e = torch.exp(x - shift)
        return e / self.expand(self.sum(e))

    def weighted_sum(self, weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """sum_t weights[t] x[t] per video: weights [N], x [N, d] -> [B, d], one matmul."""
        if self._membership is None:
            self._membership = torch.zeros(self.size, self.total, device=self.device)
            self._membership[self.segment, torch.arange(self.total, device=self.device)] = 1.0
        return (self._membership.to(x.dtype) * weights.unsqueeze(0)) @ x

    def padded(self, x: torch.Tensor, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
        """[N, C] -> ([L, C] with `pad` zero rows before, between and after the videos, row of each snippet)."""
        if pad not in self._gaps:
            starts = torch.tensor([0] + self.lengths[:-1], device=self.device).cumsum(0)
            within = torch.arange(self.total, device=self.device) - self.expand(starts)
            rows = self.expand(starts + pad * torch.arange(1, self.size + 1, device=self.device)) + within
            self._gaps[pad] = (rows, self.total + pad * (self.size + 1))
        rows, length = self._gaps[pad]
        return x.new_zeros(length, x.shape[1]).index_copy(0, rows, x), rows


def temporal_conv(x: torch.Tensor, conv: nn.Conv1d, pack: Pack) -> torch.Tensor:
    """A stride-1 "same" nn.Conv1d applied to each packed video alone, channels-last: [N, C_in] -> [N, C_out].

    Each video is zero-padded on its own (zero rows between videos), so nothing leaks across
    videos; the convolution is one matmul over the k-snippet windows of the video snippets.
    """
    k, groups = conv.kernel_size[0], conv.groups
    weight = conv.weight  # [C_out, C_in / groups, k]
    if k == 1:
        windows = x
    else:
        padded, rows = pack.padded(x, k // 2)
        windows = padded.unfold(0, k, 1).index_select(0, rows - k // 2)  # [N, C_in, k]
    if groups == 1:
        return F.linear(windows.reshape(x.shape[0], -1), weight.reshape(weight.shape[0], -1), conv.bias)
    n, c_out = x.shape[0], weight.shape[0]
    per_group = windows.reshape(n, groups, -1).transpose(0, 1)  # [G, N, C_in / G * k]
    w = weight.reshape(groups, c_out // groups, -1).transpose(1, 2)  # [G, C_in / G * k, C_out / G]
    out = torch.baddbmm(conv.bias.view(groups, 1, -1), per_group, w) if conv.bias is not None \
        else torch.bmm(per_group, w)
    return out.transpose(0, 1).reshape(n, c_out)


def check_batching(value: str, where: str) -> str:
    """`train.batching` must name a known batching (one-line ConfigError otherwise)."""
    from wstal.errors import ConfigError

    if value not in BATCHINGS:
        raise ConfigError(f"{where}: train.batching must be one of {', '.join(BATCHINGS)}, got {value!r}")
    return value


__all__ = ["Pack", "BATCHINGS", "check_batching", "temporal_conv"]
