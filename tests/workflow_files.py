"""The workflow files a test copies into a fresh folder (results, tables, figures land there, not in the checkout)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ("Snakefile", "rules", "config", "profiles", "environment.yml")


def workflow_copy(root: Path, extra: tuple[str, ...] = ()) -> Path:
    """`root/work` holding the workflow files (plus `extra` repository paths, e.g. the `wstal` package)."""
    work = root / "work"
    work.mkdir()
    for name in WORKFLOW_FILES + extra:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, work / name)
    return work
