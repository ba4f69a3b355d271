"""CMCS static-clip selection, step by step, on hand-made motion curves."""

from __future__ import annotations

import numpy as np
import pytest

from wstal.data.hard_negatives import (
    HardNegativeConfig,
    keep_for_hard_negatives,
    median_smooth,
    pseudo_background_videos,
    remove_short_runs,
    seconds_to_min_run,
    seconds_to_odd_kernel,
    static_mask,
    threshold_at_ratio,
)
from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError, DataError
from wstal.utils.runs import runs

SNIPPET = 0.64  # W-TALC snippet: 16 frames at 25 fps


def hand_curve() -> np.ndarray:
    """40 snippets: a static run 5..12, an isolated still snippet at 20, a near-still one at 30."""
    motion = np.linspace(1.0, 2.0, 40)
    motion[5:13] = np.arange(8) * 0.01 + 0.10  # 0.10 .. 0.17
    motion[20] = 0.05
    motion[30] = 0.20
    motion[31] = 0.21
    return motion


def test_threshold_at_ratio_selects_below_the_percentile():
    # 25th percentile of 40 values sits between the 10th (0.20) and 11th (0.21) smallest: 0.2075
    mask = threshold_at_ratio(hand_curve(), 0.25)
    assert np.flatnonzero(mask).tolist() == [5, 6, 7, 8, 9, 10, 11, 12, 20, 30]


def test_threshold_ratio_out_of_range_is_a_config_error():
    with pytest.raises(ConfigError, match="selection_ratio"):
        threshold_at_ratio(hand_curve(), 1.5)


def test_seconds_convert_to_snippets_like_the_frame_constants():
    # 49 frames at 25 fps = 1.96 s = 3.06 snippets -> an odd kernel of 3
    assert seconds_to_odd_kernel(49 / 25, SNIPPET) == 3
    assert seconds_to_odd_kernel(49 / 25, 0.5) == 3  # 3.92 -> nearest odd 3
    assert seconds_to_odd_kernel(5.0, 1.0) == 5
    assert seconds_to_odd_kernel(0.1, 1.0) == 1
    # 50 frames = 2 s = 3.125 snippets: a run must have 4 snippets to last 2 s
    assert seconds_to_min_run(2.0, SNIPPET) == 4
    assert seconds_to_min_run(2.0, 0.5) == 4
    assert seconds_to_min_run(2.0, 1.0) == 2


def test_median_smooth_removes_isolated_and_fills_single_gaps():
    mask = np.zeros(20, dtype=bool)
    mask[3] = True  # isolated: voted away
    mask[8:11] = True
    mask[12:15] = True  # a one-snippet gap at 11: filled
    mask[19] = True  # at the end, zero padded: voted away
    out = median_smooth(mask, 3)
    assert np.flatnonzero(out).tolist() == list(range(8, 15))
    assert median_smooth(mask, 1).tolist() == mask.tolist()


def test_remove_short_runs_keeps_runs_of_min_length():
    mask = np.zeros(20, dtype=bool)
    mask[2:5] = True  # 3 snippets: removed at min 4
    mask[10:14] = True  # 4 snippets: kept
    mask[17:20] = True  # 3 snippets at the end: removed
    out = remove_short_runs(mask, 4, trailing_run="exact")
    assert runs(out) == [(10, 14)]


@pytest.mark.parametrize("trailing, released, exact", [
    ((16, 20), [(10, 14), (19, 20)], [(10, 14), (16, 20)]),  # exactly 4: measured 3, removed but for snippet 19
    ((17, 20), [(10, 14), (19, 20)], [(10, 14)]),  # 3: one stray snippet (19) instead of nothing
    ((15, 20), [(10, 14), (15, 20)], [(10, 14), (15, 20)]),  # 5: measured 4, kept whole by both
    ((19, 20), [(10, 14), (19, 20)], [(10, 14)]),  # 1: measured 0, nothing to clear
])
def test_released_rule_measures_a_trailing_run_one_snippet_short(trailing, released, exact):
    mask = np.zeros(20, dtype=bool)
    mask[2:5] = True  # an inner run of 3: removed by both rules
    mask[10:14] = True  # an inner run of exactly 4: kept by both
    mask[trailing[0]:trailing[1]] = True
    assert runs(remove_short_runs(mask, 4)) == released  # default: the released script
    assert runs(remove_short_runs(mask, 4, trailing_run="released")) == released
    assert runs(remove_short_runs(mask, 4, trailing_run="exact")) == exact


def test_unknown_trailing_run_rule_is_a_config_error():
    with pytest.raises(ConfigError, match="trailing_run"):
        remove_short_runs(np.ones(5, dtype=bool), 4, trailing_run="short")


