"""Statistics of a dataset next to the real THUMOS'14 ones (`wstal synth --describe`).

The THUMOS'14 numbers are hard-coded so the table works without the real annotation files.
We counted them in the W-TALC `Thumos14reduced-Annotations` files (numpy, 412 videos): videos,
segments, segment lengths, multi-label videos, ambiguous intervals, per-video instance counts
and durations.
Videos with ambiguous intervals: `Ambiguous_test.txt` names 37 test videos, one of which
(video_test_0001292) is not among the 212, so 36 (96 of the 99 intervals). Multi-label share
counts videos whose GT segments have > 1 class (27/200, 34/212). Static context is not
annotated in THUMOS'14, so its share has no reference value.
"""

from __future__ import annotations

import numpy as np

from wstal.data.records import Dataset

THUMOS14_SOURCE = "data/thumos14/README.md (verified statistics) + Thumos14reduced-Annotations"
THUMOS14_REFERENCE: dict[str, dict[str, float | None]] = {
    "validation": {"videos": 200, "instances": 3007, "instances/video median": 8, "instances/video mean": 15.04,
                   "instances/video max": 128, "instance length min (s)": 0.2, "instance length median (s)": 2.9,
                   "instance length max (s)": 118.1, "duration median (s)": 150.5, "multi-label share (%)": 13.5,
                   "static-context share (%)": None, "videos with ambiguous": None},
    "test": {"videos": 212, "instances": 3358, "instances/video median": 9, "instances/video mean": 15.84,
             "instances/video max": 218, "instance length min (s)": 0.2, "instance length median (s)": 3.2,
             "instance length max (s)": 86.6, "duration median (s)": 161.7, "multi-label share (%)": 16.0,
             "static-context share (%)": None, "videos with ambiguous": 36},
}


def subset_statistics(dataset: Dataset, subset: str) -> dict[str, float | None]:
    videos = dataset.subset(subset)
    counts = np.array([v.segments.shape[0] for v in videos])
    lengths = np.concatenate([v.segments[:, 1] - v.segments[:, 0] for v in videos])
    multi = np.mean([len(set(v.segment_labels.tolist())) > 1 for v in videos])  # as the README counts
    planted = dataset.meta.get("planted")
    context_share = None
    if planted is not None:
        context = sum(end - first for v in videos for first, end in planted[v.name]["context"])
        context_share = round(100.0 * context / sum(v.num_snippets for v in videos), 1)
    return {
        "videos": len(videos),
        "instances": int(counts.sum()),
        "instances/video median": float(np.median(counts)),
        "instances/video mean": round(float(counts.mean()), 2),
        "instances/video max": int(counts.max()),
        "instance length min (s)": round(float(lengths.min()), 1) if lengths.size else None,
        "instance length median (s)": round(float(np.median(lengths)), 1) if lengths.size else None,
        "instance length max (s)": round(float(lengths.max()), 1) if lengths.size else None,
        "duration median (s)": round(float(np.median([v.duration for v in videos])), 1),
        "multi-label share (%)": round(100.0 * float(multi), 1),
        "static-context share (%)": context_share,
        "videos with ambiguous": int(sum(v.ambiguous.shape[0] > 0 for v in videos)),
    }


def describe(dataset: Dataset) -> list[dict]:
    """Rows `{statistic, subset, <dataset.name>, thumos14}`, one per statistic and subset."""
    rows = []
    for subset in (dataset.train_subset, dataset.test_subset):
        reference = THUMOS14_REFERENCE.get(subset, {})
        for statistic, value in subset_statistics(dataset, subset).items():
            rows.append({"statistic": statistic, "subset": subset, dataset.name: value,
                         "thumos14": reference.get(statistic)})
    return rows
