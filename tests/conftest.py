"""Shared fixtures: paths to the real annotation files (skipped when ../shared is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("WSTAL_SHARED_DATA", REPO.parent / "shared" / "data"))

# One torch thread per test process: the machine has 2 cores and results must not depend on threading.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` (real THUMOS'14 / ActivityNet annotations); skip when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real annotation files not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def thumos_reduced(shared_data: Path) -> Path:
    path = shared_data / "thumos14" / "Thumos14reduced-Annotations"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="session")
def anet12_annotations(shared_data: Path) -> Path:
    path = shared_data / "activitynet" / "ActivityNet1.2-Annotations"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path
