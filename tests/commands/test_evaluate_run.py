"""`wstal evaluate --run R --variant a,b@protocol`: every evaluation of a run in one process."""

from __future__ import annotations

import json

import pytest

from toy_method import toy_dataset, write_toy_catalog
from wstal.catalog import load_catalog
from wstal.cli import main
from wstal.commands.evaluate import parse_evaluations
from wstal.data.io import save_dataset
from wstal.errors import ConfigError
from wstal.report.paths import Layout
from wstal.run import train_run
from wstal.run_evaluation import EVALUATION_INDEX


def test_parse_evaluations():
    assert parse_evaluations("default,strict,default@snippet", None) == [
        ("default", None), ("strict", None), ("default", "snippet")]
    assert parse_evaluations("default,default", "th14") == [("default", "th14")]
    with pytest.raises(ConfigError, match="empty variant"):
        parse_evaluations("default,,strict", None)


def test_one_command_writes_every_metrics_file_and_the_index(tmp_path, capsys):
    data = save_dataset(toy_dataset(), tmp_path / "data")
    catalog = load_catalog(write_toy_catalog(tmp_path))
    run = tmp_path / "run"
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    assert main(["evaluate", "--run", str(run), "--variant", "default,strict,default@snippet"]) == 0
    index = json.loads((run / EVALUATION_INDEX).read_text())
    assert index["process_cpu_s"] > 0  # what the job cost, for the workflow's timing table
    assert {(e["variant"], e["protocol"], e["metrics"]) for e in index["evaluations"]} == {
        ("default", "activitynet", "default/metrics.json"), ("strict", "activitynet", "strict/metrics.json"),
        ("default", "snippet", "default/metrics-snippet.json")}
    for entry in index["evaluations"]:
        metrics = json.loads((run / entry["metrics"]).read_text())
        assert metrics["variant"] == entry["variant"] and metrics["protocol"] == entry["protocol"]
        assert (run / entry["predictions"]).is_file()
    assert "strict:" in capsys.readouterr().out
    assert Layout("x", "y").evaluated("e", 0).name == EVALUATION_INDEX  # the workflow's marker


def test_unknown_variant_is_one_line(tmp_path, capsys):
    data = save_dataset(toy_dataset(), tmp_path / "data")
    catalog = load_catalog(write_toy_catalog(tmp_path))
    run = tmp_path / "run"
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    assert main(["evaluate", "--run", str(run), "--variant", "default,nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wstal: error:") and "'nope'" in err and len(err.strip().splitlines()) == 1
    assert not (run / EVALUATION_INDEX).exists()
