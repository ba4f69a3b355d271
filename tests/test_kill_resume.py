"""Hard stops lose nothing: SIGKILL a real `wstal train` process, restart it, get the same result.

The toy method is registered in the subprocess through `--method-module toy_method`
(tests/ on PYTHONPATH), and trains from a toy catalog with a checkpoint every step
and a short sleep per step, so that the kill lands mid-run at a random checkpoint.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import wstal.train
from toy_method import toy_dataset, write_toy_catalog
from wstal.catalog import load_catalog
from wstal.data.io import save_dataset
from wstal.errors import DataError
from wstal.run import train_run
from wstal.run_evaluation import evaluate_run
from wstal.train import load_checkpoint

TESTS = Path(__file__).resolve().parent
RESULT_KEYS = ("tiou", "map", "average", "averages", "per_class", "classification_map", "num_detections")


def _train_command(data: Path, run: Path, catalog: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "wstal.cli", "train", "--experiment", "toy_slow", "--seed", str(seed),
            "--dataset", "synthetic", "--scale", "default", "--data", str(data), "--out", str(run),
            "--catalog", str(catalog), "--method-module", "toy_method", "--device", "cpu", "--threads", "1",
            "--progress", "log"]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _checkpoint_step(path: Path) -> int:
    try:
        return int(load_checkpoint(path)["step"])
    except DataError:
        return -1


@pytest.fixture()
def setup(tmp_path):
    data = save_dataset(toy_dataset(), tmp_path / "data")
    catalog_path = write_toy_catalog(tmp_path)
    return tmp_path, data, catalog_path


def _reference(tmp: Path, data: Path, catalog_path: Path, seed: int) -> tuple[dict, dict]:
    ref = tmp / "reference"
    train_run("toy_slow", seed, data, "default", ref, "cpu", catalog=load_catalog(catalog_path), progress="none")
    return evaluate_run(ref, "default"), load_checkpoint(ref / "model.pt")["model"]


@pytest.mark.slow
def test_sigkill_at_a_random_checkpoint_then_restart_gives_the_same_metrics(setup):
    tmp, data, catalog_path = setup
    seed = 5
    kill_after = random.Random().randint(2, 11)  # of 16 steps; printed on failure
    run = tmp / "killed"
    proc = subprocess.Popen(_train_command(data, run, catalog_path, seed), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        while _checkpoint_step(run / "model.pt") < kill_after:
            assert proc.poll() is None, f"trainer exited early: {proc.communicate()[1].decode()[-2000:]}"
            assert time.monotonic() < deadline, "no checkpoint within 180 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stopped_at = _checkpoint_step(run / "model.pt")
    assert kill_after <= stopped_at < 16, (kill_after, stopped_at)
    assert not (run / "train_summary.json").exists()  # a killed run leaves no result
    with pytest.raises(DataError, match="run is not finished"):
        evaluate_run(run, "default")  # nor can its checkpoint be taken for one

    done = subprocess.run(_train_command(data, run, catalog_path, seed), env=_env(), capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    summary = load_checkpoint(run / "model.pt")
    assert summary["step"] == 16
    resumed_from = json.loads((run / "train_summary.json").read_text())["resumed_from_step"]
    assert resumed_from == stopped_at, (kill_after, stopped_at, resumed_from)

    metrics = evaluate_run(run, "default")
    expected, expected_state = _reference(tmp, data, catalog_path, seed)
    for key in RESULT_KEYS:
        assert metrics[key] == expected[key], (key, kill_after, stopped_at)
    for name, tensor in expected_state.items():
        assert torch.equal(summary["model"][name], tensor), (name, kill_after)
    log = (run / "train_log.jsonl").read_text().splitlines()
    assert len(log) == 16 and log == (tmp / "reference" / "train_log.jsonl").read_text().splitlines()


def test_interrupted_checkpoint_write_keeps_the_previous_checkpoint(setup, monkeypatch):
    """A stop in the middle of writing model.pt leaves the previous checkpoint, whole."""
    tmp, data, catalog_path = setup
    catalog = load_catalog(catalog_path)
    run = tmp / "run"
    real_save = torch.save
    calls = {"n": 0}

    def save_then_die(obj, handle, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the step-4 checkpoint: write half of it, then "lose power"
            handle.write(b"PK\x03\x04 half a zip")
            raise KeyboardInterrupt
        return real_save(obj, handle, *args, **kwargs)

    monkeypatch.setattr(wstal.train.torch, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_run("toy_slow", 5, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    monkeypatch.setattr(wstal.train.torch, "save", real_save)
    assert load_checkpoint(run / "model.pt")["step"] == 3
    assert not list(run.glob(".tmp-*"))
    assert not (run / "train_summary.json").exists()
    train_run("toy_slow", 5, data, "smoke", run, "cpu", catalog=catalog, progress="none")
    other = tmp / "other"
    train_run("toy_slow", 5, data, "smoke", other, "cpu", catalog=catalog, progress="none")
    a, b = load_checkpoint(run / "model.pt")["model"], load_checkpoint(other / "model.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
