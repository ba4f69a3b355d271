"""How much of each planted action phase the detections cover (synthetic data only).

mAP says whether detections match; it does not say *which part* of an action a method
finds. CMCS's completeness argument is about exactly that: a MIL classifier localises the
most discriminative phase of an instance and misses the rest, and diverse branches are
meant to recover the rest. The synthetic generator records, per test video, which
snippets belong to the discriminative phase of their instance (`planted`), so the claim
can be measured directly:

    for every GT instance with snippets in both parts, take the detection of its class
    with the highest tIoU with it (ties: higher score); the instance's *disc* coverage is
    the share of its discriminative-phase snippets inside that detection, its *rest*
    coverage the share of its other snippets; none overlapping = 0 for both.

Both are averaged over instances and reported in %; *balance* = rest - disc (negative:
the detections favour the discriminative phase, CMCS's incompleteness). A snippet is inside an interval when
its centre is (the generator's rule). Not an evaluation protocol: it scores no ranking,
and it exists only where the data planted phases (`None` on real data or `phases=1`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wstal.data.records import Dataset, Detection, Video, snippet_span
from wstal.evaluation.matching import temporal_iou

PARTS = ("disc", "rest")  # plus "balance" = rest - disc


def snippets_within(start: float, end: float, snippet_seconds: float, total: int) -> np.ndarray:
    """Boolean [total]: snippets whose centre lies in [start, end) (`snippet_span`, the generator's rule)."""
    mask = np.zeros(total, dtype=bool)
    first, last = snippet_span(start, end, snippet_seconds, total)
    mask[first:last] = True
    return mask


def planted_runs(dataset: Dataset, videos: Sequence[Video]) -> dict | None:
    """The generator's `planted` runs when every video of `videos` has them (synthetic data), else None."""
    planted = (dataset.meta or {}).get("planted")
    if not planted or any(v.name not in planted for v in videos):
        return None
    return planted


def detections_by_video(detections: Sequence[Detection]) -> dict[str, list[Detection]]:
    by_video: dict[str, list[Detection]] = {}
    for d in detections:
        by_video.setdefault(d.video, []).append(d)
    return by_video


def instance_coverage(video: Video, discriminative: np.ndarray, detections: Sequence[Detection],
                      snippet_seconds: float) -> list[tuple[float, float]]:
    """(disc, rest) coverage in [0, 1] of each of the video's instances that has both parts."""
    total = discriminative.size
    labels = np.asarray([d.label for d in detections], dtype=np.int64)
    spans = np.asarray([(d.start, d.end) for d in detections], dtype=np.float64).reshape(-1, 2)
    scores = np.asarray([d.score for d in detections], dtype=np.float64)
    out = []
    for (start, end), label in zip(video.segments, video.segment_labels):
        inside = snippets_within(start, end, snippet_seconds, total)
        disc, rest = inside & discriminative, inside & ~discriminative
        if not disc.any() or not rest.any():
            continue
        same = np.flatnonzero(labels == label)
        overlap = temporal_iou(np.full(same.size, start), np.full(same.size, end), spans[same, 0], spans[same, 1])
        if same.size == 0 or overlap.max() <= 0.0:
            out.append((0.0, 0.0))
            continue
        best = same[np.lexsort((scores[same], overlap))[-1]]  # highest tIoU, then highest score
        covered = snippets_within(spans[best, 0], spans[best, 1], snippet_seconds, total)
        out.append((float((covered & disc).sum() / disc.sum()), float((covered & rest).sum() / rest.sum())))
    return out


def phase_coverage(dataset: Dataset, videos: Sequence[Video], detections: Sequence[Detection]) -> dict | None:
    """{"disc": %, "rest": %, "balance": rest - disc} over the instances of `videos`.

    None when the data planted no phases (real data, `phases=1`).
    """
    if planted_runs(dataset, videos) is None:
        return None
    from wstal.data.synthetic.generate import planted_mask  # synthetic-only reader of `planted`

    by_video = detections_by_video(detections)
    pairs: list[tuple[float, float]] = []
    for video in videos:
        discriminative = planted_mask(dataset, video, "discriminative")
        pairs += instance_coverage(video, discriminative, by_video.get(video.name, []), dataset.snippet_seconds)
    if not pairs:
        return None
    values = np.asarray(pairs) * 100.0
    coverage = {part: float(values[:, i].mean()) for i, part in enumerate(PARTS)}
    coverage["balance"] = coverage["rest"] - coverage["disc"]
    return coverage