def test_released_trailing_rule_puts_a_stray_snippet_in_the_pseudo_video():
    # 40 snippets, still from 36 on: the threshold picks 36..39 and 5..10 (the 10 lowest), the median
    # filter (3) keeps both runs whole (zero padding drops nothing: 39's window is 38, 39, pad -> 2 of 3).
    motion = np.linspace(1.0, 2.0, 40)
    motion[5:11] = 0.1
    motion[36:40] = 0.1
    assert runs(threshold_at_ratio(motion, 0.25)) == [(5, 11), (36, 40)]
    video = _video("a", motion)
    ds = Dataset("toy", ("x",), [video], snippet_seconds=SNIPPET)
    released = pseudo_background_videos(ds, HardNegativeConfig())
    exact = pseudo_background_videos(ds, HardNegativeConfig(trailing_run="exact"))
    # min run 4 snippets (2 s / 0.64 s): the trailing run of 4 is measured 3 by the released rule
    assert released[0].snippets.tolist() == [5, 6, 7, 8, 9, 10, 39]
    assert exact[0].snippets.tolist() == [5, 6, 7, 8, 9, 10, 36, 37, 38, 39]


def test_runs_lists_half_open_intervals():
    assert runs(np.array([1, 1, 0, 1, 0, 0, 1], dtype=bool)) == [(0, 2), (3, 4), (6, 7)]
    assert runs(np.zeros(4, dtype=bool)) == []


def test_static_mask_pipeline_on_the_hand_curve():
    mask = static_mask(hand_curve(), SNIPPET, HardNegativeConfig())
    # threshold picks 5..12, 20, 30; the median filter drops 20 and 30; the 8-snippet run survives
    assert runs(mask) == [(5, 13)]


def test_discard_rule_uses_the_static_ratio_bounds():
    cfg = HardNegativeConfig()
    mask = np.zeros(100, dtype=bool)
    mask[:4] = True
    assert not keep_for_hard_negatives(mask, cfg)  # 4 % < 5 %
    mask[:5] = True
    assert keep_for_hard_negatives(mask, cfg)  # 5 % is kept (inclusive)
    mask[:30] = True
    assert keep_for_hard_negatives(mask, cfg)  # 30 % is kept (inclusive)
    mask[:31] = True
    assert not keep_for_hard_negatives(mask, cfg)  # 31 % barely moves: discarded


def _video(name: str, motion: np.ndarray, subset: str = "validation") -> Video:
    t = motion.size
    features = np.arange(t * 4, dtype=np.float32).reshape(t, 4)
    return Video(name, subset, t * SNIPPET, features, np.zeros((0, 2)), np.zeros(0, dtype=np.int64), (0,),
                 motion=motion.astype(np.float32))


def test_pseudo_videos_concatenate_static_snippets_and_skip_discarded_videos():
    kept = _video("a", hand_curve())  # 8 / 40 = 20 % static: kept
    still = _video("b", np.ones(40))  # no snippet strictly below the percentile: 0 % -> discarded
    test = _video("c", hand_curve(), subset="test")  # test videos never become hard negatives
    ds = Dataset("toy", ("x",), [kept, still, test], snippet_seconds=SNIPPET)
    pseudo = pseudo_background_videos(ds, HardNegativeConfig())
    assert [p.name for p in pseudo] == ["a_bg"]
    assert pseudo[0].snippets.tolist() == list(range(5, 13))
    np.testing.assert_array_equal(pseudo[0].features, kept.features[5:13])


def test_missing_motion_is_a_data_error():
    video = _video("a", hand_curve())
    ds = Dataset("toy", ("x",), [Video(video.name, video.subset, video.duration, video.features, video.segments,
                                       video.segment_labels, video.labels, motion=None)], snippet_seconds=SNIPPET)
    with pytest.raises(DataError, match="no motion curve"):
        pseudo_background_videos(ds, HardNegativeConfig())


def test_median_smooth_equals_scipy_medfilt_on_random_masks():
    """The moving-sum majority vote is the released code's median filter, bit for bit."""
    medfilt = pytest.importorskip("scipy.signal").medfilt
    rng = np.random.default_rng(0)
    for _ in range(300):
        kernel = int(rng.choice([3, 5, 7, 9]))
        mask = rng.random(int(rng.integers(kernel, 60))) < rng.random()  # scipy warns on shorter input
        expected = medfilt(mask.astype(np.float64), kernel) > 0.5
        np.testing.assert_array_equal(median_smooth(mask, kernel), expected)
