"""Hand-computed cases for each protocol of `wstal.evaluate` (docs/evaluation.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wstal.cli import main
from wstal.errors import ConfigError, DataError
from wstal.evaluate import PROTOCOLS, GroundTruth, evaluate_detections, parse_tious
from wstal.data.records import Detection

S = 0.64  # one snippet: hand cases on the grid stay exact under round(t * 25 / 16)


def truth(segments, ambiguous=(), classes=("A", "B")) -> GroundTruth:
    """One-video GT; `segments` = [(label, start, end)] in file order."""
    return GroundTruth(
        classes=tuple(classes), subset="test", videos=("v1",),
        segments=np.asarray([(s, e) for _, s, e in segments], dtype=float).reshape(-1, 2),
        segment_video=np.zeros(len(segments), dtype=np.int64),
        segment_label=np.asarray([classes.index(c) for c, _, _ in segments], dtype=np.int64),
        ambiguous=np.asarray(ambiguous, dtype=float).reshape(-1, 2),
        ambiguous_video=np.zeros(len(ambiguous), dtype=np.int64))


def preds(*rows, video="v1") -> dict:
    """rows = (label, score, start, end)."""
    return {"results": {video: [{"label": c, "score": sc, "segment": [s, e]} for c, sc, s, e in rows]}}


def mean_ap(gt, p, protocol, tiou=0.5) -> float:
    return evaluate_detections(gt, p, protocol, (tiou,))["map"][0]


def test_output_has_the_documented_fields():
    result = evaluate_detections(truth([("A", 0, 10)]), preds(("A", 0.9, 0, 10)), "activitynet", (0.1, 0.5))
    assert result["protocol"] == "activitynet" and result["tiou"] == [0.1, 0.5]
    assert result["map"] == [100.0, 100.0] and result["average"] == 100.0
    assert result["per_class"] == {"A": [100.0, 100.0]}  # B has no GT: not averaged
    assert result["num_predictions"] == 1 and result["ignored_videos"] == 0
    json.dumps(result, allow_nan=False)


def test_threshold_is_inclusive_for_activitynet_and_strict_for_the_thumos_kit():
    gt, p = truth([("A", 0, 10)]), preds(("A", 0.9, 0, 5))  # tIoU exactly 0.5
    assert mean_ap(gt, p, "activitynet") == 100.0
    assert mean_ap(gt, p, "th14") == 0.0
    assert mean_ap(gt, p, "th14-11pt") == 0.0


def test_best_match_vs_first_match_in_list_order():
    # g0 = [0, 10), g1 = [2, 12) snippets; p1 fits g1 best but passes g0 first; p2 only passes g0.
    gt = truth([("A", 0, 10 * S), ("A", 2 * S, 12 * S)])
    p = preds(("A", 0.9, 2 * S, 12 * S), ("A", 0.8, 0, 6 * S))
    assert mean_ap(gt, p, "snippet") == pytest.approx(100.0)  # p1 -> g1, p2 -> g0
    assert mean_ap(gt, p, "activitynet") == pytest.approx(100.0)
    assert mean_ap(gt, p, "wtalc") == pytest.approx(50.0)  # p1 -> g0, p2 FP: (1/2)(1/1)


def test_gt_driven_matching_takes_the_best_overlap_not_the_best_score():
    gt = truth([("A", 0, 10)])
    p = preds(("A", 0.9, 0, 6), ("A", 0.8, 0, 10))
    assert mean_ap(gt, p, "activitynet") == pytest.approx(100.0)  # p1 takes the GT first
    assert mean_ap(gt, p, "th14") == pytest.approx(50.0)  # GT takes p2: ranks FP, TP -> P = 1/2


def test_interpolated_non_interpolated_and_eleven_point_ap():
    gt = truth([("A", 0, 10 * S), ("A", 20 * S, 30 * S)])
    p = preds(("A", 0.9, 50 * S, 60 * S), ("A", 0.8, 0, 10 * S), ("A", 0.7, 20 * S, 30 * S))  # FP, TP, TP
    assert mean_ap(gt, p, "activitynet") == pytest.approx(100 * (2 / 3 + 2 / 3) / 2)  # envelope
    assert mean_ap(gt, p, "snippet") == pytest.approx(100 * 2 / 3)
    assert mean_ap(gt, p, "wtalc") == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)  # no envelope
    assert mean_ap(gt, p, "th14") == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    assert mean_ap(gt, p, "th14-11pt") == pytest.approx(100 * 2 / 3)  # all 11 levels see 2/3


def test_eleven_point_counts_only_reached_recall_levels():
    gt = truth([("A", 0, 10), ("A", 20, 30)])
    p = preds(("A", 0.9, 0, 10))  # recall 0.5 at precision 1: levels 0 .. 0.5
    assert mean_ap(gt, p, "th14-11pt") == pytest.approx(100 * 6 / 11)
    assert mean_ap(gt, p, "th14") == pytest.approx(50.0)
    assert mean_ap(gt, p, "activitynet") == pytest.approx(50.0)


def test_ambiguous_handling_per_protocol():
    gt = truth([("A", 0, 10 * S)], ambiguous=[(20 * S, 25 * S)])
    p = preds(("A", 0.9, 20 * S, 24 * S), ("A", 0.8, 0, 10 * S))  # FP inside Ambiguous, then TP
    assert mean_ap(gt, p, "activitynet") == pytest.approx(50.0)  # no Ambiguous handling: FP counts
    result = evaluate_detections(gt, p, "snippet", (0.5,))
    assert result["map"] == [pytest.approx(100.0)] and result["ambiguous_removed"] == 1
    result = evaluate_detections(gt, p, "th14", (0.5,))
    assert result["map"] == [pytest.approx(100.0)] and result["ambiguous_dropped"] == [1]


def test_deletion_removes_true_positives_touching_ambiguous_but_the_kit_keeps_them():
    gt = truth([("A", 0, 10 * S), ("B", 40 * S, 50 * S)], ambiguous=[(9 * S, 12 * S)])
    p = preds(("A", 0.9, 0, 10 * S), ("B", 0.9, 40 * S, 50 * S))
    assert mean_ap(gt, p, "th14") == pytest.approx(100.0)  # matched detections stay TP
    result = evaluate_detections(gt, p, "snippet", (0.5,))
    assert result["classes_without_predictions"] == ["A"]
    assert result["map"] == [0.0]  # FAC-Net/RSKP: a class without predictions zeroes the whole mAP
    assert result["per_class"]["B"] == [100.0]


def test_class_with_gt_but_no_predictions():
    gt = truth([("A", 0, 10 * S), ("B", 20 * S, 30 * S)])
    p = preds(("A", 0.9, 0, 10 * S))
    for name, expected in {"activitynet": 50.0, "th14": 50.0, "th14-11pt": 50.0, "snippet": 0.0, "wtalc": 0.0}.items():
        result = evaluate_detections(gt, p, name, (0.5,))
        assert result["map"] == [pytest.approx(expected)], name
        assert result["per_class"]["A"] == [pytest.approx(100.0)], name


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_zero_length_segments_never_match(protocol):
    # the zero-length GT ([0.1, 0.2] s rounds to the empty snippet range [0, 0)) still counts in N_pos
    gt = truth([("A", 0.1, 0.2) if "snippet" in protocol or "wtalc" in protocol else ("A", 5, 5), ("A", 0, 10 * S)])
    zero = (0.1, 0.2) if "snippet" in protocol or "wtalc" in protocol else (5, 5)
    p = preds(("A", 0.9, *zero), ("A", 0.8, 0, 10 * S))
    result = evaluate_detections(gt, p, protocol, (0.1, 0.5))
    assert all(np.isfinite(result["map"]))
    expected = {"activitynet": 25.0, "snippet": 25.0, "wtalc": 25.0, "th14": 25.0, "th14-11pt": 100 * 6 / 11 / 2,
                "th14-11pt-nearest": 100 * 6 / 11 / 2, "th14-11pt-octave": 100 * 6 / 11 / 2}
    assert result["map"] == [pytest.approx(expected[protocol])] * 2


def test_snippet_protocol_rounds_half_to_even_like_python():
    # GT [0.32, 1.6] s -> round(0.5)=0, round(2.5)=2: [0, 2); a prediction [0, 1.28] s -> [0, 2): tIoU 1
    gt = truth([("A", 0.32, 1.6)])
    assert mean_ap(gt, preds(("A", 0.9, 0, 1.28)), "snippet", 0.9) == pytest.approx(100.0)
    assert mean_ap(gt, preds(("A", 0.9, 0, 1.28)), "activitynet", 0.9) == 0.0  # seconds: 0.96 / 1.6


def test_ties_are_broken_by_video_then_start_then_end():
    gt = truth([("A", 0, 10)])
    # equal scores: the earlier-starting FP ranks first whatever the input order
    for rows in [(("A", 0.5, 0, 10), ("A", 0.5, 50, 60)), (("A", 0.5, 50, 60), ("A", 0.5, 0, 10))]:
        assert mean_ap(gt, preds(*rows), "th14") == pytest.approx(100.0)


def test_detections_and_json_give_the_same_result():
    gt = truth([("A", 0, 10), ("B", 20, 30)])
    dets = [Detection("v1", 0, 0.9, 1, 10), Detection("v1", 1, 0.4, 22, 31), Detection("v1", 1, 0.7, 0, 5)]
    as_json = preds(("A", 0.9, 1, 10), ("B", 0.4, 22, 31), ("B", 0.7, 0, 5))
    for name in PROTOCOLS:
        assert evaluate_detections(gt, dets, name) == evaluate_detections(gt, as_json, name)


@pytest.mark.parametrize("bad, message", [
    (preds(("C", 0.9, 0, 10)), "unknown label 'C'"),
    (preds(("A", float("nan"), 0, 10)), "score must be a finite number"),
    (preds(("A", 0.9, 0, float("inf"))), "end must be a finite number"),
    (preds(("A", 0.9, 10, 5)), "inverted segment"),
    ({"results": {"v1": [{"label": "A", "score": 0.9}]}}, "'segment' must be [start, end]"),
    ({"predictions": {}}, '"results" mapping'),
])
def test_bad_predictions_are_rejected_with_a_clear_error(bad, message):
    with pytest.raises(DataError, match=None) as info:
        evaluate_detections(truth([("A", 0, 10)]), bad)
    assert message in str(info.value)


def test_bad_detection_class_id_is_rejected():
    with pytest.raises(DataError, match="unknown class id 7"):
        evaluate_detections(truth([("A", 0, 10)]), [Detection("v1", 7, 0.9, 0, 1)])


def test_predictions_for_videos_outside_the_subset_are_reported_and_ignored(capsys):
    p = preds(("A", 0.9, 0, 10))
    p["results"]["video_train_1"] = [{"label": "A", "score": 1.0, "segment": [0, 10]}] * 3
    result = evaluate_detections(truth([("A", 0, 10)]), p, "activitynet", (0.5,))
    assert result["map"] == [100.0]
    assert result["ignored_videos"] == 1 and result["ignored_predictions"] == 3
    assert "ignoring 3 predictions for 1 videos not in subset 'test'" in capsys.readouterr().err


def test_unknown_protocol_and_bad_thresholds():
    with pytest.raises(ConfigError, match="did you mean 'th14'"):
        evaluate_detections(truth([("A", 0, 10)]), preds(), "th15")
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        evaluate_detections(truth([("A", 0, 10)]), preds(), "activitynet", (0.0, 0.5))
    assert parse_tious("0.1:0.7:0.1") == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    assert parse_tious("0.5:0.95:0.05")[-1] == 0.95 and len(parse_tious("0.5:0.95:0.05")) == 10
    assert parse_tious("0.3,0.5") == (0.3, 0.5)
    with pytest.raises(ConfigError, match="--tiou"):
        parse_tious("a:b")


def test_cli_on_a_gt_json(tmp_path, capsys):
    gt = {"database": {"v1": {"subset": "test", "annotations": [{"segment": ["0.0", "10.0"], "label": "A"}]},
                       "v2": {"subset": "train", "annotations": [{"segment": [0, 4], "label": "B"}]}}}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(preds(("A", 0.9, 0, 5), ("B", 0.5, 0, 4))))
    code = main(["evaluate", "--annotations", str(tmp_path / "gt.json"), "--predictions", str(tmp_path / "pred.json"),
                 "--tiou", "0.3,0.5,0.7", "--output", str(tmp_path / "m.json")])
    assert code == 0
    out = capsys.readouterr().out
    assert "mAP@0.5" in out and "average" in out
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["map"] == [100.0, 100.0, 0.0]  # tIoU 0.5: >= passes
    assert metrics["ignored_class_predictions"] == 1  # B is a known class without GT in `test`


def test_cli_reports_a_missing_prediction_file_in_one_line(tmp_path, capsys):
    gt = {"database": {"v1": {"subset": "test", "annotations": [{"segment": [0, 10], "label": "A"}]}}}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    code = main(["evaluate", "--annotations", str(tmp_path / "gt.json"), "--predictions", str(tmp_path / "no.json")])
    assert code == 2
    assert "no.json: prediction file not found" in capsys.readouterr().err
