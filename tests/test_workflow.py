"""The whole smoke DAG in a temporary work dir, then its numbers against tests/golden/smoke.json.

Also the robustness contract: a second run has nothing to do (no finished job is redone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "smoke.json"
COPIED = ("Snakefile", "rules", "config", "profiles")


def workflow_copy(tmp: Path) -> Path:
    """Workflow files in a fresh folder (results, tables, figures land there, not in the checkout)."""
    work = tmp / "work"
    work.mkdir()
    for name in COPIED:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    return work


def snakemake(work: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--config", "scale=smoke", *args]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_smoke_dag_matches_golden(tmp_path):
    work = workflow_copy(tmp_path)
    # the catalog's path is fixed inside the package (config/catalog.yaml of the checkout)
    done = snakemake(work)
    assert done.returncode == 0, done.stderr[-4000:]
    for name in ("tables/table1.tex", "tables/table7.tex", "tables/summary.md", "figures/figure5.png"):
        assert (work / name).is_file(), name
    again = snakemake(work, "-n")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
    if not GOLDEN.is_file():
        pytest.skip(f"{GOLDEN} not generated yet: run the smoke DAG, then `wstal golden --update`")
    check = subprocess.run([sys.executable, "-m", "wstal.cli", "golden", "--results", str(work / "results")],
                           cwd=work, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_dry_run_plans_one_artifact_and_only_what_it_needs(tmp_path):
    work = workflow_copy(tmp_path)
    plan = snakemake(work, "-n", "tables/table3.tex")
    assert plan.returncode == 0, plan.stderr[-3000:]
    text = plan.stdout + plan.stderr
    assert "rule table:" in text and "rule train:" in text
    assert "experiment=cmcs_full" in text and "experiment=rskp" not in text  # only the CMCS Full runs
    full = snakemake(work, "-n")
    assert full.returncode == 0 and "rule macs:" in full.stdout + full.stderr


def test_invalid_config_fails_with_a_clear_message(tmp_path):
    work = workflow_copy(tmp_path)
    bad = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--config", "scale=huge"], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "'huge' is not one of" in bad.stdout + bad.stderr
    real = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--config", "dataset=thumos14"], cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert real.returncode != 0 and "needs features.thumos14=PATH" in real.stdout + real.stderr
