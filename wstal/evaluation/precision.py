"""Average precision of one class's ranked TP/FP list, in the three published variants.

Each rule takes the TP flags of the class's kept predictions in ranking order (best
first) and N_pos (all GT of the class, including GT that can never be matched).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from wstal.registry import Registry

APRule = Callable[[np.ndarray, int], np.ndarray]
AP_RULES: Registry[APRule] = Registry("AP rule")

# Recall levels of the original THUMOS kit, as the doubles nearest to k/10: a recall of
# exactly 3/10 counts for level 0.3 (Matlab's 0:0.1:1 would make some levels 1 ulp off).
ELEVEN_POINTS = np.array([k / 10 for k in range(11)])


def _precision(tp: np.ndarray) -> np.ndarray:
    return np.cumsum(tp, axis=0) / np.arange(1, len(tp) + 1)[:, None]


@AP_RULES.register("interpolated")
def interpolated_ap(tp: np.ndarray, npos: int) -> np.ndarray:
    """VOC 2011 all-points AP (ActivityNet `interpolated_prec_rec`): (1/N_pos) Σ_TP max_{j≥k} P_j.

    `tp` is [n, K] (one column per threshold, rows best first); returns [K].
    """
    if not len(tp) or npos <= 0:
        return np.zeros(tp.shape[1])
    envelope = np.maximum.accumulate(_precision(tp)[::-1], axis=0)[::-1]
    return np.where(tp, envelope, 0.0).sum(axis=0) / npos


@AP_RULES.register("non-interpolated")
def non_interpolated_ap(tp: np.ndarray, npos: int) -> np.ndarray:
    """(1/N_pos) Σ_TP P_k (W-TALC detectionMAP, THUMOS kit Updated); `tp` [n, K] -> [K]."""
    if not len(tp) or npos <= 0:
        return np.zeros(tp.shape[1])
    return np.where(tp, _precision(tp), 0.0).sum(axis=0) / npos


@AP_RULES.register("11-point")
def eleven_point_ap(tp: np.ndarray, npos: int) -> np.ndarray:
    """Original THUMOS kit: mean over r in {0, 0.1, ..., 1} of the max precision at recall ≥ r (0 if none)."""
    if not len(tp) or npos <= 0:
        return np.zeros(tp.shape[1])
    precision = _precision(tp)
    recall = np.cumsum(tp, axis=0) / npos
    # max precision at recall >= r = suffix maximum from the first rank whose recall reaches r
    suffix_max = np.maximum.accumulate(precision[::-1], axis=0)[::-1]
    out = np.zeros(tp.shape[1])
    for k in range(tp.shape[1]):
        first = np.searchsorted(recall[:, k], ELEVEN_POINTS, side="left")  # recall is non-decreasing
        out[k] = suffix_max[first[first < len(tp)], k].sum() / len(ELEVEN_POINTS)
    return out
