"""RSKP proposals: runs, inner - outer scoring, NMS over the other's length, detections in seconds."""

from __future__ import annotations

import numpy as np
import pytest

from wstal.localize.rskp import (
    Proposal, ProposalConfig, class_proposals, localize, nms, overlap_over_other, runs_above, score_run,
)


def test_thresholds_are_the_released_twenty():
    thresholds = ProposalConfig().thresholds()
    assert len(thresholds) == 20
    assert thresholds[0] == pytest.approx(0.001) and thresholds[-1] == pytest.approx(0.039)


def test_runs_above_are_maximal_and_end_exclusive():
    values = np.array([0.5, 0.0, 0.4, 0.4, 0.0, 0.9])
    assert runs_above(values, 0.3) == [(0, 1), (2, 4), (5, 6)]


def test_proposal_score_inner_minus_outer_by_hand():
    cas = np.array([0, 0, 0, 0.2, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0, 0])
    # run [4, 8), L = 4: inner = mean(cas[4:9]) includes snippet 8 (quirk) = 2.1 / 5
    # outer = cas[3:4] and cas[9:10] (floor(8 + 1 + 1) = 10) -> mean(0.2, 0.1)
    assert score_run(cas, 4, 8, 0.25) == pytest.approx(2.1 / 5 - 0.15)
    cfg = ProposalConfig(threshold_start=0.3, threshold_stop=0.31, threshold_step=0.1)
    (only,) = class_proposals(cas, cfg)
    assert (only.start, only.end) == (4, 9)  # stored one snippet longer than the run
    assert only.score == pytest.approx(2.1 / 5 - 0.15)


def test_outer_region_clipped_and_empty_outer_counts_zero():
    cas = np.array([0.6, 0.6, 0.6, 0.6])
    assert score_run(cas, 0, 4, 0.25) == pytest.approx(0.6)


def test_short_runs_are_dropped():
    cas = np.array([0, 0.5, 0, 0.5, 0.5, 0])
    cfg = ProposalConfig(threshold_start=0.3, threshold_stop=0.31, threshold_step=0.1)
    assert [(p.start, p.end) for p in class_proposals(cas, cfg)] == [(3, 6)]


def test_nms_uses_intersection_over_the_other_proposals_length():
    big, small = Proposal(0, 10, 0.9), Proposal(2, 6, 0.8)
    assert overlap_over_other(big, small) == pytest.approx(5 / 5)
    assert overlap_over_other(small, big) == pytest.approx(5 / 11)
    # the big one first: the small one inside it is removed
    assert nms([small, big], 0.5) == [big]
    # the small one first: 5/11 < 0.5 keeps the big one, although it contains the small one
    small_first = Proposal(2, 6, 0.95)
    assert nms([big, small_first], 0.5) == [small_first, big]
    # inclusive "+1": touching intervals overlap by one snippet
    assert overlap_over_other(Proposal(0, 4, 1.0), Proposal(4, 8, 0.5)) == pytest.approx(1 / 5)


def test_localize_gates_classes_and_returns_seconds():
    cas = np.zeros((12, 2))
    cas[4:8, 0] = 0.5
    cas[4:8, 1] = 0.5
    detections = localize(cas, np.array([0.8, 0.05]), "v", 0.64)
    assert detections and {d.label for d in detections} == {0}
    best = max(detections, key=lambda d: d.score)
    assert best.start == pytest.approx(4 * 0.64) and best.end == pytest.approx(9 * 0.64)
    # every threshold gives the same run here: NMS keeps one
    assert len(detections) == 1


def _nms_one_at_a_time(proposals, threshold):
    """The released loop: pop the best, drop every remaining one overlapping it too much."""
    remaining = sorted(proposals, key=lambda p: -p.score)
    kept = []
    while remaining:
        best = remaining.pop(0)
        kept.append(best)
        remaining = [p for p in remaining if overlap_over_other(best, p) <= threshold]
    return kept


def _proposals_one_at_a_time(cas, cfg):
    return [Proposal(s, e + 1, score_run(cas, s, e, cfg.outer_margin))
            for t in cfg.thresholds() for s, e in runs_above(cas, float(t)) if e - s >= cfg.min_length]


def test_fast_proposals_and_nms_equal_the_one_at_a_time_loops():
    rng = np.random.default_rng(0)
    cfg = ProposalConfig()
    for trial in range(200):
        cas = (rng.random(int(rng.integers(1, 300))) ** 3 * 0.06).astype(np.float32)
        if trial % 3 == 0:
            cas = np.round(cas, 3)  # ties in scores and repeated runs
        found = class_proposals(cas, cfg)
        assert found == _proposals_one_at_a_time(cas, cfg)
        assert nms(found, cfg.nms_threshold) == _nms_one_at_a_time(found, cfg.nms_threshold)
