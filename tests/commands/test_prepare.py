"""`wstal prepare`: synthetic data variants in the wstal format; real files fail early and in one line."""

from __future__ import annotations

from wstal.cli import main
from wstal.data.io import load_dataset


def test_synthetic_variant_is_generated_with_its_knobs(tmp_path, capsys):
    out = tmp_path / "data" / "unt-ctx0"
    out.mkdir(parents=True)  # Snakemake creates the output folder first: it must be replaced, not refused
    assert main(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "unt-ctx0",
                 "--out", str(out)]) == 0
    dataset = load_dataset(out)
    assert dataset.feature_kind == "unt" and dataset.meta["data_variant"] == "unt-ctx0"
    assert len(dataset.videos) == 80  # smoke preset: 40 train + 40 test
    assert not list(out.parent.glob(".tmp-*")) and not list(out.parent.glob(".old-*"))
    assert "unt-ctx0" in capsys.readouterr().out


def test_real_dataset_with_missing_features_fails_in_one_line(tmp_path, capsys, thumos_reduced):
    code = main(["prepare", "--dataset", "thumos14", "--scale", "paper", "--source", "wtalc-i3d",
                 "--out", str(tmp_path / "out"), "--annotations", str(thumos_reduced),
                 "--features", str(tmp_path / "missing.npy")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"wstal: error: {tmp_path / 'missing.npy'}: features file not found"
    assert not (tmp_path / "out").exists()


def test_unknown_data_variant_and_misplaced_options(tmp_path, capsys):
    assert main(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "untt",
                 "--out", str(tmp_path / "o")]) == 2
    assert "unknown data variant 'untt' (did you mean 'unt'?)" in capsys.readouterr().err
    assert main(["prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "unt",
                 "--out", str(tmp_path / "o"), "--features", "x.npy"]) == 2
    assert "--source/--features/--annotations/--meta apply to real datasets" in capsys.readouterr().err
