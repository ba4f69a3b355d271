"""Step learning-rate decay of the training loop (the released CMCS ActivityNet configs use one ×0.1 step)."""

from __future__ import annotations

import pytest
import torch

from toy_method import Toy, ToyConfig, toy_dataset
from wstal.errors import ConfigError
from wstal.methods.base import TrainConfig, apply_overrides
from wstal.train import lr_factor, train


def config(**overrides) -> ToyConfig:
    return apply_overrides(ToyConfig(), overrides, "test")


def record_rates(monkeypatch) -> list[float]:
    """Make the toy method's SGD log the rate of every update."""
    rates: list[float] = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):
            rates.append(self.param_groups[0]["lr"])
            return super().step(closure)

    monkeypatch.setattr(Toy, "build_optimizer",
                        lambda self, model: Recording(model.parameters(), lr=self.config.train.lr))
    return rates


def test_rates_drop_by_the_factor_from_each_decay_step_on(tmp_path, monkeypatch):
    rates = record_rates(monkeypatch)
    cfg = config(**{"train.steps": 5, "train.lr": 0.5, "train.lr_decay_steps": [1, 3], "train.checkpoint_every": 0})
    train("toy", cfg, toy_dataset(), tmp_path / "run", seed=0, device="cpu", progress="none")
    assert rates == pytest.approx([0.5, 0.05, 0.05, 0.005, 0.005])


def test_no_decay_by_default_keeps_the_rate(tmp_path, monkeypatch):
    rates = record_rates(monkeypatch)
    assert TrainConfig().lr_decay_steps == ()
    cfg = config(**{"train.steps": 3, "train.lr": 0.5, "train.checkpoint_every": 0})
    train("toy", cfg, toy_dataset(), tmp_path / "run", seed=0, device="cpu", progress="none")
    assert rates == [0.5, 0.5, 0.5]


def test_released_anet_milestone():
    # anet12-local-UNT: checkpoint 30000, max_step_num 30005, decay at floor(30005 / 2) = 15002
    cfg = TrainConfig(steps=30000, lr=5e-4, lr_decay_steps=(30005 // 2,))
    assert (lr_factor(cfg, 15001), lr_factor(cfg, 15002), lr_factor(cfg, 29999)) == (1.0, pytest.approx(0.1),
                                                                                     pytest.approx(0.1))


@pytest.mark.parametrize("overrides, message", [
    ({"train.lr_decay_steps": [-1]}, "lr_decay_steps"),
    ({"train.lr_decay_steps": [2.5]}, "lr_decay_steps"),
    ({"train.lr_decay_steps": [1], "train.lr_decay_factor": 0.0}, "lr_decay_factor"),
])
def test_bad_decay_settings_are_config_errors(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train("toy", config(**overrides), toy_dataset(), tmp_path / "run", seed=0, device="cpu", progress="none")
