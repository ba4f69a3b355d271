"""Adam, as both papers' released code trains with it, without torch.optim's import cost.

Why our own: the first use of any `torch.optim` optimizer imports `torch._dynamo` (about 1.1 s
of CPU per process, and a wrapper around every `step`/`zero_grad` call), which on the
synthetic default was a sixth of each training job. The update below is the same sequence
of tensor operations as torch.optim.Adam's single-tensor path (its default on the CPU;
L2 weight decay added to the gradient, bias-corrected moments, eps added after the square
root), so on the CPU the trained weights are bit-identical to torch.optim.Adam's
(`tests/methods/test_adam.py`). On CUDA torch.optim would pick its multi-tensor path, whose
rounding can differ in the last bits; the maths is the same. `state_dict()` has
torch.optim's layout, so checkpoints written with either optimizer resume with either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class Adam:
    """Adam (Kingma & Ba) over one parameter group; the interface the training loop uses."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        params = list(params)
        if not params:
            raise ValueError("Adam: the model has no parameters to optimise")
        if not 0.0 <= lr or not 0.0 <= eps or not 0.0 <= weight_decay:
            raise ValueError(f"Adam: lr {lr}, eps {eps} and weight_decay {weight_decay} must be >= 0")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam: betas {tuple(betas)} must lie in [0, 1)")
        self.param_groups: list[dict[str, Any]] = [{
            "params": params, "lr": float(lr), "betas": (float(betas[0]), float(betas[1])),
            "eps": float(eps), "weight_decay": float(weight_decay),
        }]
        self.state: dict[torch.nn.Parameter, dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": torch.tensor(0.0, dtype=torch.float32),  # kept on the CPU, as torch.optim does
                        "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                        "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
                    }
                grad = p.grad
                state["step"] += 1
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                step = state["step"].item()
                step_size = lr / (1 - beta1**step)
                denom = (state["exp_avg_sq"].sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
                p.addcdiv_(state["exp_avg"], denom, value=-step_size)

    def state_dict(self) -> dict[str, Any]:
        """torch.optim's layout: per-parameter state keyed by the parameter's index."""
        index = {p: i for i, p in enumerate(self.param_groups[0]["params"])}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[p] for p in g["params"]]}
                  for g in self.param_groups]
        state = {index[p]: {k: v.clone() for k, v in s.items()} for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        groups = saved.get("param_groups", [])
        params = self.param_groups[0]["params"]
        if len(groups) != 1 or len(groups[0].get("params", [])) != len(params):
            raise ValueError("optimizer state: its parameter groups do not match this model's")
        for key in ("lr", "betas", "eps", "weight_decay"):
            if key in groups[0]:
                value = groups[0][key]
                self.param_groups[0][key] = tuple(float(v) for v in value) if key == "betas" else float(value)
        self.state = {}
        for i, p in enumerate(params):
            s = saved.get("state", {}).get(i)
            if s is None:
                continue
            if s["exp_avg"].shape != p.shape:
                raise ValueError(f"optimizer state: parameter {i} has shape {tuple(s['exp_avg'].shape)}, "
                                 f"the model's is {tuple(p.shape)}")
            self.state[p] = {
                "step": torch.as_tensor(s["step"], dtype=torch.float32).reshape(()).clone(),
                "exp_avg": s["exp_avg"].to(device=p.device, dtype=p.dtype).clone(),
                "exp_avg_sq": s["exp_avg_sq"].to(device=p.device, dtype=p.dtype).clone(),
            }
