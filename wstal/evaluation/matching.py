"""Vectorised greedy matching of predictions to GT, for all thresholds at once.

Every protocol's matching is one greedy process: *proposers* are visited in a fixed
order and each takes its most preferred still-free *resource* (or nothing). In the
ActivityNet / snippet / W-TALC rules the proposers are predictions (by score) and the
resources GT segments; in the THUMOS kit's rule the proposers are GT segments (file
order) and the resources the video's predictions. Only the preference order differs:
highest overlap first (ties: lower index first) or list order (W-TALC's first match).

`greedy_assign` runs that process without a per-prediction Python loop: in each round
every proposer that no earlier unresolved proposer competes with (no shared free
candidate) is *ready*; ready proposers have disjoint candidate sets, so they all pick
at once. This gives exactly the sequential result, and the number of rounds is the
length of the longest chain of competing proposers (a handful), not the number of
predictions. Thresholds are folded in as independent copies (node = index * K + k).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from wstal.registry import Registry

OverlapFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
OVERLAPS: Registry[OverlapFn] = Registry("overlap measure")

# Rows of candidate (prediction, GT) pairs generated per chunk: bounds memory on dense videos.
PAIR_CHUNK = 2_000_000


@OVERLAPS.register("tiou")
def temporal_iou(s1: np.ndarray, e1: np.ndarray, s2: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """Continuous tIoU (ActivityNet `segment_iou`); 0 when the union is empty (zero-length guard)."""
    inter = np.maximum(0.0, np.minimum(e1, e2) - np.maximum(s1, s2))
    union = (e1 - s1) + (e2 - s2) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@OVERLAPS.register("th14")
def th14_overlap(s1: np.ndarray, e1: np.ndarray, s2: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """THUMOS kit overlap: intersection / (max end - min start) if they intersect, else 0."""
    inter = np.minimum(e1, e2) - np.maximum(s1, s2)
    span = np.maximum(e1, e2) - np.minimum(s1, s2)
    return np.divide(inter, span, out=np.zeros_like(inter), where=inter > 0)


def passes(overlap: np.ndarray, tious: np.ndarray, strict: bool) -> np.ndarray:
    """[..., K] overlap > θ (THUMOS kit) or ≥ θ (ActivityNet, W-TALC)."""
    return overlap[..., None] > tious if strict else overlap[..., None] >= tious


def candidate_pairs(pred_key: np.ndarray, pred_seg: np.ndarray, gt_key: np.ndarray, gt_seg: np.ndarray,
                    overlap: OverlapFn, keep: Callable[[np.ndarray], np.ndarray]):
    """(prediction, GT) pairs with the same key (video, or video and class) that intersect and pass `keep`.

    Pairs with no intersection are never generated: every overlap measure is 0 for them and
    every caller needs overlap > 0 (thresholds are > 0). Per key, GT rows sorted by start give
    the ones starting before the prediction ends (a prefix), and the running maximum of their
    ends gives the first one that can still end after it starts; only that window is paired.
    Returns (pred index, GT index into the original rows, overlap), in no particular order.
    """
    gt_order = np.lexsort((gt_seg[:, 0], gt_key))
    sorted_key = gt_key[gt_order]
    starts = gt_seg[gt_order, 0]
    ends = gt_seg[gt_order, 1]
    keys, group_lo = np.unique(sorted_key, return_index=True)
    group_hi = np.append(group_lo[1:], len(sorted_key))
    pred_order = np.argsort(pred_key, kind="stable")
    pred_sorted_key = pred_key[pred_order]
    first = np.zeros(len(pred_key), dtype=np.int64)
    last = np.zeros(len(pred_key), dtype=np.int64)
    for key, lo, hi in zip(keys, group_lo, group_hi):
        a, b = np.searchsorted(pred_sorted_key, key), np.searchsorted(pred_sorted_key, key, side="right")
        if a == b:
            continue
        mine = pred_order[a:b]
        running_end = np.maximum.accumulate(ends[lo:hi])
        first[mine] = lo + np.searchsorted(running_end, pred_seg[mine, 0], side="right")
        last[mine] = lo + np.searchsorted(starts[lo:hi], pred_seg[mine, 1], side="left")
    counts = np.maximum(last - first, 0)
    out_p, out_g, out_o = [], [], []
    cum = np.cumsum(counts)
    start = 0
    while start < len(pred_key):
        base = cum[start - 1] if start else 0
        stop = max(int(np.searchsorted(cum, base + PAIR_CHUNK, side="right")), start + 1)
        c = counts[start:stop]
        p = np.repeat(np.arange(start, stop), c)
        g = gt_order[first[p] + np.arange(len(p)) - np.repeat(np.cumsum(c) - c, c)]
        ov = overlap(pred_seg[p, 0], pred_seg[p, 1], gt_seg[g, 0], gt_seg[g, 1])
        ok = keep(ov)
        out_p.append(p[ok])
        out_g.append(g[ok])
        out_o.append(ov[ok])
        start = stop
    if not out_p:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(out_p), np.concatenate(out_g), np.concatenate(out_o)


def greedy_assign(proposer: np.ndarray, resource: np.ndarray, rank: np.ndarray, num_resources: int) -> np.ndarray:
    """Sequential greedy assignment, computed in parallel rounds.

    Entries `(proposer[i], resource[i])` are the allowed pairs, grouped by proposer (ascending)
    and, inside a group, in that proposer's order of preference; `rank[i]` is the proposer's
    turn (distinct among proposers that share a resource). Proposers act in increasing rank
    and each takes its first still-free resource. Returns, per entry, whether it was taken.
    """
    if not len(proposer):
        return np.zeros(0, dtype=bool)
    new_group = np.r_[True, proposer[1:] != proposer[:-1]]
    prop = np.cumsum(new_group) - 1  # compact proposer ids
    num_proposers = int(prop[-1]) + 1
    taken = np.zeros(len(proposer), dtype=bool)
    done = np.zeros(num_proposers, dtype=bool)
    resource_free = np.ones(num_resources, dtype=bool)
    entry, res, rk = np.arange(len(proposer)), resource, rank
    big = np.iinfo(np.int64).max
    while len(entry):
        # the earliest proposer still wanting each resource ...
        first_wanter = np.full(num_resources, big, dtype=np.int64)
        np.minimum.at(first_wanter, res, rk)
        # ... and, per proposer, the earliest competitor over all its candidates
        earliest_rival = np.full(num_proposers, big, dtype=np.int64)
        np.minimum.at(earliest_rival, prop[entry], first_wanter[res])
        ready = earliest_rival[prop[entry]] == rk
        first_choice = np.full(num_proposers, big, dtype=np.int64)
        np.minimum.at(first_choice, prop[entry[ready]], entry[ready])
        chosen = first_choice[first_choice != big]
        taken[chosen] = True
        done[prop[chosen]] = True
        resource_free[resource[chosen]] = False
        alive = resource_free[res] & ~done[prop[entry]]
        entry, res, rk = entry[alive], res[alive], rk[alive]
    return taken


def _passes_lowest(tious: np.ndarray, strict: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Pair filter: only pairs passing the lowest threshold can matter at any threshold."""
    lowest = np.asarray([tious.min()])
    return lambda o: passes(o, lowest, strict)[..., 0]


