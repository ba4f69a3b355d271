"""`wstal planted --run R...`: where a synthetic run's detections fall (hand-made predictions, not results)."""

from __future__ import annotations

import json

from wstal.cli import main
from wstal.data.io import save_dataset
from wstal.data.synthetic import generate, make_config
from toy_method import toy_dataset


def run_folder(tmp_path, data_dir, name="run", predictions=None):
    run = tmp_path / name
    (run / "default").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"experiment": "exp", "method": "cmcs", "dataset_dir": str(data_dir),
                                                 "scale": "smoke", "seed": 0}))
    if predictions is not None:
        (run / "default" / "predictions.json").write_text(json.dumps(predictions))
    return run


def test_ground_truth_detections_cover_every_action_kind_and_no_background(tmp_path, capsys):
    dataset = generate(make_config("smoke", {"num_train": 4, "num_test": 6, "weak": 0.5}, seed=3))
    data = save_dataset(dataset, tmp_path / "data")
    results = {v.name: [{"label": dataset.classes[int(c)], "score": 1.0, "segment": [float(s), float(e)]}
                        for (s, e), c in zip(v.segments, v.segment_labels)] for v in dataset.test_videos}
    perfect = run_folder(tmp_path, data, "perfect", {"version": "x", "results": results})
    empty = run_folder(tmp_path, data, "empty", {"version": "x", "results": {v.name: [] for v in dataset.test_videos}})
    assert main(["planted", "--run", str(perfect), str(empty)]) == 0
    perfect_row, empty_row, mean_row = (line.split() for line in capsys.readouterr().out.splitlines()[3:])
    values = [float(x) for x in perfect_row[3:]]  # after the run label "exp seed 0"
    assert values[:3] == [100.0, 100.0, 100.0]  # discriminative, other phases, weak: all inside
    assert values[4] == 0.0 and values[5:7] == [100.0, 100.0] and values[7] == 0.0  # no background; full cover
    assert [float(x) for x in empty_row[3:6]] == [0.0, 0.0, 0.0]
    assert mean_row[0] == "mean" and [float(x) for x in mean_row[1:4]] == [50.0, 50.0, 50.0]


def test_missing_predictions_and_real_data_are_one_line_errors(tmp_path, capsys):
    dataset = generate(make_config("smoke", {"num_train": 4, "num_test": 4}, seed=0))
    data = save_dataset(dataset, tmp_path / "data")
    assert main(["planted", "--run", str(run_folder(tmp_path, data))]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "evaluate the run first: wstal evaluate --run" in err[0]
    real = save_dataset(toy_dataset(), tmp_path / "real")
    run = run_folder(tmp_path, real, "real", {"version": "x", "results": {}})
    assert main(["planted", "--run", str(run)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs synthetic data" in err[0]
