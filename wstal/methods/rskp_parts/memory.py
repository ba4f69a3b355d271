"""Offline representatives: the per-class memory bank and the table5 video-wise variant (docs/methods/rskp.md §5).

Both live in registered buffers, so they travel in `model.state_dict()`: a resumed run
keeps its bank (the released code does not, docs/methods/rskp.md §12). They are written under
`torch.no_grad()` with detached values and read detached: never part of the gradient.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn


class _Memory(nn.Module):
    """What both banks share: the `initialised` flag, a buffer so that a resumed run keeps it."""

    def __init__(self):
        super().__init__()
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    @property
    def ready(self) -> bool:
        return bool(self.initialised)

    def mark_initialised(self) -> None:
        self.initialised.fill_(True)


class ClassMemory(_Memory):
    """C x s slots of representatives with their class probabilities; keeps the top-s ever seen per class."""

    def __init__(self, num_classes: int, slots: int, dim: int):
        super().__init__()
        self.register_buffer("features", torch.zeros(num_classes, slots, dim))
        self.register_buffer("scores", torch.zeros(num_classes, slots))

    @torch.no_grad()
    def update(self, classes: Sequence[int], reps: torch.Tensor, probabilities: torch.Tensor,
               video_index: int | None = None) -> None:
        """For each class c of the video: merge stored and new entries, keep the s with the highest P[:, c].

        Stored entries come first and the sort is stable, so on a tie the older entry stays.
        """
        slots = self.scores.shape[1]
        reps = reps.detach().to(self.features.dtype)
        for c in classes:
            pool = torch.cat([self.features[c], reps], dim=0)
            pool_scores = torch.cat([self.scores[c], probabilities.detach()[:, c].to(self.scores.dtype)])
            order = torch.sort(pool_scores, descending=True, stable=True).indices[:slots]
            self.features[c] = pool[order]
            self.scores[c] = pool_scores[order]

    def read(self, classes: Sequence[int], rng: np.random.Generator | None = None,
             video_index: int | None = None) -> torch.Tensor:
        """The s slots of every listed class, concatenated [(s * |classes|), d], detached."""
        return torch.cat([self.features[c] for c in classes], dim=0).detach()


class VideoMemory(_Memory):
    """Table5 'video-wise memory bank': every training video's n representatives, moving-average updates.

    Reading draws, for each class of the current video, one other training video of that
    class at random (from the step's generator) and returns its stored representatives.
    """

    def __init__(self, video_classes: Sequence[Sequence[int]], reps_per_video: int, dim: int, momentum: float):
        super().__init__()
        self.momentum = momentum
        self.video_classes = [tuple(c) for c in video_classes]
        self.register_buffer("features", torch.zeros(len(self.video_classes), reps_per_video, dim))
        self.register_buffer("filled", torch.zeros(len(self.video_classes), dtype=torch.bool))

    @torch.no_grad()
    def update(self, classes: Sequence[int], reps: torch.Tensor, probabilities: torch.Tensor,
               video_index: int | None = None) -> None:
        """First write copies; later writes are m * old + (1 - m) * new (MoCo-style moving average)."""
        if video_index is None:
            raise ValueError("VideoMemory.update needs the training video's index")
        reps = reps.detach().to(self.features.dtype)
        if bool(self.filled[video_index]):
            self.features[video_index] = self.momentum * self.features[video_index] + (1 - self.momentum) * reps
        else:
            self.features[video_index] = reps
            self.filled[video_index] = True

    def read(self, classes: Sequence[int], rng: np.random.Generator | None = None,
             video_index: int | None = None) -> torch.Tensor:
        if rng is None:
            raise ValueError("VideoMemory.read draws a video and needs the step's generator")
        chosen = []
        for c in classes:
            candidates = [v for v, labels in enumerate(self.video_classes)
                          if c in labels and v != video_index and bool(self.filled[v])]
            if not candidates:  # the only video of its class: its own stored representatives
                candidates = [video_index] if video_index is not None else []
            if candidates:
                chosen.append(self.features[candidates[int(rng.integers(len(candidates)))]])
        return torch.cat(chosen, dim=0).detach()
