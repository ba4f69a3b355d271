"""The video-selection score of the qualitative figures (uses the evaluator's tIoU)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wstal.data.records import Video
from wstal.report.qualitative import video_quality


def _video(segments, labels) -> Video:
    return Video("v", "test", 30.0, np.zeros((4, 2), np.float32), np.array(segments, np.float64).reshape(-1, 2),
                 np.array(labels, np.int64), tuple(sorted(set(labels))))


def test_best_same_class_tiou_averaged_over_gt():
    video = _video([[0, 10], [20, 24]], [0, 1])
    detections = [{"label": "A", "segment": [5, 15], "score": 1.0},  # tIoU 5/15 with GT 0
                  {"label": "B", "segment": [0, 10], "score": 1.0},  # other class for GT 0
                  {"label": "B", "segment": [20, 22], "score": 1.0},  # tIoU 2/4 with GT 1
                  {"label": "B", "segment": [30, 31], "score": 1.0}]  # no overlap
    assert video_quality(video, detections, ("A", "B")) == pytest.approx((1 / 3 + 1 / 2) / 2)


def test_no_detection_scores_zero_and_no_gt_is_nan():
    assert video_quality(_video([[0, 10]], [0]), [], ("A",)) == 0.0
    assert math.isnan(video_quality(_video([], []), [], ("A",)))
