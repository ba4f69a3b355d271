"""Phase coverage on hand-made videos with a known discriminative phase (test data, not results)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wstal.data.records import Dataset, Detection, Video
from wstal.errors import DataError
from wstal.evaluation.phase_coverage import instance_coverage, phase_coverage, snippets_within
from wstal.report.validate_metrics import validate_metrics

SNIPPET = 1.0  # seconds per snippet: snippet j has its centre at j + 0.5


def video(name="v", segments=((2.0, 8.0),), labels=(0,), total=12) -> Video:
    return Video(name=name, subset="test", duration=float(total), features=np.zeros((total, 2), np.float32),
                 segments=np.asarray(segments, dtype=np.float64), segment_labels=np.asarray(labels),
                 labels=tuple(sorted(set(labels))))


def dataset(videos, planted) -> Dataset:
    return Dataset(name="synthetic", classes=("a", "b"), videos=list(videos), snippet_seconds=SNIPPET,
                   meta={"planted": planted})


def planted(disc_runs):
    return {"context": [], "weak": [], "ambiguous": [], "discriminative": [list(r) for r in disc_runs]}


def test_centre_rule():
    assert snippets_within(2.0, 8.0, SNIPPET, 12).nonzero()[0].tolist() == [2, 3, 4, 5, 6, 7]
    assert snippets_within(2.6, 3.4, SNIPPET, 12).nonzero()[0].tolist() == []  # no centre inside


def test_a_detection_of_the_discriminative_phase_only():
    # instance = snippets 2..7, discriminative phase = snippets 4, 5
    disc = np.zeros(12, bool)
    disc[4:6] = True
    only_disc = [Detection("v", 0, 0.9, 4.0, 6.0)]
    assert instance_coverage(video(), disc, only_disc, SNIPPET) == [(1.0, 0.0)]
    whole = [Detection("v", 0, 0.5, 2.0, 8.0)]
    assert instance_coverage(video(), disc, whole, SNIPPET) == [(1.0, 1.0)]
    # the best-tIoU detection decides, not the best score; the other class is ignored
    both = [Detection("v", 0, 0.9, 4.0, 6.0), Detection("v", 0, 0.1, 2.0, 7.0), Detection("v", 1, 1.0, 2.0, 8.0)]
    assert instance_coverage(video(), disc, both, SNIPPET) == [(1.0, 0.75)]
    assert instance_coverage(video(), disc, [Detection("v", 0, 0.9, 9.0, 11.0)], SNIPPET) == [(0.0, 0.0)]
    assert instance_coverage(video(), disc, [], SNIPPET) == [(0.0, 0.0)]


def test_averages_over_instances_in_percent_with_the_balance():
    videos = [video("v"), video("w", segments=((0.0, 4.0), (6.0, 10.0)), labels=(0, 1))]
    data = dataset(videos, {"v": planted([(4, 6)]), "w": planted([(0, 1), (9, 10)])})
    detections = [Detection("v", 0, 0.9, 4.0, 6.0),  # v: disc only -> (1, 0)
                  Detection("w", 0, 0.9, 0.0, 4.0),  # w instance 1: all -> (1, 1)
                  Detection("w", 1, 0.9, 6.0, 8.0)]  # w instance 2 (disc = 9): rest 6, 7 of 6..8 -> (0, 2/3)
    coverage = phase_coverage(data, videos, detections)
    assert coverage["disc"] == pytest.approx(200 / 3)
    assert coverage["rest"] == pytest.approx((0 + 100 + 200 / 3) / 3)
    assert coverage["balance"] == pytest.approx(coverage["rest"] - coverage["disc"])


def test_no_planted_phases_means_no_number():
    videos = [video()]
    assert phase_coverage(Dataset(name="thumos14", classes=("a", "b"), videos=videos, snippet_seconds=SNIPPET),
                          videos, []) is None
    # one phase only: no instance has two parts
    assert phase_coverage(dataset(videos, {"v": planted([(2, 8)])}), videos, []) is None


def test_metrics_files_with_an_impossible_coverage_are_refused(tmp_path):
    good = {"tiou": [0.5], "map": [10.0], "phase_coverage": {"disc": 60.0, "rest": 40.0, "balance": -20.0}}
    assert validate_metrics(good, tmp_path / "metrics.json") is good
    for part, value in (("rest", 140.0), ("balance", -120.0), ("disc", float("nan"))):
        bad = json.loads(json.dumps(good))
        bad["phase_coverage"][part] = value
        with pytest.raises(DataError, match=f"phase_coverage.{part}"):
            validate_metrics(bad, tmp_path / "metrics.json")


def test_planted_selection_counts_each_kind_inside_the_detections():
    from wstal.evaluation.planted_selection import planted_selection

    # instance 2..8 (disc 4, 5), context 8..10, weak instance none; background the rest (0, 1, 10, 11)
    v = video(total=12)
    runs = {**planted([(4, 6)]), "context": [[8, 10]]}
    data = dataset([v], {"v": runs})
    detections = [Detection("v", 0, 0.9, 3.0, 6.0), Detection("v", 0, 0.5, 9.0, 11.0), Detection("v", 1, 0.5, 0.0, 1.0)]
    selection = planted_selection(data, [v], detections)
    assert selection["discriminative"] == (100.0, 2)
    assert selection["other phases"] == (25.0, 4)  # snippet 3 of 2, 3, 6, 7
    assert selection["context"] == (50.0, 2)  # snippet 9
    assert selection["background"] == (25.0, 4)  # snippet 10 (class 1's detection is not a class of the video)
    assert selection["weak"] == (pytest.approx(float("nan"), nan_ok=True), 0)
    assert planted_selection(Dataset(name="x", classes=("a", "b"), videos=[v]), [v], detections) is None
