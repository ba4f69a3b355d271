"""The tidy results table on hand-made metrics (test data, not results)."""

from __future__ import annotations

import pandas as pd
import pytest

from wstal.artifacts import Row
from wstal.errors import DataError
from wstal.report.results import BEST_ON_TEST, FINAL, ResultsTable, run_records


def metrics(maps, best=None):
    tious = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7][:len(maps)]
    return {"protocol": "th14", "tiou": tious, "map": maps, "classification_map": 70.0, "best_on_test": best,
            "per_class": {"A": [m + 1 for m in maps], "B": [m - 1 for m in maps]},
            "provenance": {"git_commit": "e1", "train_commits": ["t1", "t2"]}, "timing": {"eval_wall_s": 2.0}}


def table(*per_seed, primary=True):
    records = []
    for seed, m in enumerate(per_seed):
        records += run_records(m, dataset="synthetic", scale="smoke", experiment="exp", method="cmcs",
                               data_variant="unt", variant="default", primary=primary, seed=seed, source=f"m{seed}")
    return ResultsTable(pd.DataFrame.from_records(records))


ROW = Row(label="Full", experiment="exp")


def test_numbers_come_from_map_per_tiou():
    results = table(metrics([50.0, 40.0, 30.0, 20.0, 10.0, 5.0, 0.0]),
                    metrics([60.0, 50.0, 40.0, 30.0, 20.0, 9.0, 4.0]))
    assert results.value(ROW, "AVG5", 0) == pytest.approx(30.0)
    assert results.value(ROW, "AVG7", 1) == pytest.approx(213 / 7)
    assert results.value(ROW, "AVG3-7", 0) == pytest.approx(13.0)
    assert results.value(ROW, "mAP@0.3", 1) == 40.0 and results.value(ROW, "cls-mAP", 0) == 70.0
    stats = results.values(ROW, "AVG5", [0, 1], group="unt")
    assert stats.values == (30.0, 40.0) and stats.seeds == (0, 1) and stats.group == "unt"
    assert results.per_class(ROW, "AVG5", 0) == {"A": 31.0, "B": 29.0}
    assert results.protocol_of(ROW, 0) == "th14"
    row = results.frame.iloc[0]
    assert row["train_commits"] == "t1+t2" and row["eval_commit"] == "e1" and row["checkpoint"] == FINAL


def test_best_on_test_is_kept_apart_and_never_shown_as_final():
    best = {"label": "best-on-test", "tiou": [0.1, 0.2, 0.3, 0.4, 0.5], "map": [90.0] * 5, "protocol": "th14"}
    results = table(metrics([50.0, 40.0, 30.0, 20.0, 10.0], best))
    assert set(results.frame["checkpoint"]) == {FINAL, BEST_ON_TEST}
    assert results.value(ROW, "AVG5", 0) == pytest.approx(30.0)


def test_missing_tiou_or_run_is_a_data_error():
    results = table(metrics([50.0, 40.0, 30.0]))
    with pytest.raises(DataError, match="AVG5 needs mAP at tIoU"):
        results.value(ROW, "AVG5", 0)
    with pytest.raises(DataError, match="no results for experiment 'exp'.*protocol snippet"):
        results.value(Row(label="x", experiment="exp", protocol="snippet"), "AVG5", 0)
    with pytest.raises(DataError, match="lengths differ"):
        run_records({"tiou": [0.1, 0.2], "map": [1.0]}, dataset="d", scale="s", experiment="e", method=None,
                    data_variant=None, variant="default", primary=True, seed=0, source="bad.json")


def test_phase_coverage_columns_are_per_run_numbers():
    with_phases = {**metrics([50.0, 40.0, 30.0, 20.0, 10.0]),
                   "phase_coverage": {"disc": 70.0, "rest": 55.0, "balance": -15.0}}
    results = table(with_phases, metrics([50.0, 40.0, 30.0, 20.0, 10.0]))
    assert results.value(ROW, "cover-disc", 0) == 70.0 and results.value(ROW, "cover-rest", 0) == 55.0
    assert results.value(ROW, "cover-balance", 0) == -15.0
    with pytest.raises(DataError, match="no cover-rest .synthetic data with phases only"):
        results.value(ROW, "cover-rest", 1)  # real data: no planted phases
