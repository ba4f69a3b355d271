"""The shared training loop: determinism, gradient accumulation, resume, divergence guard."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from toy_method import Toy, ToyConfig, toy_dataset
from wstal.errors import ConfigError, DataError, TrainingDiverged
from wstal.methods.base import StepContext, apply_overrides, config_to_dict
from wstal.train import EpochOrder, load_checkpoint, train
from wstal.utils.seeding import seed_everything, step_rng, step_seed


def config(**overrides) -> ToyConfig:
    return apply_overrides(ToyConfig(), overrides, "test")


def state(path) -> dict:
    return load_checkpoint(path / "model.pt")["model"]


def assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_same_seed_gives_identical_weights_and_losses(tmp_path):
    ds = toy_dataset()
    train("toy", config(), ds, tmp_path / "a", seed=3, device="cpu", progress="none")
    train("toy", config(), ds, tmp_path / "b", seed=3, device="cpu", progress="none")
    assert_same_state(state(tmp_path / "a"), state(tmp_path / "b"))
    assert (tmp_path / "a" / "train_log.jsonl").read_text() == (tmp_path / "b" / "train_log.jsonl").read_text()


def test_different_seeds_differ(tmp_path):
    ds = toy_dataset()
    train("toy", config(), ds, tmp_path / "a", seed=1, device="cpu", progress="none")
    train("toy", config(), ds, tmp_path / "b", seed=2, device="cpu", progress="none")
    assert not torch.equal(state(tmp_path / "a")["embed.weight"], state(tmp_path / "b")["embed.weight"])


def test_epoch_order_visits_every_item_once_per_epoch_and_continues_across_epochs():
    order = EpochOrder(7, seed=5)
    drawn = [order(g) for g in range(21)]
    for epoch in range(3):
        items = [i for e, i in drawn if e == epoch]
        assert sorted(items) == list(range(7))
    assert [i for _, i in drawn[:7]] != [i for _, i in drawn[7:14]]  # reshuffled per epoch
    assert EpochOrder(7, seed=5)(16) == drawn[16]  # a pure function of (seed, g): resumable


def test_gradient_accumulation_equals_one_summed_batch(tmp_path):
    """One SGD step over 4 accumulated videos = the step on their summed loss computed at once."""
    ds = toy_dataset()
    cfg = config(optimizer="sgd", dropout=0.0, **{"train.steps": 1, "train.batch_videos": 4, "train.lr": 0.5})
    seed = 11
    train("toy", cfg, ds, tmp_path / "run", seed=seed, device="cpu", progress="none")

    seed_everything(seed)
    method = Toy(cfg, ds)
    model = method.build_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    items = method.train_items()
    chosen = step_rng(seed, 0, stream=1).permutation(len(items))[:4]
    torch.manual_seed(step_seed(seed, 0))
    ctx = StepContext(step=0, epoch=0, rng=step_rng(seed, 0), device=torch.device("cpu"))
    total = sum(method.loss(model, items[i], ctx)["total"] for i in chosen)
    total.backward()
    trained = state(tmp_path / "run")
    for name, param in model.named_parameters():
        expected = before[name] - 0.5 * param.grad
        assert torch.allclose(trained[name], expected, atol=1e-6), name
    assert not torch.allclose(trained["embed.weight"], before["embed.weight"])


def test_resume_equals_uninterrupted(tmp_path):
    ds = toy_dataset()
    full = config()
    train("toy", full, ds, tmp_path / "full", seed=4, device="cpu", progress="none")
    # An interrupted run: its step-6 checkpoint (same run, so same config and total steps), then resume.
    partial_run = tmp_path / "partial"
    train("toy", config(**{"train.steps": 6}), ds, partial_run, seed=4, device="cpu", progress="none")
    partial = load_checkpoint(partial_run / "model.pt")
    partial["config"] = config_to_dict(full)
    partial["total_steps"] = 12
    torch.save(partial, partial_run / "model.pt")
    (partial_run / "train_summary.json").unlink()
    summary = train("toy", full, ds, partial_run, seed=4, device="cpu", progress="none")
    assert summary["resumed_from_step"] == 6
    assert_same_state(state(tmp_path / "full"), state(partial_run))
    log = [json.loads(line) for line in (partial_run / "train_log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == list(range(12))
    assert log == [json.loads(line) for line in (tmp_path / "full" / "train_log.jsonl").read_text().splitlines()]


def test_finished_run_is_not_retrained(tmp_path):
    ds = toy_dataset()
    first = train("toy", config(), ds, tmp_path, seed=0, device="cpu", progress="none")
    mtime = (tmp_path / "model.pt").stat().st_mtime_ns
    again = train("toy", config(), ds, tmp_path, seed=0, device="cpu", progress="none")
    assert (tmp_path / "model.pt").stat().st_mtime_ns == mtime
    assert again == json.loads((tmp_path / "train_summary.json").read_text())
    assert again["timing"] == first["timing"]


def test_checkpoint_loads_with_weights_only_and_holds_plain_types(tmp_path):
    train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    assert ckpt["method"] == "toy" and ckpt["step"] == 12 == ckpt["total_steps"]
    assert ckpt["config"]["train"]["batch_videos"] == 3
    assert float(ckpt["model"]["seen"]) == 12  # buffers (memory banks) travel in the state dict
    assert "state" in ckpt["optimizer"]


def test_summary_records_timing(tmp_path):
    summary = train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    timing = summary["timing"]
    assert timing["train_wall_s"] > 0 and timing["iterations_per_s"] > 0
    assert timing["peak_memory_mb"] > 10  # a Python process with torch loaded
    assert timing["process_cpu_s"] > 0.1  # the whole process so far, torch's import included
    assert summary["steps"] == 12 and summary["device"] == "cpu"
    assert set(summary["final_losses"]) == {"total", "cls", "reg"}


def test_mismatched_config_is_refused_not_overwritten(tmp_path):
    ds = toy_dataset()
    train("toy", config(), ds, tmp_path, seed=0, device="cpu", progress="none")
    with pytest.raises(ConfigError, match=r"different config \(hidden\)"):
        train("toy", config(hidden=4), ds, tmp_path, seed=0, device="cpu", progress="none")
    retrained = train("toy", config(hidden=4), ds, tmp_path, seed=0, device="cpu", resume=False,
                      progress="none")
    assert retrained["resumed_from_step"] == 0


def test_corrupt_checkpoint_is_a_one_line_error(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="model.pt: not a loadable wstal checkpoint") as err:
        train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    assert "\n" not in str(err.value)


def test_a_foreign_optimizer_state_is_a_one_line_error(tmp_path):
    train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    ckpt["step"] = 6  # an interrupted run, so the next call resumes
    ckpt["optimizer"]["param_groups"] = []
    torch.save(ckpt, tmp_path / "model.pt")
    with pytest.raises(DataError, match="model.pt: its optimizer state does not fit this run") as err:
        train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    assert "\n" not in str(err.value)


def test_divergence_guard_names_step_and_experiment_and_keeps_last_good_checkpoint(tmp_path):
    cfg = config(nan_at_step=7)  # checkpoints every 2 steps: the last good one is step 6
    with pytest.raises(TrainingDiverged, match=r"experiment 'toy_nan'.*at step 7") as err:
        train("toy", cfg, toy_dataset(), tmp_path, seed=0, device="cpu", progress="none",
              experiment="toy_nan")
    assert "\n" not in str(err.value)
    ckpt = load_checkpoint(tmp_path / "model.pt")
    assert ckpt["step"] == 6
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values())
    assert not (tmp_path / "train_summary.json").exists()  # no result from a diverged run
    assert not list(tmp_path.glob(".tmp-*"))


def test_periodic_evaluation_is_labelled_best_on_test(tmp_path):
    calls = []

    def fake_eval(method, model, device):
        calls.append(int(model.seen))
        return {"average": float(len(calls) % 2), "tiou": [0.5], "map": [1.0], "protocol": "activitynet"}

    cfg = config(**{"train.eval_every": 4})
    summary = train("toy", cfg, toy_dataset(), tmp_path, seed=0, device="cpu", progress="none",
                    periodic_eval=fake_eval)
    assert calls == [4, 8, 12]
    best = summary["best_on_test"]
    assert best["step"] == 4 and best["average"] == 1.0 and "not the primary result" in best["label"]
    assert load_checkpoint(tmp_path / "model.pt")["best_on_test"] == best


def test_log_progress_lines_when_not_a_terminal(tmp_path, capsys):
    train("toy", config(), toy_dataset(), tmp_path, seed=0, device="cpu", progress="log", experiment="toyexp")
    err = capsys.readouterr().err
    assert "[toyexp] step 12/12 loss" in err


def test_invalid_steps_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="train.steps"):
        train("toy", config(**{"train.steps": 0}), toy_dataset(), tmp_path, seed=0, device="cpu")


def test_config_is_dataclass_copy_not_mutated(tmp_path):
    cfg = config()
    snapshot = dataclasses.asdict(cfg)
    train("toy", cfg, toy_dataset(), tmp_path, seed=0, device="cpu", progress="none")
    assert dataclasses.asdict(cfg) == snapshot


def test_time_based_checkpoints_without_checkpoint_every(tmp_path, monkeypatch):
    """checkpoint_every=0 still checkpoints on wall time, and the timing does not change the result."""
    import wstal.train as loop

    saved_steps = []
    real = loop._save_checkpoint
    monkeypatch.setattr(loop, "_save_checkpoint", lambda path, st: (saved_steps.append(st["step"]), real(path, st)))
    cfg = config(**{"train.checkpoint_every": 0})
    train("toy", cfg, toy_dataset(), tmp_path / "often", seed=2, device="cpu", progress="none",
          checkpoint_seconds=0.0)
    assert saved_steps == list(range(1, 13))
    saved_steps.clear()
    train("toy", cfg, toy_dataset(), tmp_path / "end", seed=2, device="cpu", progress="none")
    assert saved_steps == [12]
    assert_same_state(state(tmp_path / "often"), state(tmp_path / "end"))
