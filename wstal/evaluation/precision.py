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



# ----------------------------------------------------------------------------- 11-point recall levels
#
# The original THUMOS kit loops over the recall levels `0:0.1:1` in MATLAB. Which doubles
# those are depends on how the colon operator builds them, and a recall of exactly k/10
# (k true positives out of 10 GT) reaches a level only if the level is not above k/10.
# docs/evaluation-11pt.md compares the three sets; "matlab" is the kit's own.


def matlab_colon(a: float, d: float, b: float) -> np.ndarray:
    """`a:d:b` as MATLAB builds it (general case, d > 0, non-integer step).

    n = round((b - a)/d) intervals (one fewer if a + n·d overshoots b by more than
    2·eps·max(|a|, |b|)); the end point is b itself when a + n·d lies within that
    tolerance of it. Element i (0-based) is a + i·d for i < n/2 and last − (n − i)·d for
    i > n/2, both halves computed with one multiplication (no repeated addition); for an
    even n the middle element is (a + last)/2.
    """
    if not (d > 0 and b >= a):
        raise ValueError(f"matlab_colon: need d > 0 and b >= a, got {a}:{d}:{b}")
    eps = float(np.finfo(np.float64).eps)
    n = int(np.floor((b - a) / d + 0.5))  # MATLAB's round (half away from zero) on a non-negative value
    tol = 2.0 * eps * max(abs(a), abs(b))
    if a + n * d - b > tol:
        n -= 1
    last = a + n * d
    if last - b > -tol:
        last = b
    out = np.empty(n + 1)
    k = np.arange(n // 2 + 1)
    out[k] = a + k * d
    out[n - k] = last - k * d
    if n % 2 == 0:
        out[n // 2] = (a + last) / 2
    return out


def octave_range(a: float, d: float, b: float) -> np.ndarray:
    """`a:d:b` as GNU Octave's ranges give it: a + k·d for every element, the last clipped to b."""
    n = int(np.floor((b - a) / d + 0.5))
    out = a + np.arange(n + 1) * d
    out[-1] = min(out[-1], b)
    return out


RECALL_LEVELS: Registry[np.ndarray] = Registry("11-point recall levels")
RECALL_LEVELS.register("matlab")(matlab_colon(0.0, 0.1, 1.0))  # the kit: 0.3 is 0.30000000000000004
RECALL_LEVELS.register("nearest")(np.array([k / 10 for k in range(11)]))  # the doubles nearest to k/10
RECALL_LEVELS.register("octave")(octave_range(0.0, 0.1, 1.0))  # 0.3, 0.6, 0.7 one ulp above k/10

ELEVEN_POINTS = RECALL_LEVELS.get("matlab")


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


def eleven_point_ap(tp: np.ndarray, npos: int, levels: np.ndarray = ELEVEN_POINTS) -> np.ndarray:
    """Original THUMOS kit: mean over the recall levels r of the max precision at recall ≥ r (0 if none)."""
    if not len(tp) or npos <= 0:
        return np.zeros(tp.shape[1])
    precision = _precision(tp)
    recall = np.cumsum(tp, axis=0) / npos
    # max precision at recall >= r = suffix maximum from the first rank whose recall reaches r
    suffix_max = np.maximum.accumulate(precision[::-1], axis=0)[::-1]
    out = np.zeros(tp.shape[1])
    for k in range(tp.shape[1]):
        first = np.searchsorted(recall[:, k], levels, side="left")  # recall is non-decreasing
        out[k] = suffix_max[first[first < len(tp)], k].sum() / len(levels)
    return out


def _eleven_point_rule(levels: np.ndarray) -> APRule:
    return lambda tp, npos: eleven_point_ap(tp, npos, levels)


# "11-point" is the kit's (MATLAB levels); the other two level sets are named options.
AP_RULES.register("11-point")(_eleven_point_rule(RECALL_LEVELS.get("matlab")))
AP_RULES.register("11-point-nearest")(_eleven_point_rule(RECALL_LEVELS.get("nearest")))
AP_RULES.register("11-point-octave")(_eleven_point_rule(RECALL_LEVELS.get("octave")))
