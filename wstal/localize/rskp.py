"""RSKP / FAC-Net proposals: multi-threshold sweep, inner - outer score, NMS (docs/methods/rskp.md §8).

Works in snippet indices like the released code, quirks included (each is part of the
numbers it reports): the inner mean reaches one snippet past the run, a proposal
covers one snippet more than its run, and NMS divides the intersection by the *other*
proposal's inclusive length. Detections leave in seconds: snippet i starts at
i * snippet_seconds, so a proposal stored as (s, e + 1) becomes [s, e + 1) x snippet_seconds.
Ambiguous-interval deletion is a rule of the snippet evaluation protocol, not done here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wstal.data.records import Detection
from wstal.utils.runs import runs


@dataclass
class ProposalConfig:
    """The released code's constants (THUMOS'14)."""

    class_threshold: float = 0.1  # classes with video score below it are skipped
    threshold_start: float = 0.001
    threshold_stop: float = 0.04  # exclusive, as np.arange
    threshold_step: float = 0.002
    min_length: int = 2  # snippets
    outer_margin: float = 0.25  # share of the run length on each side
    nms_threshold: float = 0.5

    def thresholds(self) -> np.ndarray:
        return np.arange(self.threshold_start, self.threshold_stop, self.threshold_step)


@dataclass
class Proposal:
    """A proposal in snippet units: [start, end) with end = run end + 1."""

    start: int
    end: int
    score: float


def runs_above(values: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Maximal runs [s, e) (e exclusive) where values > threshold."""
    return runs(values > threshold)


def score_run(cas: np.ndarray, start: int, end: int, margin: float) -> float:
    """inner - outer: inner = mean(cas[s : e + 1]); outer = the margin*L snippets on either side (0 if none)."""
    length = end - start
    total = cas.shape[0]
    inner = float(cas[start:end + 1].mean())
    left = cas[max(0, int(np.floor(start - margin * length))):start]
    right = cas[end + 1:min(total - 1, int(np.floor(end + margin * length + 1)))]
    outer_values = np.concatenate([left, right])
    outer = float(outer_values.mean()) if outer_values.size else 0.0
    return inner - outer


def class_proposals(cas: np.ndarray, cfg: ProposalConfig) -> list[Proposal]:
    """All thresholds' proposals of one class's CAS [T] (before NMS).

    Neighbouring thresholds mostly find the same runs; each distinct run is scored once
    (the duplicates stay, as in the released code: NMS removes them).
    """
    found = []
    scores: dict[tuple[int, int], float] = {}
    for threshold in cfg.thresholds():
        for start, end in runs_above(cas, float(threshold)):
            if end - start >= cfg.min_length:
                score = scores.get((start, end))
                if score is None:
                    score = scores[(start, end)] = score_run(cas, start, end, cfg.outer_margin)
                found.append(Proposal(start, end + 1, score))
    return found


def overlaps_over_others(start: int, end: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(min(end) - max(start) + 1) / (other end - other start + 1): the released code's NMS overlap,
    of one kept proposal with each other one."""
    inter = np.minimum(end, ends) - np.maximum(start, starts) + 1
    return inter / (ends - starts + 1)


def overlap_over_other(kept: Proposal, other: Proposal) -> float:
    """`overlaps_over_others` for one pair."""
    return float(overlaps_over_others(kept.start, kept.end, np.asarray(other.start), np.asarray(other.end)))


def nms(proposals: list[Proposal], threshold: float) -> list[Proposal]:
    """Greedy hard NMS, highest score first (stable on ties); drops others overlapping more than `threshold`.

    The overlap is `overlaps_over_others`, computed for all remaining proposals at once.
    """
    ordered = sorted(proposals, key=lambda p: -p.score)
    starts = np.array([p.start for p in ordered], dtype=np.int64)
    ends = np.array([p.end for p in ordered], dtype=np.int64)
    alive = np.ones(len(ordered), dtype=bool)
    kept: list[Proposal] = []
    for k, best in enumerate(ordered):
        if not alive[k]:
            continue
        kept.append(best)
        alive[k + 1:] &= overlaps_over_others(starts[k], ends[k], starts[k + 1:], ends[k + 1:]) <= threshold
    return kept


def localize(cas: np.ndarray, video_scores: np.ndarray, video_name: str, snippet_seconds: float,
             cfg: ProposalConfig | None = None) -> list[Detection]:
    """Detections of one video from its CAS [T, C] and video scores [C]."""
    cfg = cfg or ProposalConfig()
    detections = []
    for c in np.flatnonzero(video_scores >= cfg.class_threshold):
        for p in nms(class_proposals(cas[:, c], cfg), cfg.nms_threshold):
            detections.append(Detection(video=video_name, label=int(c), score=p.score,
                                        start=p.start * snippet_seconds, end=p.end * snippet_seconds))
    return detections


__all__ = ["ProposalConfig", "Proposal", "runs_above", "score_run", "class_proposals", "overlaps_over_others",
           "overlap_over_other", "nms", "localize"]
