"""`wstal bench jobs`: CPU per job family, read back from the run records."""

from __future__ import annotations

import json

from wstal.bench.jobs import job_costs
from wstal.cli import main


def _run(root, experiment, seed, method, train_cpu, eval_cpu=None):
    run = root / experiment / f"seed{seed}"
    run.mkdir(parents=True)
    (run / "train_summary.json").write_text(json.dumps({"method": method, "timing": {"process_cpu_s": train_cpu}}))
    if eval_cpu is not None:
        (run / "evaluation.json").write_text(json.dumps({"evaluations": [], "process_cpu_s": eval_cpu}))


def test_costs_are_summed_per_family_and_method(tmp_path, capsys):
    root = tmp_path / "results" / "synthetic" / "default"
    _run(root, "a", 0, "cmcs", 4.0, 1.5)
    _run(root, "a", 1, "cmcs", 6.0, 2.5)
    _run(root, "b", 0, "rskp", 7.0)  # not evaluated yet
    (root / "c" / "seed0").mkdir(parents=True)
    (root / "c" / "seed0" / "train_summary.json").write_text("{truncated")  # unfinished: skipped
    costs = {c.family: (c.jobs, c.cpu_s, c.mean_s) for c in job_costs(root)}
    assert costs == {"train/cmcs": (2, 10.0, 5.0), "evaluate/cmcs": (2, 4.0, 2.0), "train/rskp": (1, 7.0, 7.0)}
    assert main(["bench", "jobs", "--results", str(tmp_path / "results")]) == 0
    assert "| all of these | 5 | 21 s |" in capsys.readouterr().out


def test_no_records_is_one_line(tmp_path, capsys):
    assert main(["bench", "jobs", "--results", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
