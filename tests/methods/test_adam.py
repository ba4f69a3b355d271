"""Our Adam against torch.optim.Adam: bit-identical weights on the CPU, interchangeable state."""

from __future__ import annotations

import pytest
import torch

from wstal.methods.adam import Adam


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))


def _train(model: torch.nn.Module, opt, steps: range, decay_at: int | None = None) -> None:
    for step in steps:
        gen = torch.Generator().manual_seed(100 + step)
        x = torch.randn(9, 7, generator=gen)
        opt.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        if decay_at is not None and step == decay_at:
            for group in opt.param_groups:
                group["lr"] = group["lr"] * 0.1
        opt.step()


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("weight_decay", [0.0, 5e-4])
def test_bit_identical_to_torch_adam(weight_decay: float) -> None:
    ours, theirs = _model(), _model()
    _train(ours, Adam(ours.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=weight_decay),
           range(60), decay_at=30)
    _train(theirs, torch.optim.Adam(theirs.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=weight_decay,
                                    foreach=False), range(60), decay_at=30)
    assert _same(ours, theirs)
    assert not _same(ours, _model())  # it trained


def test_state_dict_resumes_with_either_optimizer() -> None:
    straight = _model()
    _train(straight, torch.optim.Adam(straight.parameters(), lr=3e-3, foreach=False), range(40))
    first = _model()
    opt = Adam(first.parameters(), lr=3e-3)
    _train(first, opt, range(20))
    resumed = _model()
    resumed.load_state_dict(first.state_dict())
    theirs = torch.optim.Adam(resumed.parameters(), lr=3e-3, foreach=False)
    theirs.load_state_dict(opt.state_dict())  # ours -> torch.optim
    _train(resumed, theirs, range(20, 30))
    back = _model()
    back.load_state_dict(resumed.state_dict())
    ours = Adam(back.parameters(), lr=3e-3)
    ours.load_state_dict(theirs.state_dict())  # torch.optim -> ours
    _train(back, ours, range(30, 40))
    assert _same(back, straight)


def test_parameters_without_gradient_are_left_alone() -> None:
    model = _model()
    frozen = model[2].weight.detach().clone()
    model[2].weight.requires_grad_(False)
    opt = Adam([p for p in model.parameters()], lr=1e-2)
    _train(model, opt, range(3))
    assert torch.equal(model[2].weight, frozen)
    assert model[2].weight not in opt.state


def test_a_foreign_state_is_refused_in_one_line() -> None:
    opt = Adam(_model().parameters())
    other = torch.nn.Linear(2, 2)
    foreign = Adam(other.parameters())
    other(torch.ones(1, 2)).sum().backward()
    foreign.step()
    with pytest.raises(ValueError, match="parameter groups do not match"):
        opt.load_state_dict(foreign.state_dict())


def test_bad_hyperparameters_are_refused() -> None:
    with pytest.raises(ValueError, match="betas"):
        Adam(_model().parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="no parameters"):
        Adam([])
