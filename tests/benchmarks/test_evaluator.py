"""Evaluator speed on the real THUMOS'14 test GT (3358 segments) with 50,000 random predictions.

The vectorised evaluator must give the same numbers as the per-prediction Python loop of
`tests/evaluation/reference_loop.py` (to 1e-9) and be at least 20x faster. Both sides get
pre-parsed predictions (the vectorised side a `PredictionArrays`, the loop a list of
tuples), so the ratio compares matching + AP, not JSON reading; the end-to-end time with
the result-dict input is printed too. The vectorised time is the best of several runs, the
loop runs once: on a loaded machine both slow down alike.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evaluation"))
from reference_loop import reference_evaluate, rows_from_results  # noqa: E402
from thumos_gt import random_predictions, thumos_test_truth  # noqa: E402

from wstal.evaluate import PROTOCOLS, evaluate_detections, prepare_predictions  # noqa: E402

TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
NUM_PREDICTIONS = 50_000


@pytest.fixture(scope="module")
def thumos_case(thumos_reduced):
    truth = thumos_test_truth(thumos_reduced)
    assert truth.num_segments == 3358
    predictions = random_predictions(truth, NUM_PREDICTIONS, seed=0)
    return truth, predictions


def _best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.benchmark
@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_vectorised_evaluator_equals_the_loop_and_is_20x_faster(benchmark, thumos_case, protocol):
    truth, predictions = thumos_case
    arrays = prepare_predictions(predictions, truth)
    assert len(arrays) == NUM_PREDICTIONS
    rows = rows_from_results(predictions)

    result = benchmark(evaluate_detections, truth, arrays, protocol, TIOUS)
    fast = _best_time(lambda: evaluate_detections(truth, arrays, protocol, TIOUS), repeats=5)
    start = time.perf_counter()
    reference = reference_evaluate(truth, rows, protocol, TIOUS)
    slow = time.perf_counter() - start
    end_to_end = _best_time(lambda: evaluate_detections(truth, predictions, protocol, TIOUS), repeats=1)

    np.testing.assert_allclose(result["map"], reference["map"], rtol=0, atol=1e-9)
    for name, values in reference["per_class"].items():
        np.testing.assert_allclose(result["per_class"][name], values, rtol=0, atol=1e-9)
    assert 0 < result["average"] < 100  # a non-trivial case: some matches, some misses
    ratio = slow / fast
    print(f"\n{protocol}: vectorised {fast * 1e3:.1f} ms, loop {slow * 1e3:.0f} ms, ratio {ratio:.1f}x; "
          f"end-to-end from the result dict {end_to_end * 1e3:.1f} ms (ratio {slow / end_to_end:.1f}x); "
          f"mAP {[round(m, 2) for m in result['map']]}")
    assert ratio >= 20, f"{protocol}: only {ratio:.1f}x faster than the per-prediction loop"
