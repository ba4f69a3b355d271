"""The whole smoke DAG in a temporary work dir, then its numbers against tests/golden/smoke.json.

Also the robustness contract (issues 5 and 6): the DAG is SIGKILLed mid-way and run again; no
finished training is redone, the numbers equal the golden file (made from an uninterrupted run),
and a third run has nothing to do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_files import workflow_copy

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "smoke.json"


def snakemake(work: Path, *args: str, timeout: int = 2400) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--config", "scale=smoke", *args]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout, env=env)


def start_snakemake(work: Path, log: Path) -> subprocess.Popen:
    """The smoke DAG in its own process group, so that a kill takes every job with it."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--config", "scale=smoke"]
    return subprocess.Popen(cmd, cwd=work, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def finished_trainings(work: Path) -> dict[Path, bytes]:
    """train_summary.json of every finished run with its content.

    The content, not the mtime: Snakemake touches a job's outputs when it registers the job, and
    a summary records the training's own wall time, so a redone training always differs.
    """
    return {p: p.read_bytes() for p in (work / "results").glob("synthetic/smoke/*/seed*/train_summary.json")}


# A job whose output appeared an instant before the kill may not be registered as finished by
# Snakemake yet (its scheduler handles finished jobs in turn, seconds later on a loaded machine); it
# counts as incomplete and re-runs, as Snakemake intends. Trainings that had
# finished this long before the kill are settled and must never be redone.
SETTLE_SECONDS = 10.0


def kill_after(proc: subprocess.Popen, work: Path, trainings: int, timeout: float = 600) -> dict[Path, bytes]:
    """SIGKILL the whole workflow once `trainings` runs have finished (a hard stop mid-DAG).

    Returns the trainings that were settled (finished SETTLE_SECONDS before the kill).
    """
    deadline = time.monotonic() + timeout
    while len(finished_trainings(work)) < trainings:
        assert proc.poll() is None, "the workflow ended before it could be killed"
        assert time.monotonic() < deadline, "the workflow made no progress"
        time.sleep(0.2)
    settled = finished_trainings(work)
    time.sleep(SETTLE_SECONDS)
    assert proc.poll() is None, "the workflow ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return settled


@pytest.mark.slow
def test_smoke_dag_killed_midway_then_rerun_matches_golden(tmp_path):
    """Kill the smoke DAG mid-way, run it again: finished runs are kept, the numbers match the golden file."""
    work = workflow_copy(tmp_path)
    proc = start_snakemake(work, tmp_path / "first.log")
    before = kill_after(proc, work, trainings=8)
    assert before, "no training finished before the kill"

    unlock = snakemake(work, "--unlock")  # a killed Snakemake leaves its lock behind
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    done = snakemake(work)
    assert done.returncode == 0, done.stderr[-4000:]
    after = finished_trainings(work)
    redone = [str(p.relative_to(work)) for p, content in before.items() if after.get(p) != content]
    assert not redone, f"finished trainings were redone after the kill: {redone}"
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
    plan = snakemake(work, "-n", "--quiet", "host", "--", "tables/table3.tex")  # the profile hides rule blocks
    assert plan.returncode == 0, plan.stderr[-3000:]
    text = plan.stdout + plan.stderr
    assert "rule table:" in text and "rule train:" in text
    assert "experiment=cmcs_full" in text and "experiment=rskp" not in text  # only the CMCS Full runs
    full = snakemake(work, "-n", "--quiet", "host")
    assert full.returncode == 0 and "rule macs:" in full.stdout + full.stderr


def test_invalid_config_fails_with_a_clear_message(tmp_path):
    work = workflow_copy(tmp_path)
    bad = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--config", "scale=huge"], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "'huge' is not one of" in bad.stdout + bad.stderr
    # real data without any feature source: tests/test_real_data_dag.py