def _entries(owner: np.ndarray, other: np.ndarray, overlap: np.ndarray, ok: np.ndarray, k: int,
             by_overlap: bool) -> tuple[np.ndarray, np.ndarray]:
    """Greedy entries (owner node, other node) per threshold, grouped by owner node in preference order.

    Pairs are ordered once by owner then preference (overlap descending or list order, ties by
    the lower `other` index); the per-threshold copies keep that order under a stable sort by node.
    """
    order = np.lexsort((other, -overlap, owner)) if by_overlap else np.lexsort((other, owner))
    pi, ki = np.nonzero(ok[order])
    owner_node = owner[order][pi] * k + ki
    other_node = other[order][pi] * k + ki
    grouped = np.argsort(owner_node, kind="stable")
    return owner_node[grouped], other_node[grouped]


def detection_driven(pred_key, pred_seg, gt_key, gt_seg, tious: np.ndarray, *, overlap: str, strict: bool,
                     best: bool) -> np.ndarray:
    """Predictions (rows already in ranking order) pick GT: TP flags [P, K].

    `best=True`: highest-overlap free GT (ActivityNet); `best=False`: first free GT in list order (W-TALC).
    """
    n_pred, n_gt, k = len(pred_key), len(gt_key), len(tious)
    fn = OVERLAPS.get(overlap)
    p, g, ov = candidate_pairs(pred_key, pred_seg, gt_key, gt_seg, fn, _passes_lowest(tious, strict))
    proposer, resource = _entries(p, g, ov, passes(ov, tious, strict), k, best)
    taken = greedy_assign(proposer, resource, proposer // k, n_gt * k)  # turn = ranking position
    tp = np.zeros(n_pred * k, dtype=bool)
    tp[proposer[taken]] = True
    return tp.reshape(n_pred, k)


def gt_driven(pred_key, pred_seg, gt_key, gt_seg, tious: np.ndarray, *, overlap: str, strict: bool) -> np.ndarray:
    """GT rows (file order) pick the free prediction of highest overlap (ties: higher ranked): TP flags [P, K]."""
    n_pred, k = len(pred_key), len(tious)
    fn = OVERLAPS.get(overlap)
    p, g, ov = candidate_pairs(pred_key, pred_seg, gt_key, gt_seg, fn, _passes_lowest(tious, strict))
    proposer, resource = _entries(g, p, ov, passes(ov, tious, strict), k, True)
    taken = greedy_assign(proposer, resource, proposer // k, n_pred * k)  # turn = GT file order
    matched = np.zeros(n_pred * k, dtype=bool)
    matched[resource[taken]] = True
    return matched.reshape(n_pred, k)
