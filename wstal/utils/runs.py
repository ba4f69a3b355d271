"""Runs of True in a boolean mask: the one run-length helper (localization, hard negatives, generator)."""

from __future__ import annotations

import numpy as np


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """`[start, end)` (end exclusive) of every maximal run of True values, in order."""
    padded = np.concatenate([[False], np.asarray(mask).astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(s), int(e)) for s, e in zip(edges[0::2], edges[1::2])]
