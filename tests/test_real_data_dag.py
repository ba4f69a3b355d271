"""The workflow on a real dataset (thumos14) with mock features in the real layouts.

Cheap: the plan (`snakemake -n`) per source combination, the one-line refusal of an unbuildable
target at parse time, and a prepare job whose paths contain spaces. Slow (marker `slow`): the whole
smoke DAG with the W-TALC source only (RSKP artifacts built, CMCS ones named as skipped), then with
both CMCS sources added (everything but the synthetic-only figure11 and figure12).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_files import workflow_copy

REPO = Path(__file__).resolve().parents[1]
RSKP = ("table4", "table5", "table6", "table7", "figure5", "figure6", "figure7", "figure8", "figure9", "figure10")
CMCS = ("table1", "table2", "table3", "figure1", "figure2", "figure3", "figure4", "table8")
SYNTHETIC_ONLY = ("figure11", "figure12")  # knob sweeps


def flow(mapping: dict) -> str:
    """A YAML flow mapping for `--config key=...`, every path double-quoted (spaces survive)."""
    items = []
    for key, value in mapping.items():
        items.append(f"{key}: {flow(value)}" if isinstance(value, dict) else f'{key}: "{value}"')
    return "{" + ", ".join(items) + "}"


def source_config(wtalc=None, annotations=None, cmcs=None, legacy=False) -> list[str]:
    """`--config` entries for thumos14 at smoke scale with the given mock sources.

    `legacy`: the W-TALC file in the form before sources existed (`features: {thumos14: PATH}`).
    """
    features = {}
    entries = ["dataset=thumos14", "scale=smoke"]
    if wtalc is not None:
        features["wtalc-i3d"] = wtalc
        entries.append("annotations=" + flow({"thumos14": annotations}))
    if legacy:
        return [*entries, "features=" + flow({"thumos14": wtalc})]
    if cmcs is not None:
        features["cmcs-unt"] = features["cmcs-i3d"] = cmcs.features_root
        entries += ["cmcs_annotations=" + flow({"thumos14": cmcs.annotations_dir}),
                    "cmcs_meta=" + flow({"thumos14": cmcs.meta_dir})]
    if features:
        entries.append("features=" + flow({"thumos14": features}))
    return entries


def snakemake(work: Path, *args: str, config: list[str], timeout: int = 3600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--config", *config]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout, env=env)


def job_counts(stdout: str) -> dict[str, int]:
    """The `Job stats` table of a (dry) run: rule -> count."""
    table = stdout[stdout.index("Job stats:"):]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def skip_lines(stderr: str) -> dict[str, str]:
    return {m[1]: m[0] for m in re.finditer(r"^wstal: skipping (\w+): .*$", stderr, re.M)}


@pytest.fixture(scope="module")
def mock_wtalc(tmp_path_factory, thumos_reduced):
    from mockdata.wtalc import make_mock_wtalc

    return make_mock_wtalc(tmp_path_factory.mktemp("wtalc features"), thumos_reduced, length_scale=0.05)


@pytest.fixture(scope="module")
def mock_cmcs(tmp_path_factory, shared_data):
    from mockdata.cmcs_layout import make_mock_cmcs_layout, pick_videos, shared_available

    if not shared_available():
        pytest.skip("official THUMOS'14 annotations / CMCS meta files not found")
    return make_mock_cmcs_layout(tmp_path_factory.mktemp("cmcs"), length_scale=0.02, videos=pick_videos(8))


# ------------------------------------------------------------------ cheap: plans and refusals


@pytest.mark.parametrize("combination", ["wtalc", "cmcs", "both"])
def test_dry_run_plans_the_jobs_of_the_configured_sources(tmp_path, mock_wtalc, mock_cmcs, thumos_reduced,
                                                          combination):
    work = workflow_copy(tmp_path)
    config = source_config(wtalc=mock_wtalc.features if combination != "cmcs" else None,
                           annotations=thumos_reduced, cmcs=mock_cmcs if combination != "wtalc" else None,
                           legacy=combination == "wtalc")  # W-TALC alone: also the older config form
    plan = snakemake(work, "-n", config=config)
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs, skipped = job_counts(plan.stdout), skip_lines(plan.stderr)
    assert "prepare" not in jobs  # real data is prepared per source, never per data variant
    assert all("synthetic-only" in skipped[name] for name in SYNTHETIC_ONLY)
    if combination == "wtalc":
        assert "wstal: features.thumos14=PATH is read as features.thumos14.wtalc-i3d (the W-TALC file)" in plan.stderr
        assert jobs["prepare_wtalc"] == 1 and "prepare_cmcs" not in jobs
        assert jobs["train"] == 23 and jobs["table"] == 4 and jobs["figure"] == 6  # every RSKP experiment
        assert set(skipped) == {*CMCS, *SYNTHETIC_ONLY}
        assert skipped["table1"] == ("wstal: skipping table1: needs feature source cmcs-unt (set "
                                     "features.thumos14.cmcs-unt, cmcs_annotations.thumos14, cmcs_meta.thumos14)")
    elif combination == "cmcs":
        assert jobs["prepare_cmcs"] == 2 and "prepare_wtalc" not in jobs  # cmcs-unt and cmcs-i3d
        assert jobs["train"] == 20 and jobs["table"] == 3 and jobs["figure"] == 4
        assert set(skipped) == {*RSKP, "table8", *SYNTHETIC_ONLY}
        assert "needs feature source wtalc-i3d (set features.thumos14.wtalc-i3d, annotations.thumos14)" \
            in skipped["table4"]
    else:
        assert jobs["prepare_wtalc"] == 1 and jobs["prepare_cmcs"] == 2
        assert jobs["train"] == 43 and jobs["table"] == 8 and jobs["figure"] == 10
        assert set(skipped) == set(SYNTHETIC_ONLY)
    assert all(plan.stderr.count(line) == 1 for line in skipped.values())  # printed once


def test_unbuildable_target_fails_at_parse_time_in_one_line(tmp_path, mock_wtalc, thumos_reduced):
    work = workflow_copy(tmp_path)
    run = snakemake(work, "-n", "tables/table1.tex", config=source_config(wtalc=mock_wtalc.features,
                                                                         annotations=thumos_reduced))
    ours = [x for x in run.stderr.splitlines() if x.startswith("wstal:")]
    assert run.returncode == 2 and ours == [
        "wstal: error: table1 cannot be built on thumos14: needs feature source cmcs-unt (set "
        "features.thumos14.cmcs-unt, cmcs_annotations.thumos14, cmcs_meta.thumos14)"], run.stderr[-2000:]
    assert "Traceback" not in run.stderr + run.stdout and "Job stats" not in run.stdout  # before any DAG
    none = snakemake(work, "-n", config=["dataset=thumos14"])
    assert none.returncode == 2 and none.stderr.strip().splitlines()[-1].startswith(
        "wstal: error: config: dataset=thumos14 needs at least one feature source; set cmcs-i3d: ")


def test_prepare_job_with_spaces_in_every_user_path(tmp_path, thumos_reduced):
    from mockdata.wtalc import make_mock_wtalc

    annotations = tmp_path / "my annotations" / "Thumos14reduced Annotations"
    shutil.copytree(thumos_reduced, annotations)  # a temp copy, so that its path can hold spaces
    mock = make_mock_wtalc(tmp_path / "my features", annotations, length_scale=0.01)
    work = workflow_copy(tmp_path)
    target = "results/data/thumos14/smoke/wtalc-i3d/annotations.json"
    run = snakemake(work, target, config=source_config(wtalc=mock.features, annotations=annotations))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    from wstal.data.io import load_dataset

    dataset = load_dataset(work / "results/data/thumos14/smoke/wtalc-i3d")
    assert len(dataset.videos) == 80 and dataset.meta["source"] == "wtalc-i3d"


# ------------------------------------------------------------------ slow: the whole smoke DAG


@pytest.mark.slow
def test_smoke_dag_on_real_layouts_wtalc_then_both_sources(tmp_path, mock_wtalc, mock_cmcs, thumos_reduced):
    work = workflow_copy(tmp_path)
    only_wtalc = snakemake(work, "--keep-going", config=source_config(wtalc=mock_wtalc.features,
                                                                      annotations=thumos_reduced))
    assert only_wtalc.returncode == 0, only_wtalc.stdout[-4000:] + only_wtalc.stderr[-4000:]
    assert set(skip_lines(only_wtalc.stderr)) == {*CMCS, *SYNTHETIC_ONLY}
    for name in RSKP:
        assert list((work / "tables").glob(f"{name}.tex")) or list((work / "figures").glob(f"{name}.png")), name
    for name in CMCS:
        assert not list((work / "tables").glob(f"{name}.*")) and not list((work / "figures").glob(f"{name}.*"))
    assert (work / "tables" / "summary.md").is_file()
    assert not (work / "results/data/thumos14/smoke/cmcs-unt").exists()

    both = snakemake(work, "--keep-going", config=source_config(wtalc=mock_wtalc.features,
                                                                annotations=thumos_reduced, cmcs=mock_cmcs))
    assert both.returncode == 0, both.stdout[-4000:] + both.stderr[-4000:]
    assert set(skip_lines(both.stderr)) == set(SYNTHETIC_ONLY)
    for name in (*RSKP, *CMCS):
        assert list((work / "tables").glob(f"{name}.tex")) or list((work / "figures").glob(f"{name}.png")), name
    assert not list((work / "figures").glob("figure11.*")) and not list((work / "figures").glob("figure12.*"))
    data = sorted(p.name for p in (work / "results/data/thumos14/smoke").iterdir())
    assert data == ["cmcs-i3d", "cmcs-unt", "wtalc-i3d"]  # one prepared folder per source, none per variant
