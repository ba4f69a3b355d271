"""ReLU followed by dropout as one autograd op: the embedding's activation (RSKP: Linear + ReLU + Dropout).

On [T, 2048] features the mask and the two elementwise passes are a visible share of a
training step. Fused, the forward writes one tensor, the backward needs only that
output (a kept positive unit has output > 0), and the mask comes from a uniform draw
(torch's CPU `bernoulli_` is about 4x slower than `uniform_`). The draws are sequential
per element, so one draw over a packed batch [N, d] gives the masks of the per-video
draws in order: the packed and the per-video paths see the same masks.
"""

from __future__ import annotations

import torch
from torch import nn


class _ReLUDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, p: float) -> torch.Tensor:  # type: ignore[override]
        keep = 1.0 - p
        out = torch.relu(x)
        out.masked_fill_(torch.rand_like(out) >= keep, 0.0).mul_(1.0 / keep)
        ctx.save_for_backward(out)
        ctx.scale = 1.0 / keep
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (out,) = ctx.saved_tensors
        return torch.where(out > 0, grad, 0.0).mul_(ctx.scale), None


class ReLUDropout(nn.Module):
    """relu(x), then each unit zeroed with probability p and the kept ones scaled by 1 / (1 - p) (training)."""

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return torch.relu(x)
        return _ReLUDropout.apply(x, self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


__all__ = ["ReLUDropout"]
