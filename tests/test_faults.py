"""Faults and misuse around run folders and output files (issue 10).

Write failures (read-only folder, full disk), leftovers of killed processes, file modes,
two trainings in one folder, wrong-shaped run-folder JSON, out-of-range options and the
training guard's messages: each ends in one `wstal: error:` line (exit 2) and leaves no
partial output.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

import wstal.train
from toy_method import toy_dataset, write_toy_catalog
from wstal.catalog import load_catalog
from wstal.cli import main
from wstal.data.io import save_dataset
from wstal.errors import DataError, TrainingDiverged
from wstal.run import train_run
from wstal.run_evaluation import evaluate_run
from wstal.train import load_checkpoint
from wstal.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text

TESTS = Path(__file__).resolve().parent
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_outcomes():
    yield
    print(f"\nfault cases: {dict(OUTCOMES)} (total {sum(OUTCOMES.values())})")


@pytest.fixture()
def toy(tmp_path):
    data = save_dataset(toy_dataset(), tmp_path / "data")
    catalog_path = write_toy_catalog(tmp_path)
    return tmp_path, data, catalog_path


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expect_error(argv, capsys, *needles: str, what: str) -> str:
    code, _, err = run_cli(argv, capsys)
    errors = [line for line in err.strip().splitlines() if line.startswith("wstal: error: ")]
    assert code == 2 and len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    OUTCOMES[what] += 1
    return errors[0]


def train_args(data, out, catalog, seed=0, experiment="toy_base", *extra):
    return ["train", "--experiment", experiment, "--seed", seed, "--dataset", "synthetic", "--scale", "smoke",
            "--data", data, "--out", out, "--catalog", catalog, "--method-module", "toy_method", "--device", "cpu",
            "--progress", "none", *extra]


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.startswith((".tmp-", ".old-"))]


# ----------------------------------------------------------------------------- defect 6: write failures


@pytest.fixture()
def full_disk(tmp_path):
    """A 256 KiB tmpfs (root only); skipped where mounting is not allowed."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip()[:80]})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_atomic_write_on_a_full_disk_is_one_error_and_leaves_nothing(full_disk):
    target = full_disk / "big.bin"
    with pytest.raises(DataError, match=r"big.bin: cannot write \(No space left on device\)"):
        atomic_write_bytes(target, lambda f: f.write(b"x" * 2_000_000))
    assert list(full_disk.iterdir()) == []
    OUTCOMES["enospc:error"] += 1


def test_checkpoint_on_a_full_disk_is_one_error(full_disk, toy, capsys):
    tmp, data, catalog = toy
    (full_disk / "filler").write_bytes(b"\0" * (240 * 1024))  # leave ~16 KiB: config.json fits, model.pt not
    out = full_disk / "run"
    expect_error(train_args(data, out, catalog), capsys, "cannot write", "No space left on device",
                 what="enospc-train:error")
    assert not out.exists() or no_temp_files(out)


def test_synth_convert_macs_into_a_full_disk(full_disk, tmp_path, capsys):
    (full_disk / "filler").write_bytes(b"\0" * (250 * 1024))
    expect_error(["synth", "--scale", "smoke", "--out", full_disk / "synth"], capsys, "No space left on device",
                 what="enospc-synth:error")
    save_dataset(toy_dataset(), tmp_path / "src")
    expect_error(["convert", tmp_path / "src", full_disk / "conv"], capsys, "No space left on device",
                 what="enospc-convert:error")
    expect_error(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "i3d",
                  "--out", full_disk / "prepared"], capsys, "No space left on device", what="enospc-prepare:error")
    assert no_temp_files(full_disk)
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]  # nothing partial: no dataset folders


