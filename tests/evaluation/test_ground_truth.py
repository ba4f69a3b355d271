"""GroundTruth from the real THUMOS'14 files (reduced folder and UM/BaS-Net gt.json) and from bad JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wstal.errors import DataError
from wstal.evaluation.ground_truth import GroundTruth


def test_reduced_thumos_test_gt_matches_the_readme(thumos_reduced):
    from wstal.data.io import load_dataset

    gt = GroundTruth.from_dataset(load_dataset(thumos_reduced), "test")
    assert len(gt.videos) == 212 and gt.num_segments == 3358 and len(gt.classes) == 20
    assert len(gt.evaluated_classes()) == 20
    # 99 Ambiguous rows, 3 of them for video_test_0001292, which is not among the 212
    assert len(gt.ambiguous) == 96
    assert gt.snippet_seconds == pytest.approx(0.64)


def test_um_basnet_gt_json_with_string_segments(shared_data):
    path = shared_data / "thumos14" / "UM-BaSNet" / "gt.json"
    gt = GroundTruth.from_json(path, "test")
    assert len(gt.videos) == 210 and gt.num_segments == 3311
    assert gt.segments.dtype == np.float64 and (gt.segments[:, 1] >= gt.segments[:, 0]).all()
    train = GroundTruth.from_json(path, "train")
    assert train.num_segments == 3007


def _write(tmp_path, data) -> str:
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(data))
    return path


def test_ambiguous_label_becomes_an_ambiguous_interval(tmp_path):
    path = _write(tmp_path, {"database": {"v": {"subset": "test", "annotations": [
        {"segment": [0, 5], "label": "A"}, {"segment": [7, 9], "label": "Ambiguous"}]}}})
    gt = GroundTruth.from_json(path)
    assert gt.classes == ("A",) and gt.ambiguous.tolist() == [[7.0, 9.0]]


@pytest.mark.parametrize("data, message", [
    ({"videos": {}}, '"database" mapping'),
    ({"database": {"v": {"subset": "val", "annotations": []}}}, "no video in subset 'test'"),
    ({"database": {"v": {"subset": "test", "annotations": [{"segment": [5, 1], "label": "A"}]}}},
     "end 1.0 < start 5.0"),
    ({"database": {"v": {"subset": "test", "annotations": [{"segment": ["x", 1], "label": "A"}]}}}, "not numeric"),
    ({"database": {"v": {"subset": "test", "annotations": [{"segment": [0, "nan"], "label": "A"}]}}}, "not finite"),
    ({"database": {"v": {"subset": "test", "annotations": [{"segment": [0, 1]}]}}}, "missing string 'label'"),
])
def test_bad_gt_json_is_rejected_naming_the_file(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(DataError) as info:
        GroundTruth.from_json(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_missing_gt_file(tmp_path):
    with pytest.raises(DataError, match="ground-truth file not found"):
        GroundTruth.from_json(tmp_path / "none.json")
