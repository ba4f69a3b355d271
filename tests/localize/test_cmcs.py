"""CMCS scoring function and localization on a toy CAS with hand-computed segments and scores."""

from __future__ import annotations

import numpy as np
import pytest

from wstal.errors import ConfigError
from wstal.localize.cmcs import (
    CMCSLocalizeConfig,
    dilate,
    localize_video,
    minmax_normalize,
    outer_regions,
    segment_score,
    upsample_linear,
)

# Class-0 probabilities per snippet; with a zero background logit, softmax = p exactly.
P = np.array([0.1, 0.1, 0.3, 0.9, 0.9, 0.9, 0.1, 0.1, 0.5, 0.1])
# normalised: [0, 0, .25, 1, 1, 1, 0, 0, .5, 0], mean 0.375 -> snippets 3-5 and 8 pass


def toy_cas() -> np.ndarray:
    logits = np.zeros((P.size, 2))
    logits[:, 0] = np.log(P / (1 - P))
    return logits


def plain(**kw) -> CMCSLocalizeConfig:
    """One grid point per snippet and no dilation, so the toy CAS can be checked by hand."""
    return CMCSLocalizeConfig(upsample=1, dilation_snippets=1.0, **kw)


def run(cfg: CMCSLocalizeConfig, p_c: float = 0.6, static=None):
    probs = np.array([p_c, 1 - p_c])
    return localize_video("v", toy_cas(), probs, 1, 1.0, 10.0, cfg, static)


def test_segments_and_full_scores():
    dets = run(plain())
    assert [(d.start, d.end) for d in dets] == [(3.0, 6.0), (8.0, 9.0)]
    # segment 1: inner 1, outer = mean([0.25], [0]) = 0.125; segment 2: inner 0.5, outer = mean([0], [0])
    assert dets[0].score == pytest.approx(1 - 0.125 + 0.25 * 0.6)
    assert dets[1].score == pytest.approx(0.5 - 0.0 + 0.25 * 0.6)
    assert all(d.label == 0 and d.video == "v" for d in dets)


@pytest.mark.parametrize("weights, expected", [
    ({"w_outer": 0.0, "w_global": 0.0}, (1.0, 0.5)),  # only inner
    ({"w_global": 0.0}, (0.875, 0.5)),  # no global
    ({"w_outer": 0.0}, (1.15, 0.65)),  # no outer
])
def test_scoring_ablations_change_only_the_weights(weights, expected):
    dets = run(plain(**weights))
    assert [d.score for d in dets] == pytest.approx(list(expected))


def test_class_gate_drops_unlikely_classes():
    assert run(plain(), p_c=0.1) == []  # p_c must be strictly above 0.1
    assert len(run(plain(), p_c=0.11)) == 2


def test_outer_regions_follow_the_released_code():
    assert outer_regions(3, 6, 10, False) == [(2, 3), (6, 7)]  # a quarter of 3 -> at least one point
    assert outer_regions(1, 9, 20, False) == [(9, 11)]  # left would start at -1: dropped (code quirk)
    assert outer_regions(1, 9, 20, True) == [(0, 1), (9, 11)]  # ... or clipped when asked
    assert outer_regions(4, 10, 10, False) == [(2, 4)]  # 4 - 6/4 = 2.5 -> 2; right is clipped at the end: empty
    # whole-video segment: no outer region at all -> q = inner + gamma * p_c
    assert segment_score(np.array([0.5, 1.0, 1.0]), 0, 3, 0.4, plain()) == pytest.approx(2.5 / 3 + 0.1)


def test_upsample_places_values_at_snippet_starts():
    assert upsample_linear(np.array([0.0, 1.0, 0.0]), 2).tolist() == [0.0, 0.5, 1.0, 0.5, 0.0]


def test_dilation_widens_by_the_window():
    mask = np.zeros(8, dtype=bool)
    mask[3] = True
    assert np.flatnonzero(dilate(mask, 3)).tolist() == [2, 3, 4]
    assert dilate(mask, 1).tolist() == mask.tolist()


def test_default_grid_times_are_in_seconds():
    cfg = CMCSLocalizeConfig()  # 15 points per snippet, dilation int(1.25 * 15) = 18 points
    dets = localize_video("v", toy_cas(), np.array([0.6, 0.4]), 1, 0.5, 5.0, cfg)
    assert dets, "the peak must be localized"
    first = dets[0]
    assert 0.0 <= first.start < 1.5 < 2.5 < first.end <= 5.0  # covers snippets 3-5 (1.5-3.0 s)


def test_minmax_of_a_flat_curve_is_zero():
    assert minmax_normalize(np.full(5, 0.3)).tolist() == [0.0] * 5


def test_masking_rules_out_static_snippets():
    static = np.zeros(10, dtype=bool)
    static[3] = True
    dets = run(plain(masking=True), static=static)
    assert [(d.start, d.end) for d in dets] == [(4.0, 6.0), (8.0, 9.0)]
    cas_reading = run(plain(masking=True, masking_reading="cas"), static=static)
    assert [(d.start, d.end) for d in cas_reading][0] == (4.0, 6.0)
    with pytest.raises(ConfigError, match="static mask"):
        run(plain(masking=True))
    with pytest.raises(ConfigError, match="masking_reading"):
        run(plain(masking=True, masking_reading="blur"), static=static)


def test_dilate_equals_scipy_binary_dilation_on_random_masks():
    """Our moving 'any' keeps scipy's centring for even widths."""
    binary_dilation = pytest.importorskip("scipy.ndimage").binary_dilation
    rng = np.random.default_rng(1)
    for _ in range(300):
        mask = rng.random(int(rng.integers(1, 80))) < rng.random()
        width = int(rng.integers(2, 20))
        expected = binary_dilation(mask, structure=np.ones(width, dtype=bool))
        np.testing.assert_array_equal(dilate(mask, width), expected)


@pytest.mark.parametrize("duration", [8.0, 7.5])
def test_a_segment_starting_at_or_after_the_end_is_clipped_and_kept_as_released(duration):
    # segments (3, 6) and (8, 9) s; the second starts at (8.0) or after (7.5) the end of the video
    probs = np.array([0.6, 0.4])
    released = localize_video("v", toy_cas(), probs, 1, 1.0, duration, plain())
    assert [(d.start, d.end) for d in released] == [(3.0, 6.0), (duration, duration)]
    assert released[1].score == pytest.approx(0.5 + 0.25 * 0.6)  # scored as before, only its times clipped
    dropped = localize_video("v", toy_cas(), probs, 1, 1.0, duration, plain(past_end="drop"))
    assert [(d.start, d.end) for d in dropped] == [(3.0, 6.0)]


def test_a_segment_crossing_the_end_is_clipped_by_both_rules():
    for rule in ("clip", "drop"):
        dets = localize_video("v", toy_cas(), np.array([0.6, 0.4]), 1, 1.0, 5.0, plain(past_end=rule))
        assert [(d.start, d.end) for d in dets][0] == (3.0, 5.0)
    with pytest.raises(ConfigError, match="past_end"):
        localize_video("v", toy_cas(), np.array([0.6, 0.4]), 1, 1.0, 5.0, plain(past_end="keep"))
