"""Seeding and device selection.

Every random draw of a run is derived from (seed, step): the loop re-seeds torch and
builds a NumPy generator for each optimisation step. A run resumed from a checkpoint
therefore draws exactly what the uninterrupted run drew, without saving RNG states.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from wstal.errors import ConfigError


MAX_SEED = 2**32 - 1  # NumPy's legacy seeding takes 32 bits; larger seeds would silently alias


def check_seed(seed: int, what: str = "--seed") -> int:
    """A seed in 0..2**32-1, or a ConfigError naming `what`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{what} {seed!r}: must be an integer from 0 to {MAX_SEED}")
    return seed


def seed_everything(seed: int, deterministic: bool = True, device: torch.device | None = None) -> None:
    """Seed Python, NumPy and torch; make CUDA kernels deterministic unless told not to.

    The non-deterministic kernels `use_deterministic_algorithms` guards against are CUDA's
    (atomics in scatter/index_add, cuBLAS workspaces); our CPU ops are deterministic already.
    The switch is set only for CUDA because importing it pulls in torch's compiler stack
    (~2.5 s per process), which would dominate every short job of the workflow.
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic and device is not None and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A 63-bit seed for one step of one run (distinct streams for distinct uses)."""
    mixed = np.random.SeedSequence([seed, step, stream]).generate_state(2, dtype=np.uint32)
    return int((int(mixed[0]) << 31) ^ int(mixed[1])) & ((1 << 63) - 1)


def seed_torch(seed: int, device: torch.device) -> None:
    """Re-seed torch's generator for `device` (what `torch.manual_seed` does, for one device).

    `torch.manual_seed` also queues a CUDA seeding when CUDA is not initialised, recording a
    Python stack trace each time: 0.75 ms per call, 0.9 s per CPU training re-seeded per step.
    The CPU stream is the same either way.
    """
    torch.default_generator.manual_seed(seed)
    if device.type == "cuda":
        torch.cuda.manual_seed_all(seed)


def step_rng(seed: int, step: int, stream: int = 0) -> np.random.Generator:
    """The NumPy generator for one step of one run."""
    return np.random.default_rng([seed, step, stream])


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else the CPU; an unavailable device is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} requested but CUDA is not available (use device=auto or cpu)")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {name!r}: {exc}") from None