def test_writes_into_a_read_only_folder_are_one_line(tmp_path, capsys):
    """A subprocess as an unprivileged user would see EACCES; root sees EROFS only on a read-only mount,
    so the read-only case is simulated by making the OS refuse the temp file."""
    ro = tmp_path / "ro"
    ro.mkdir()
    code = ("import os, sys, errno, tempfile\n"
            "def refuse(*a, **k): raise OSError(errno.EROFS, os.strerror(errno.EROFS), a and a[0] or '')\n"
            "tempfile.mkstemp = refuse\n"
            "from wstal.cli import main\n"
            f"sys.exit(main(['macs', '--out', {str(ro / 'macs.json')!r}, '--snippets', '4']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("wstal: error: "), done.stderr
    assert "Traceback" not in done.stderr and "macs.json: cannot write (Read-only file system)" in done.stderr
    assert list(ro.iterdir()) == []
    OUTCOMES["erofs-macs:error"] += 1


@pytest.fixture()
def read_only(tmp_path):
    """A read-only tmpfs (root only): every write gets EROFS, as on a read-only mount of a cluster."""
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here ({done.stderr.decode().strip()[:80]})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.mark.parametrize("command", ["train", "evaluate", "synth", "prepare", "convert", "macs", "table"])
def test_every_command_into_a_read_only_folder_is_one_line(read_only, toy, capsys, command):
    from report.conftest import write_fake_results

    tmp, data, catalog = toy
    gt = tmp / "gt.json"
    annotations = [{"segment": [0, 1], "label": "A"}]
    gt.write_text(json.dumps({"database": {"v": {"subset": "test", "annotations": annotations}}}))
    pred = tmp / "p.json"
    pred.write_text(json.dumps({"results": {"v": [{"label": "A", "score": 1, "segment": [0, 1]}]}}))
    argv = {
        "train": train_args(data, read_only / "run", catalog),
        "evaluate": ["evaluate", "--annotations", gt, "--predictions", pred, "--output", read_only / "m.json"],
        "synth": ["synth", "--scale", "smoke", "--out", read_only / "s"],
        "prepare": ["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "i3d",
                    "--out", read_only / "p"],
        "convert": ["convert", data, read_only / "c"],
        "macs": ["macs", "--snippets", "4", "--out", read_only / "macs.json"],
    }.get(command)
    if command == "table":
        layout = write_fake_results(tmp)
        argv = ["table", "3", "--results", layout.results, "--tables", read_only / "tables", "--scale", "fixture",
                "--dataset", "synthetic", "--seeds", "0,1,2", "--quiet"]
    expect_error(argv, capsys, str(read_only), "Read-only file system", what=f"erofs-{command}:error")
    assert list(read_only.iterdir()) == []


def test_checkpoint_write_failure_becomes_one_error(tmp_path, monkeypatch):
    import wstal.utils.atomic
    from wstal.train import _save_checkpoint

    def boom(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(wstal.utils.atomic.os, "fsync", boom)
    with pytest.raises(DataError, match=r"model.pt: cannot write \(No space left on device\)"):
        _save_checkpoint(tmp_path / "model.pt", {"a": 1})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["table", "evaluate"])
def test_table_and_evaluate_into_an_unwritable_place(tmp_path, capsys, command):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    if command == "evaluate":
        gt = tmp_path / "gt.json"
        gt.write_text(json.dumps({"database": {"v": {"subset": "test", "annotations": [
            {"segment": [0, 1], "label": "A"}]}}}))
        pred = tmp_path / "p.json"
        pred.write_text(json.dumps({"results": {"v": [{"label": "A", "score": 1, "segment": [0, 1]}]}}))
        argv = ["evaluate", "--annotations", gt, "--predictions", pred, "--output", blocker / "m.json"]
    else:
        from report.conftest import write_fake_results

        layout = write_fake_results(tmp_path)
        argv = ["table", "3", "--results", layout.results, "--tables", blocker / "tables", "--scale", "fixture",
                "--dataset", "synthetic", "--seeds", "0,1,2", "--quiet"]
    expect_error(argv, capsys, "cannot write", what=f"unwritable-{command}:error")


# ----------------------------------------------------------------------------- defect 20: leftovers


def test_a_resume_removes_the_temp_file_of_a_killed_checkpoint_write(toy):
    tmp, data, catalog = toy
    run = tmp / "run"
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=load_catalog(catalog), progress="none")
    import socket

    # what SIGKILL during a checkpoint write leaves: a temp file of a process that no longer exists
    stale = run / f".tmp-model.pt.{socket.gethostname()}.999999999.abc123"
    stale.write_bytes(b"PK half a zip")
    (run / "train_summary.json").unlink()
    ckpt = load_checkpoint(run / "model.pt")
    ckpt["step"] = 4
    torch.save(ckpt, run / "model.pt")
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=load_catalog(catalog), progress="none")
    assert not stale.exists()
    OUTCOMES["stale-temp:cleaned"] += 1


