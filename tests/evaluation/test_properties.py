"""Property tests: perfect predictions score 100, input order never matters, AP in [0, 1],
and the vectorised evaluator equals the per-prediction reference loop on random cases."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_loop import reference_evaluate, rows_from_results

from wstal.evaluate import PROTOCOLS, GroundTruth, evaluate_detections

TIOUS = (0.1, 0.3, 0.5, 0.7, 0.9)
CLASSES = ("A", "B", "C")


@st.composite
def ground_truths(draw, ambiguous: bool = True):
    """1-3 videos, non-overlapping GT per video (lengths >= 1 s), optional Ambiguous intervals."""
    segs, seg_video, seg_label, amb, amb_video = [], [], [], [], []
    n_videos = draw(st.integers(1, 3))
    for v in range(n_videos):
        t = 0.0
        for _ in range(draw(st.integers(1, 4))):
            t += draw(st.floats(0, 5))
            length = draw(st.floats(1, 10))
            segs.append((round(t, 1), round(t + length, 1)))
            seg_video.append(v)
            seg_label.append(draw(st.integers(0, len(CLASSES) - 1)))
            t += length
        if ambiguous and draw(st.booleans()):
            s = draw(st.floats(0, t))
            amb.append((round(s, 1), round(s + draw(st.floats(0.5, 3)), 1)))
            amb_video.append(v)
    return GroundTruth(classes=CLASSES, subset="test", videos=tuple(f"v{v}" for v in range(n_videos)),
                       segments=np.asarray(segs), segment_video=np.asarray(seg_video),
                       segment_label=np.asarray(seg_label), ambiguous=np.asarray(amb).reshape(-1, 2),
                       ambiguous_video=np.asarray(amb_video, dtype=np.int64))


def _perfect(gt: GroundTruth) -> dict:
    results: dict = {}
    for i, ((s, e), v, c) in enumerate(zip(gt.segments, gt.segment_video, gt.segment_label)):
        results.setdefault(gt.videos[v], []).append(
            {"label": CLASSES[c], "score": 1.0 - i / 1000, "segment": [float(s), float(e)]})
    return {"results": results}


@st.composite
def cases(draw):
    """A GT and random predictions: jittered GT copies, zero-length ones, random ones, tied scores."""
    gt = draw(ground_truths())
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        v = draw(st.integers(0, len(gt.videos) - 1))
        kind = draw(st.sampled_from(["near", "zero", "random", "grid"]))
        if kind == "near" and (gt.segment_video == v).any():
            j = draw(st.sampled_from(np.flatnonzero(gt.segment_video == v).tolist()))
            s = max(0.0, gt.segments[j, 0] + draw(st.floats(-2, 2)))
            e = max(s, gt.segments[j, 1] + draw(st.floats(-2, 2)))
        elif kind == "zero":
            s = e = draw(st.floats(0, 30))
        elif kind == "grid":
            s = draw(st.integers(0, 40)) * 0.64
            e = s + draw(st.integers(0, 10)) * 0.64
        else:
            s = draw(st.floats(0, 30))
            e = s + draw(st.floats(0, 10))
        score = draw(st.sampled_from([0.1, 0.5, 0.9])) if draw(st.booleans()) else draw(st.floats(0, 1))
        rows.append((gt.videos[v], draw(st.sampled_from(CLASSES)), score, float(s), float(e)))
    results: dict = {}
    for video, label, score, s, e in rows:
        results.setdefault(video, []).append({"label": label, "score": score, "segment": [s, e]})
    return gt, {"results": results}


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@settings(max_examples=40, deadline=None)
@given(gt=ground_truths(ambiguous=False))
def test_perfect_predictions_give_100(protocol, gt):
    result = evaluate_detections(gt, _perfect(gt), protocol, TIOUS)
    assert result["map"] == [pytest.approx(100.0)] * len(TIOUS)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@settings(max_examples=40, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_shuffling_predictions_does_not_change_the_result(protocol, case, seed):
    gt, predictions = case
    flat = [(v, r) for v, rows in predictions["results"].items() for r in rows]
    random.Random(seed).shuffle(flat)
    shuffled: dict = {}
    for v, r in flat:
        shuffled.setdefault(v, []).append(r)
    assert evaluate_detections(gt, predictions, protocol, TIOUS) == \
        evaluate_detections(gt, {"results": shuffled}, protocol, TIOUS)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_ap_in_unit_interval_and_equal_to_the_reference_loop(protocol, case):
    gt, predictions = case
    result = evaluate_detections(gt, predictions, protocol, TIOUS)
    for values in result["per_class"].values():
        assert all(0.0 <= v <= 100.0 for v in values)
    reference = reference_evaluate(gt, rows_from_results(predictions), protocol, TIOUS)
    np.testing.assert_allclose(result["map"], reference["map"], rtol=0, atol=1e-9)
    for name, values in reference["per_class"].items():
        np.testing.assert_allclose(result["per_class"][name], values, rtol=0, atol=1e-9)
