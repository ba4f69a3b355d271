"""Run folders: train a catalog experiment, evaluate it with variants and protocols."""

from __future__ import annotations

import json

import pytest
import torch

from toy_method import toy_dataset, write_toy_catalog
from wstal.catalog import load_catalog
from wstal.data.io import save_dataset
from wstal.errors import ConfigError, DataError
from wstal.run import classification_map, resolve_config, train_run
from wstal.run_evaluation import evaluate_run, evaluate_run_all
from wstal.train import load_checkpoint
from wstal.utils.provenance import git_commit


@pytest.fixture()
def toy_setup(tmp_path):
    data = save_dataset(toy_dataset(), tmp_path / "data")
    catalog = load_catalog(write_toy_catalog(tmp_path))
    return tmp_path, data, catalog


def test_train_and_evaluate_a_run(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    summary = train_run("toy_small", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    assert summary["steps"] == 6  # Toy.SCALES["smoke"]
    config = json.loads((run / "config.json").read_text())
    assert config["experiment"] == "toy_small" and config["scale"] == "smoke"
    assert config["config"]["hidden"] == 4 and config["config"]["train"]["steps"] == 6
    metrics = evaluate_run(run, "default")
    on_disk = json.loads((run / "default" / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(metrics))
    assert metrics["protocol"] == "activitynet" and metrics["experiment"] == "toy_small"
    assert set(metrics["averages"]) >= {"avg5", "avg7"}
    assert metrics["average"] == pytest.approx(metrics["averages"]["avg5"])  # Toy.TIOUS = 0.1:0.5
    assert metrics["provenance"]["seed"] == 0 and metrics["provenance"]["torch_version"] == torch.__version__
    # the commit the weights were trained at, from the checkpoint (also in the training summary)
    assert metrics["provenance"]["train_commits"] == summary["train_commits"] == [git_commit()]
    assert metrics["timing"]["train_wall_s"] > 0 and metrics["timing"]["eval_wall_s"] > 0
    assert metrics["best_on_test"] is None
    assert 0 <= metrics["classification_map"] <= 100
    predictions = json.loads((run / "default" / "predictions.json").read_text())
    assert set(predictions["results"]) == {v.name for v in toy_dataset().test_videos}
    for entries in predictions["results"].values():
        for entry in entries:
            assert entry["label"].startswith("class") and entry["segment"][0] <= entry["segment"][1]


def test_variant_and_protocol_override(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_base", 1, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    default = evaluate_run(run, "default")
    strict = evaluate_run(run, "strict")
    assert strict["num_detections"] <= default["num_detections"]
    snippet = evaluate_run(run, "default", protocol="snippet")
    assert snippet["protocol"] == "snippet"
    assert (run / "default" / "metrics-snippet.json").exists()
    assert json.loads((run / "default" / "metrics.json").read_text())["protocol"] == "activitynet"


def _numbers(metrics: dict) -> dict:
    return {k: metrics[k] for k in ("protocol", "tiou", "map", "average", "averages", "per_class",
                                    "classification_map", "num_detections", "variant")}


def test_all_evaluations_in_one_process_equal_separate_ones(toy_setup):
    """One load of the run, inference once per variant: the same files and numbers as one call each."""
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_base", 3, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    wanted = [("default", None), ("strict", None), ("default", "snippet"), ("default", "th14")]
    together = evaluate_run_all(run, wanted)
    files = {(v, p): (run / v / ("metrics.json" if p is None else f"metrics-{p}.json")).read_text()
             for v, p in wanted}
    assert set(together) == set(wanted)
    for variant, protocol in wanted:
        alone = evaluate_run(run, variant, protocol=protocol)
        assert _numbers(alone) == _numbers(together[(variant, protocol)])
        on_disk = json.loads(files[(variant, protocol)])
        assert _numbers(on_disk) == _numbers(json.loads(json.dumps(alone)))
        assert set(on_disk) == set(json.loads(json.dumps(alone)))  # one schema for every metrics file
    assert together[("default", "th14")]["protocol"] == "th14"
    assert together[("default", "snippet")]["average_tious"] == together[("default", None)]["average_tious"]


def test_unknown_protocol_fails_before_inference(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_base", 4, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    with pytest.raises(ConfigError, match="snipet"):
        evaluate_run_all(run, [("default", None), ("default", "snipet")])
    assert not (run / "default" / "metrics.json").exists()


def test_evaluation_is_deterministic(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_base", 2, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    first = (evaluate_run(run, "default"), (run / "default" / "predictions.json").read_text())
    second = (evaluate_run(run, "default"), (run / "default" / "predictions.json").read_text())
    assert first[0]["map"] == second[0]["map"] and first[1] == second[1]


def test_unfinished_run_and_unknown_variant_are_errors(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    with pytest.raises(ConfigError, match="unknown variant 'nope'"):
        evaluate_run(run, "nope")
    ckpt = load_checkpoint(run / "model.pt")
    ckpt["step"] = 3
    torch.save(ckpt, run / "model.pt")
    with pytest.raises(DataError, match="run is not finished"):
        evaluate_run(run, "default")
    with pytest.raises(DataError, match="config.json: missing"):
        evaluate_run(tmp, "default")


def test_unknown_experiment_and_scale(toy_setup):
    tmp, data, catalog = toy_setup
    with pytest.raises(ConfigError, match="unknown experiment 'toy_bse' \\(did you mean 'toy_base'\\?\\)"):
        train_run("toy_bse", 0, data, "smoke", tmp / "r", "cpu", catalog=catalog)
    from toy_method import Toy

    with pytest.raises(ConfigError, match="unknown scale 'huge'"):
        resolve_config(Toy, "huge", {}, "x")


def test_data_variant_mismatch_is_refused(tmp_path):
    ds = toy_dataset()
    ds.meta["data_variant"] = "other"
    data = save_dataset(ds, tmp_path / "data")
    catalog = load_catalog(write_toy_catalog(tmp_path))
    with pytest.raises(ConfigError, match="needs data variant 'plain'"):
        train_run("toy_base", 0, data, "smoke", tmp_path / "r", "cpu", catalog=catalog)


def test_resolve_config_layers_scale_then_experiment():
    from toy_method import Toy

    config = resolve_config(Toy, "paper", {"hidden": 3, "train.steps": 7}, "x")
    assert config.hidden == 3 and config.train.steps == 7
    assert resolve_config(Toy, "paper", {}, "x").train.steps == 40


def test_classification_map_hand_computed():
    import numpy as np
    from types import SimpleNamespace

    videos = [SimpleNamespace(labels=(0,)), SimpleNamespace(labels=(1,)), SimpleNamespace(labels=(0,))]
    scores = np.array([[0.9, 0.1], [0.8, 0.7], [0.2, 0.3]])
    # class 0: ranking v0 (hit), v1, v2 (hit) -> AP = (1/1 + 2/3) / 2; class 1: v1 first -> AP = 1
    expected = 100 * ((1 + 2 / 3) / 2 + 1) / 2
    assert classification_map(scores, videos, 2) == pytest.approx(expected)


def test_periodic_evaluation_uses_the_evaluator_and_reaches_metrics(tmp_path):
    """`train.eval_every` scores on the test set during training; metrics.json keeps it labelled, apart."""
    catalog_text = __import__("toy_method").TOY_CATALOG.replace(
        "overrides: {hidden: 4}", 'overrides: {hidden: 4, "train.eval_every": 2}')
    catalog = load_catalog(write_toy_catalog(tmp_path, catalog_text))
    data = save_dataset(toy_dataset(), tmp_path / "data")
    run = tmp_path / "run"
    summary = train_run("toy_small", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    best = summary["best_on_test"]
    assert best["step"] in (2, 4, 6) and best["protocol"] == "activitynet" and "best-on-test" in best["label"]
    history = load_checkpoint(run / "model.pt")["eval_history"]
    assert [h["step"] for h in history] == [2, 4, 6]
    assert best["average"] == max(h["average"] for h in history)
    metrics = evaluate_run(run, "default")
    assert metrics["best_on_test"] == best
    if best["step"] == 6:  # the final model was the best: same number both ways
        assert metrics["average"] == pytest.approx(best["average"])


def test_changed_experiment_does_not_overwrite_config_json(toy_setup):
    tmp, data, catalog = toy_setup
    run = tmp / "run"
    train_run("toy_small", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    before = (run / "config.json").read_text()
    with pytest.raises(ConfigError, match="different config"):
        train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    assert (run / "config.json").read_text() == before


def test_model_from_checkpoint_restores_weights_and_rejects_a_misfit(tmp_path):
    """The one checkpoint-to-model loader (evaluation and the qualitative figures use it)."""
    from toy_method import Toy, ToyConfig

    from wstal.methods.base import config_to_dict
    from wstal.run import model_from_checkpoint

    dataset = toy_dataset()
    trained = Toy(ToyConfig(), dataset).build_model()
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(1.0)
    ckpt = {"method": "toy", "config": config_to_dict(ToyConfig()), "model": trained.state_dict()}
    method, model = model_from_checkpoint(ckpt, dataset, tmp_path / "model.pt")
    assert isinstance(method, Toy) and method.config == ToyConfig()
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, trained.state_dict()[name])
    wider = dict(ckpt, config=config_to_dict(ToyConfig(hidden=ToyConfig().hidden + 3)))
    with pytest.raises(DataError, match="model.pt: weights do not fit the model"):
        model_from_checkpoint(wider, dataset, tmp_path / "model.pt")
