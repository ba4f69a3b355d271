"""CMCS options that follow the released code: what classification mAP ranks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError
from wstal.methods.cmcs import CMCS, CMCSConfig
from wstal.run import classification_map


def two_class_dataset() -> Dataset:
    videos = [Video(f"v{i}", "test", 4.0, np.zeros((4, 6), dtype=np.float32), np.zeros((0, 2)),
                    np.zeros(0, dtype=np.int64), (i,)) for i in range(2)]
    return Dataset("toy", ("a", "b"), videos, snippet_seconds=1.0)


# Video logits over (a, b, background). Video A: class a 2, background 5 -> p_a = e^2 / (e^2 + 1 + e^5) = 0.047;
# video B: a 1, b 0.5, background 0 -> p_a = e / (e + e^0.5 + 1) = 0.507. Softmax is not monotone in the
# class-a logit across these videos (A's background is much larger), so the two rankings of class a differ.
LOGITS = np.array([[2.0, 0.0, 5.0], [1.0, 0.5, 0.0]])


def outputs(row: np.ndarray) -> dict:
    probs = np.exp(row) / np.exp(row).sum()
    return {"video_logits": row, "video_probs": probs, "video_scores": probs[:2]}


@pytest.mark.parametrize("rule, expected", [
    # class a (positive: A): logits rank A (2) before B (1): AP 1; probabilities rank B (.507) before A (.047): AP 1/2.
    # class b (positive: B): both rank B first (logit .5 > 0, p .307 > .006): AP 1.
    ("logits", 100 * (1 + 1) / 2),
    ("probs", 100 * (1 / 2 + 1) / 2),
])
def test_classification_map_ranks_logits_as_released_or_probabilities(rule, expected):
    method = CMCS(CMCSConfig(class_scores=rule), two_class_dataset())
    scores = np.stack([method.video_scores(outputs(row)) for row in LOGITS])
    videos = [SimpleNamespace(labels=(0,)), SimpleNamespace(labels=(1,))]
    assert classification_map(scores, videos, 2) == pytest.approx(expected)


def test_released_default_ranks_the_logits_of_the_model_outputs():
    method = CMCS(CMCSConfig(), two_class_dataset())
    assert method.config.class_scores == "logits"
    torch.manual_seed(0)
    model = method.build_model()
    out = method.infer(model, method.dataset.videos[0], "default")
    np.testing.assert_array_equal(method.video_scores(out), out["video_logits"][:2])


def test_unknown_class_scores_is_a_config_error():
    with pytest.raises(ConfigError, match="class_scores"):
        CMCS(CMCSConfig(class_scores="softmax"), two_class_dataset())