def test_atomic_write_keeps_temp_files_of_live_writers(tmp_path):
    import socket

    live = tmp_path / f".tmp-x.json.{socket.gethostname()}.{os.getpid()}.abc"
    live.write_text("{}")
    other_host = tmp_path / ".tmp-x.json.another-host.1.abc"
    other_host.write_text("{}")
    atomic_write_json(tmp_path / "x.json", {"a": 1})
    assert live.exists() and other_host.exists()


def test_killed_prepare_leaves_no_temp_folder_after_the_next_run(tmp_path, capsys):
    out = tmp_path / "prepared"
    import socket

    stale = tmp_path / f".tmp-prepared.{socket.gethostname().replace('.', '_')}.999999999"
    stale.mkdir()
    (stale / "annotations.json").write_text("{}")
    code, _, err = run_cli(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "i3d",
                            "--out", out], capsys)
    assert code == 0, err
    assert not stale.exists()
    OUTCOMES["stale-prepare:cleaned"] += 1


def test_a_failed_start_leaves_no_run_folder(toy, capsys):
    tmp, data, catalog = toy
    annotation_only = save_dataset(toy_dataset(), tmp / "ann")
    (annotation_only / "features.npz").unlink()
    doc = json.loads((annotation_only / "annotations.json").read_text())
    doc["features_loaded"] = False
    (annotation_only / "annotations.json").write_text(json.dumps(doc))
    out = tmp / "never"
    expect_error(train_args(annotation_only, out, catalog), capsys, "has no features", what="failed-start:error")
    assert not out.exists()


def test_a_divergence_at_step_zero_leaves_no_half_run(toy, capsys):
    tmp, data, catalog_path = toy
    text = (tmp / "catalog.yaml").read_text().replace(
        "toy_base: {method: toy, data_variant: plain, overrides: {}}",
        "toy_base: {method: toy, data_variant: plain, overrides: {}}\n"
        "  toy_nan: {method: toy, data_variant: plain, overrides: {nan_at_step: 0}}")
    catalog = write_toy_catalog(tmp, text)
    out = tmp / "nan"
    line = expect_error(train_args(data, out, catalog, 0, "toy_nan"), capsys, "step 0", what="nan-step0:error")
    assert "kept at" not in line and "no checkpoint" in line  # defect 23: no claim of a checkpoint
    assert not out.exists()


# ----------------------------------------------------------------------------- defect 21: file modes


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_respect_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = atomic_write_text(tmp_path / f"out{umask}.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_prepared_dataset_is_group_readable(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        code, _, err = run_cli(["synth", "--scale", "smoke", "--out", tmp_path / "s"], capsys)
    finally:
        os.umask(old)
    assert code == 0, err
    for path in (tmp_path / "s").iterdir():
        assert path.stat().st_mode & 0o044 == 0o044, path


# ----------------------------------------------------------------------------- defect 4: one training per folder


def test_a_second_training_into_a_locked_run_folder_fails(toy, capsys):
    tmp, data, catalog = toy
    out = tmp / "shared"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from wstal.run import run_folder_lock\n"
         f"with run_folder_lock({str(out)!r}):\n    print('locked', flush=True); time.sleep(60)\n"],
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(TESTS.parent)})
    try:
        assert holder.stdout.readline().strip() == b"locked"
        expect_error(train_args(data, out, catalog, 0, "toy_small"), capsys, str(out), "another", what="lock:error")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    code, _, err = run_cli(train_args(data, out, catalog, 0, "toy_small"), capsys)  # lock dies with its holder
    assert code == 0, err


