"""Smoke run of RSKP through the CLI: `wstal prepare` + `wstal train` + `wstal evaluate --run` per variant."""

from __future__ import annotations

import json

import torch

from wstal.cli import main


def test_smoke_run_through_train_and_evaluate(tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    assert main(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "i3d-rskp",
                 "--out", str(data), "--seed", "0"]) == 0
    assert main(["train", "--experiment", "rskp_full", "--seed", "0", "--dataset", "synthetic", "--scale", "smoke",
                 "--data", str(data), "--out", str(run), "--threads", "1", "--progress", "none"]) == 0
    state = torch.load(run / "model.pt", weights_only=True)["model"]
    assert bool(state["memory.initialised"])  # the smoke scale reaches the memory-bank phase
    for variant in ("default", "inter"):
        assert main(["evaluate", "--run", str(run), "--variant", variant]) == 0
        metrics = json.loads((run / variant / "metrics.json").read_text())
        assert metrics["protocol"] == "snippet" and metrics["variant"] == variant
        assert metrics["num_detections"] > 0
        assert [round(t, 1) for t in metrics["average_tious"]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
        predictions = json.loads((run / variant / "predictions.json").read_text())
        segments = [d["segment"] for dets in predictions["results"].values() for d in dets]
        assert segments and all(end > start >= 0 for start, end in segments)
    assert main(["evaluate", "--run", str(run), "--variant", "nonsense"]) == 2
