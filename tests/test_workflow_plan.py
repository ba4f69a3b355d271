"""What a dry run plans after an edit: only the jobs whose code changed what it does (issue 13).

The workflow is copied with its own `wstal/` package (PYTHONPATH points at the copy, so the
test can edit code). Every output of the smoke DAG is created empty and registered with
`snakemake --touch --forceall`, which records each job's params (code digests included) in
.snakemake/metadata as a real run does; then `snakemake -n` shows what an edit re-runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from workflow_files import workflow_copy

REPO = Path(__file__).resolve().parents[1]


def snakemake(work: Path, *args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(work)}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--config", "scale=smoke", *args]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def job_counts(text: str) -> dict[str, int]:
    """{rule: number of jobs} of a `snakemake -n` output (empty: nothing to do)."""
    if "Nothing to be done" in text:
        return {}
    stats = text[text.index("Job stats:"):]
    counts = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", stats, flags=re.M)}
    return {rule: n for rule, n in counts.items() if rule not in ("total", "all")}


def planned(work: Path, *args: str) -> dict[str, int]:
    return job_counts(snakemake(work, "-n", *args))


def experiments_of(text: str, rule: str) -> set[str]:
    """Experiment wildcards of the planned jobs of `rule`."""
    return set(re.findall(rf"rule {rule}:\n(?:    .*\n)*?    wildcards: experiment=([^,\s]+)", text))


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A workflow copy whose smoke DAG looks finished (every output present, metadata recorded)."""
    work = workflow_copy(tmp_path_factory.mktemp("plan"), extra=("wstal",))
    summary = snakemake(work, "-n", "--summary")
    rows = summary[summary.index("output_file\t"):].splitlines()[1:]
    for line in rows:
        path = work / line.split("\t")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    snakemake(work, "--touch", "--forceall")
    assert planned(work) == {}
    return work


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
    return text


@contextmanager
def statement_added(path: Path):
    """`path` with one statement appended (code that changes what the module does), restored after."""
    original = path.read_text()
    try:
        path.write_text(original + "\n_CHANGED = 1\n")
        yield
    finally:
        path.write_text(original)


def test_comment_docstring_and_formatting_edits_plan_nothing(finished):
    cmcs = finished / "wstal" / "methods" / "cmcs.py"
    original = cmcs.read_text()
    try:
        cmcs.write_text("# a new comment line\n" + original.replace('"""', '"""Reworded. ', 1) + "\n\n")
        assert planned(finished) == {}
    finally:
        cmcs.write_text(original)


def test_a_cmcs_change_plans_cmcs_runs_and_their_downstream_only(finished):
    from wstal.catalog import load_catalog

    cmcs = finished / "wstal" / "methods" / "cmcs.py"
    original = cmcs.read_text()
    try:
        cmcs.write_text(original + "\nCHANGED = True\n")
        text = snakemake(finished, "-n", "--quiet", "host")  # the profile hides the rule blocks
    finally:
        cmcs.write_text(original)
    plan = job_counts(text)
    catalog = load_catalog(finished / "config" / "catalog.yaml", check_methods=False)
    cmcs_runs = {name for name in catalog.trainings() if catalog.experiment(name).method == "cmcs"}
    assert experiments_of(text, "train") == experiments_of(text, "evaluate") == cmcs_runs
    assert plan["train"] == plan["evaluate"] == len(cmcs_runs)  # one seed at smoke scale
    assert set(plan) <= {"train", "evaluate", "table", "figure", "summary", "macs"}  # macs counts CMCS too


def test_table_code_change_plans_tables_only(finished):
    command = finished / "wstal" / "commands" / "table.py"
    original = edit(command, "def run(", "_CHANGED = 1\n\n\ndef run(")
    try:
        assert planned(finished) == {"table": 8}
    finally:
        command.write_text(original)
    # the table renderers: figures and the summary build views (report/views.py) but draw no table
    with statement_added(finished / "wstal" / "report" / "tables.py"):
        assert planned(finished) == {"table": 8}
    # what every presentation job builds on (report/build.py): tables, figures, summary, never a run
    with statement_added(finished / "wstal" / "report" / "build.py"):
        assert set(planned(finished)) == {"table", "figure", "summary"}


def test_claim_grammar_change_plans_presentation_only(finished):
    """The artifact grammar (claims, rows) is validated by every job's catalog load but only the
    report jobs read it: an edit there re-runs tables, figures and the summary, never a run."""
    with statement_added(finished / "wstal" / "artifacts.py"):
        assert set(planned(finished)) == {"table", "figure", "summary"}
    with statement_added(finished / "wstal" / "catalog.py"):  # data variants and experiments: every run's input
        assert {"train", "evaluate", "prepare"} <= set(planned(finished))


def test_evaluation_code_change_plans_evaluations_not_trainings(finished):
    """What `wstal evaluate` writes (wstal.run_evaluation, phase coverage) is not training code: an edit
    re-runs the evaluations and what reads them, never a training."""
    for module in ("run_evaluation.py", "evaluation/phase_coverage.py"):
        with statement_added(finished / "wstal" / module):
            assert set(planned(finished)) == {"evaluate", "table", "figure", "summary"}, module


def test_seeds_list_from_the_command_line(finished):
    """`--config seeds=[0,1]` (strings for Snakemake) and `seeds=0,1` both mean seeds 0 and 1 (0 is done)."""
    for value in ("seeds=[0,1]", "seeds=0,1"):
        text = snakemake(finished, "-n", "--quiet", "host", "--config", "scale=smoke", value, "--", "tables/table3.tex")
        seeds = set(re.findall(r"experiment=cmcs_full, seed=(\d+)", text))
        assert seeds == {"1"}, value