def test_a_finished_run_folder_of_another_experiment_is_refused(toy, capsys):
    tmp, data, catalog = toy
    out = tmp / "run"
    assert run_cli(train_args(data, out, catalog, 0, "toy_base"), capsys)[0] == 0
    before = (out / "config.json").read_text(), (out / "model.pt").read_bytes()
    expect_error(train_args(data, out, catalog, 0, "toy_small"), capsys, "toy_base", what="foreign-run:error")
    # same method and config but another experiment name: refused as well, nothing mixed
    text = (tmp / "catalog.yaml").read_text().replace(
        "toy_base: {method: toy, data_variant: plain, overrides: {}}",
        "toy_base: {method: toy, data_variant: plain, overrides: {}}\n"
        "  toy_twin: {method: toy, data_variant: plain, overrides: {}}")
    twin = write_toy_catalog(tmp, text)
    expect_error(train_args(data, out, twin, 0, "toy_twin"), capsys, "toy_base", what="foreign-run:error")
    assert ((out / "config.json").read_text(), (out / "model.pt").read_bytes()) == before


# ----------------------------------------------------------------------------- defect 16: wrong-shaped run JSON


@pytest.mark.parametrize("file, content", [
    ("train_summary.json", [1, 2]),
    ("train_summary.json", {"timing": 5}),
    ("config.json", {"experiment": "toy_base"}),
    ("config.json", [1]),
])
def test_wrong_shaped_run_json_is_handled(toy, capsys, file, content):
    tmp, data, catalog = toy
    out = tmp / "run"
    assert run_cli(train_args(data, out, catalog), capsys)[0] == 0
    (out / file).write_text(json.dumps(content))
    if file == "train_summary.json":  # rebuilt from the checkpoint, the source of truth
        code, _, err = run_cli(train_args(data, out, catalog), capsys)
        assert code == 0, err
        assert isinstance(json.loads((out / file).read_text())["timing"], dict)
        metrics = evaluate_run(out, "default")
        assert metrics["timing"]["eval_wall_s"] > 0
        OUTCOMES["bad-run-json:rebuilt"] += 1
    else:
        expect_error(["evaluate", "--run", out], capsys, "config.json", what="bad-run-json:error")


# ----------------------------------------------------------------------------- defect 14: no features


def test_training_on_an_annotation_only_dataset_says_so_first(toy):
    tmp, data, catalog = toy
    from wstal.data.io import load_dataset

    folder = save_dataset(toy_dataset(), tmp / "ann")
    (folder / "features.npz").unlink()
    doc = json.loads((folder / "annotations.json").read_text())
    doc["features_loaded"] = False
    (folder / "annotations.json").write_text(json.dumps(doc))
    assert not load_dataset(folder).features_loaded
    with pytest.raises(DataError, match=r"ann: dataset has no features"):
        train_run("toy_base", 0, folder, "smoke", tmp / "r", "cpu", catalog=load_catalog(catalog), progress="none")
    OUTCOMES["annotation-only:error"] += 1


# ----------------------------------------------------------------------------- defect 15: option ranges


@pytest.mark.parametrize("extra, needle", [
    (["--seed", "-1"], "--seed"), (["--seed", str(2**70)], "--seed"),
    (["--threads", "0"], "--threads"), (["--threads", "-3"], "--threads"),
])
def test_train_options_are_range_checked(toy, capsys, extra, needle):
    tmp, data, catalog = toy
    argv = train_args(data, tmp / "r", catalog)
    i = argv.index("--seed")
    argv[i + 1] = 0
    argv += extra  # argparse keeps the last occurrence
    expect_error(argv, capsys, needle, what="option-range:error")
    assert not (tmp / "r").exists()


def test_train_out_an_existing_file(toy, capsys):
    tmp, data, catalog = toy
    (tmp / "afile").write_text("x")
    expect_error(train_args(data, tmp / "afile", catalog), capsys, "afile", "not a folder", what="option-range:error")


def test_synth_seed_and_macs_snippets_are_range_checked(tmp_path, capsys):
    expect_error(["synth", "--scale", "smoke", "--seed", "-1", "--out", tmp_path / "s"], capsys, "--seed",
                 what="option-range:error")
    expect_error(["macs", "--snippets", "100000000", "--out", tmp_path / "m.json"], capsys, "--snippets",
                 what="option-range:error")


def test_non_finite_catalog_override_is_rejected(toy, capsys):
    tmp, data, catalog = toy
    text = (tmp / "catalog.yaml").read_text().replace(
        "toy_base: {method: toy, data_variant: plain, overrides: {}}",
        "toy_base: {method: toy, data_variant: plain, overrides: {train.lr: .nan}}")
    bad = write_toy_catalog(tmp, text)
    expect_error(train_args(data, tmp / "r", bad), capsys, "train.lr", "finite", what="option-range:error")


