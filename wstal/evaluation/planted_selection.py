"""Where a run's detections fall, by what the synthetic generator planted there (diagnosis, not a metric).

A verdict says *that* a mechanism helps or hurts; this says *where*. For every test video and
every class of its ground truth, a snippet counts as selected when its centre lies inside a
detection of that class (the union of the class's detections; for CMCS, the thresholded CAS
mask). Each planted kind then reports the share of its snippets selected:

* `discriminative` / `other phases`: snippets of full-strength instances, split by phase;
* `weak`: snippets of attenuated instances;
* `context` (static context next to an instance) and `background` (outside instances, context
  and ambiguous intervals): selected for any class of the video, i.e. false positives.

Methods whose detections are multi-threshold proposals (RSKP) cover much more than one mask, so
compare runs of one method. Synthetic data only (`None` without planted runs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wstal.data.records import Dataset, Detection, Video
from wstal.evaluation.phase_coverage import detections_by_video, planted_runs, snippets_within

KINDS = ("discriminative", "other phases", "weak", "context", "background")


def _selected(detections: Sequence[Detection], label: int, snippet_seconds: float, total: int) -> np.ndarray:
    mask = np.zeros(total, dtype=bool)
    for d in detections:
        if d.label == label:
            mask |= snippets_within(d.start, d.end, snippet_seconds, total)
    return mask


def planted_selection(dataset: Dataset, videos: Sequence[Video],
                      detections: Sequence[Detection]) -> dict[str, tuple[float, int]] | None:
    """{kind: (% of its snippets selected, number of its snippets)}; None when nothing was planted."""
    if planted_runs(dataset, videos) is None:
        return None
    from wstal.data.synthetic.generate import planted_mask  # synthetic-only reader of `planted`

    by_video = detections_by_video(detections)
    hits = dict.fromkeys(KINDS, 0)
    counts = dict.fromkeys(KINDS, 0)
    step = dataset.snippet_seconds
    for video in videos:
        total = video.num_snippets
        mine = by_video.get(video.name, [])
        disc, weak = planted_mask(dataset, video, "discriminative"), planted_mask(dataset, video, "weak")
        context = planted_mask(dataset, video, "context")
        inside_any = np.zeros(total, dtype=bool)
        selected_any = np.zeros(total, dtype=bool)
        for label in sorted({int(c) for c in video.segment_labels}):
            selected = _selected(mine, label, step, total)
            selected_any |= selected
            inside = np.zeros(total, dtype=bool)
            for (start, end), c in zip(video.segments, video.segment_labels):
                if int(c) == label:
                    inside |= snippets_within(start, end, step, total)
            inside_any |= inside
            parts = {"discriminative": inside & disc & ~weak, "other phases": inside & ~disc & ~weak,
                     "weak": inside & weak}
            for kind, mask in parts.items():
                hits[kind] += int((selected & mask).sum())
                counts[kind] += int(mask.sum())
        outside = {"context": context & ~inside_any,
                   "background": ~inside_any & ~context & ~planted_mask(dataset, video, "ambiguous")}
        for kind, mask in outside.items():
            hits[kind] += int((selected_any & mask).sum())
            counts[kind] += int(mask.sum())
    return {kind: (100.0 * hits[kind] / counts[kind] if counts[kind] else float("nan"), counts[kind])
            for kind in KINDS}
