"""Real THUMOS'14 test GT and random predictions for the evaluator's cross-checks and benchmark.

The GT is read straight from the reduced annotation `.npy` files (plus `Ambiguous_test.txt`)
so these tests do not depend on the data layer; `wstal.data.io` is used when it exists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wstal.evaluation.ground_truth import GroundTruth


def thumos_test_truth(folder: Path) -> GroundTruth:
    try:
        from wstal.data.io import load_dataset
    except ImportError:
        return _from_npy(folder)
    return GroundTruth.from_dataset(load_dataset(folder), "test")


def _from_npy(folder: Path) -> GroundTruth:
    load = lambda name: np.load(folder / f"{name}.npy", allow_pickle=True)  # noqa: E731
    classes = tuple(c.decode() for c in load("classlist"))
    names = [v.decode() for v in load("videoname")]
    subsets = [s.decode() for s in load("subset")]
    segments, labels = load("segments"), load("labels")
    videos = [i for i, s in enumerate(subsets) if s == "test"]
    seg, seg_video, seg_label = [], [], []
    for j, i in enumerate(videos):
        for (s, e), label in zip(segments[i], labels[i]):
            seg.append((float(s), float(e)))
            seg_video.append(j)
            seg_label.append(classes.index(label))
    index = {names[i]: j for j, i in enumerate(videos)}
    amb, amb_video = [], []
    for line in (folder / "Ambiguous_test.txt").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] in index:
            amb.append((float(fields[1]), float(fields[2])))
            amb_video.append(index[fields[0]])
    return GroundTruth(classes=classes, subset="test", videos=tuple(names[i] for i in videos),
                       segments=np.asarray(seg), segment_video=np.asarray(seg_video),
                       segment_label=np.asarray(seg_label), ambiguous=np.asarray(amb),
                       ambiguous_video=np.asarray(amb_video), source=str(folder))


def random_predictions(truth: GroundTruth, count: int, seed: int) -> dict:
    """THUMOS-like predictions: 60 % jittered GT copies (10 % relabelled), 40 % random segments.

    Scores are rounded to 2 decimals so that ties are frequent and tie-breaking is exercised.
    """
    rng = np.random.default_rng(seed)
    n_near = int(count * 0.6)
    pick = rng.integers(0, truth.num_segments, n_near)
    start, end = truth.segments[pick, 0], truth.segments[pick, 1]
    length = np.maximum(end - start, 0.2)
    new_start = np.maximum(0.0, start + rng.normal(0, 0.3, n_near) * length)
    new_end = np.maximum(new_start, end + rng.normal(0, 0.3, n_near) * length)
    label = np.where(rng.random(n_near) < 0.9, truth.segment_label[pick],
                     rng.integers(0, len(truth.classes), n_near))
    video = truth.segment_video[pick]
    n_far = count - n_near
    far_video = rng.integers(0, len(truth.videos), n_far)
    far_start = rng.uniform(0, 200, n_far)
    far_end = far_start + rng.lognormal(1.0, 0.8, n_far)
    video = np.concatenate([video, far_video])
    label = np.concatenate([label, rng.integers(0, len(truth.classes), n_far)])
    start = np.concatenate([new_start, far_start])
    end = np.concatenate([new_end, far_end])
    # a few predictions exactly on the 0.64 s grid, as localizers write them
    on_grid = rng.random(count) < 0.2
    start = np.where(on_grid, np.floor(start / 0.64) * 0.64, start)
    end = np.where(on_grid, np.maximum(start, np.ceil(end / 0.64) * 0.64), end)
    score = np.round(rng.random(count), 2)
    results: dict[str, list] = {}
    for v, c, s, e, sc in zip(video, label, start, end, score):
        results.setdefault(truth.videos[v], []).append(
            {"label": truth.classes[c], "score": float(sc), "segment": [float(s), float(e)]})
    return {"results": results}