# ----------------------------------------------------------------------------- defect 3 and 13: evaluate --run


@pytest.fixture()
def finished_run(toy):
    tmp, data, catalog = toy
    run = tmp / "run"
    train_run("toy_base", 0, data, "smoke", run, "cpu", catalog=load_catalog(catalog), progress="none")
    evaluate_run(run, "default")
    return tmp, data, run


def test_evaluate_run_on_other_annotations_does_not_overwrite_the_runs_metrics(finished_run, capsys):
    tmp, data, run = finished_run
    other = save_dataset(toy_dataset(seed=1), tmp / "other")
    before = (run / "default" / "metrics.json").read_bytes()
    expect_error(["evaluate", "--run", run, "--annotations", other], capsys, "--annotations", str(other),
                 what="run-other-data:error")
    assert (run / "default" / "metrics.json").read_bytes() == before
    metrics = json.loads(before)
    assert metrics["dataset_dir"] == str(data.resolve())  # the dataset actually used is recorded


@pytest.mark.parametrize("option, value", [("--output", "m.json"), ("--tiou", "0.5"), ("--predictions", "p.json"),
                                           ("--subset", "validation"), ("--snippet-seconds", "0.5")])
def test_evaluate_run_rejects_options_that_do_not_apply(finished_run, capsys, option, value):
    tmp, data, run = finished_run
    expect_error(["evaluate", "--run", run, option, value], capsys, option, "--run", what="run-option:error")


def test_variant_without_run_is_rejected(tmp_path, capsys):
    expect_error(["evaluate", "--annotations", tmp_path, "--predictions", tmp_path / "p.json", "--variant", "x"],
                 capsys, "--variant", what="run-option:error")


# ----------------------------------------------------------------------------- defect 23: checkpoint messages


def test_a_refused_checkpoint_does_not_advise_weights_only_false(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"format": "wstal-checkpoint", "evil": np.random.default_rng(0)}, path)
    with pytest.raises(DataError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "weights_only" not in message and "add_safe_globals" not in message  # torch's advice: never repeated
    assert "\n" not in message and str(path) in message and "numpy.random" in message
    OUTCOMES["refused-checkpoint:error"] += 1


def test_a_truncated_checkpoint_hints_at_no_resume(toy, capsys):
    tmp, data, catalog = toy
    out = tmp / "run"
    assert run_cli(train_args(data, out, catalog), capsys)[0] == 0
    raw = (out / "model.pt").read_bytes()
    (out / "model.pt").write_bytes(raw[: len(raw) // 2])
    (out / "train_summary.json").unlink()
    expect_error(train_args(data, out, catalog), capsys, "model.pt", "--no-resume", what="truncated-ckpt:error")
    code, _, err = run_cli(train_args(data, out, catalog) + ["--no-resume"], capsys)
    assert code == 0, err


def test_readme_kill_section_mentions_unlock():
    text = (TESTS.parent / "README.md").read_text()
    section = text[text.index("**Kill and re-run.**"):][:1500]
    assert "snakemake --unlock" in section


# ----------------------------------------------------------------------------- defect 22: absurd features


def test_a_run_whose_gradients_are_all_zero_is_stopped(tmp_path):
    """RSKP on finite but absurd features (x 1e37) saturates: every gradient is exactly 0 and the loss
    only repeats the batches' values; the guard stops it instead of writing a model that never learned."""
    from wstal.data.synthetic import generate, make_config
    from wstal.methods.base import get_method
    from wstal.run import resolve_config

    dataset = generate(make_config("smoke", {}, seed=0))
    for video in dataset.videos:
        video.features[:] = video.features * np.float32(1e37)
    config = resolve_config(get_method("rskp"), "smoke", {"train.steps": 14}, "rskp_absurd")
    with pytest.raises(TrainingDiverged, match="gradient is exactly 0") as info:
        wstal.train.train("rskp", config, dataset, tmp_path / "r", 0, device="cpu", progress="none")
    assert "features" in str(info.value)
    OUTCOMES["absurd-features:error"] += 1
