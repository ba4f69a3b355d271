"""RSKP embedding initialisation: the released xavier-uniform with zero bias, or PyTorch's default."""

from __future__ import annotations

import math

import pytest
import torch

from wstal.errors import ConfigError
from wstal.methods.base import apply_overrides
from wstal.methods.rskp import RSKPConfig, RSKPModel


def embedding(init: str | None, seed: int = 0) -> torch.nn.Linear:
    overrides = {"embed_dim": 64} if init is None else {"embed_dim": 64, "embedding_init": init}
    cfg = apply_overrides(RSKPConfig(), overrides, "test").check()
    torch.manual_seed(seed)
    return RSKPModel(cfg, input_dim=64, num_classes=3, train_video_classes=[(0,), (1,), (2,)]).embedding[0]


def test_released_default_is_xavier_uniform_with_zero_bias():
    layer = embedding(None)
    xavier_bound = math.sqrt(6 / (64 + 64))  # 0.2165
    default_bound = 1 / math.sqrt(64)  # 0.125, PyTorch's kaiming_uniform(a=sqrt(5)) for a Linear
    assert torch.count_nonzero(layer.bias) == 0
    largest = float(layer.weight.detach().abs().max())
    assert default_bound < largest <= xavier_bound  # 4096 draws: reaching past 0.125 is certain in practice
    # xavier's variance 2 / (fan_in + fan_out) = 1/64, PyTorch's 1 / (3 fan_in) = 1/192
    assert float(layer.weight.detach().var()) == pytest.approx(1 / 64, rel=0.1)


def test_pytorch_default_is_kept_as_an_option():
    layer = embedding("default")
    assert torch.count_nonzero(layer.bias) > 0
    assert float(layer.weight.detach().abs().max()) <= 1 / math.sqrt(64)
    assert float(layer.weight.detach().var()) == pytest.approx(1 / 192, rel=0.1)


def test_initialisation_is_deterministic_per_seed():
    assert torch.equal(embedding(None, seed=3).weight, embedding(None, seed=3).weight)
    assert not torch.equal(embedding(None, seed=3).weight, embedding(None, seed=4).weight)


def test_unknown_init_is_a_config_error():
    with pytest.raises(ConfigError, match="embedding_init"):
        apply_overrides(RSKPConfig(), {"embedding_init": "orthogonal"}, "test").check()
