"""What every result records about where it came from."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import torch


def git_commit(repo: Path | None = None) -> str:
    """The checkout's commit (with `-dirty` when the tree has changes), or `unknown`."""
    cwd = repo or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def provenance(device: torch.device, seed: int | None = None) -> dict:
    """Seed, commit, library versions and device: stored with every result."""
    import numpy

    return {
        "seed": seed,
        "git_commit": git_commit(),
        "torch_version": torch.__version__,
        "numpy_version": numpy.__version__,
        "python_version": platform.python_version(),
        "device": str(device),
        "device_name": device_name(device),
    }
