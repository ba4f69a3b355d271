"""Feature sources on real data: config resolution, the catalog's real_source, the artifact plan per
source combination, refused targets, and `wstal prepare --source` on mock real layouts."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from toy_method import TOY_CATALOG, write_toy_catalog
from wstal.catalog import DEFAULT_CATALOG, load_catalog
from wstal.cli import main
from wstal.data.io import load_dataset
from wstal.data.sources import SOURCES, resolve_sources
from wstal.errors import ConfigError
from wstal.report.paths import Layout
from wstal.report.buildable import plan_artifacts, refused_target

CMCS_UNT_ARTIFACTS = {"table1", "table2", "table3", "figure2", "figure3", "figure4"}
RSKP_ARTIFACTS = {"table4", "table5", "table6", "table7", "figure5", "figure6", "figure7", "figure8", "figure9",
                  "figure10"}


def real_config(sources=(), **extra) -> dict:
    """A workflow config for thumos14 with the given sources configured (paths need not exist)."""
    config = {"dataset": "thumos14", "scale": "smoke", "artifacts": "all",
              "features": {"thumos14": {s: f"/data/{s}" for s in sources}},
              "annotations": {"thumos14": "/data/Thumos14reduced-Annotations" if "wtalc-i3d" in sources else None},
              "cmcs_annotations": {"thumos14": "/data/original" if any(s.startswith("cmcs") for s in sources)
                                   else None},
              "cmcs_meta": {"thumos14": "/data/labels" if any(s.startswith("cmcs") for s in sources) else None}}
    config.update(extra)
    return config


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG, check_methods=False)


# ------------------------------------------------------------------ config resolution


def test_sources_resolve_paths_and_name_the_missing_keys():
    config = real_config(["wtalc-i3d", "cmcs-unt"])
    config["cmcs_meta"] = {"thumos14": "null"}  # what `--config cmcs_meta='{thumos14: null}'` gives
    sources = resolve_sources(config)
    assert sources["wtalc-i3d"].available and sources["wtalc-i3d"].features == "/data/wtalc-i3d"
    assert sources["wtalc-i3d"].folders == {"annotations": "/data/Thumos14reduced-Annotations"}
    assert sources["cmcs-unt"].missing == ("cmcs_meta.thumos14",)
    assert sources["cmcs-i3d"].missing == ("features.thumos14.cmcs-i3d", "cmcs_meta.thumos14")
    anet = resolve_sources({**real_config(), "dataset": "activitynet12"})
    assert list(anet) == ["wtalc-i3d"]  # the CMCS layout exists for THUMOS'14 only


def test_legacy_single_features_path_is_the_wtalc_source(catalog):
    config = real_config(features={"thumos14": "/data/Thumos14reduced-I3D-JOINTFeatures.npy"},
                         annotations={"thumos14": "/data/ann"})
    assert resolve_sources(config)["wtalc-i3d"].features == "/data/Thumos14reduced-I3D-JOINTFeatures.npy"
    plan = plan_artifacts(catalog, config)
    assert plan.notes == ("wstal: features.thumos14=PATH is read as features.thumos14.wtalc-i3d (the W-TALC file)",)
    assert set(plan.build) == RSKP_ARTIFACTS


@pytest.mark.parametrize("features, message", [
    ({"thumos14": {"cmcs-unn": "/x"}}, "config features.thumos14: unknown feature source 'cmcs-unn' "
                                       "(did you mean 'cmcs-unt'?)"),
    ({"thumos14": ["/x"]}, "config features.thumos14: expected a mapping source -> path"),
    ({"activitynet12": {"cmcs-unt": "/x"}}, "config features.activitynet12.cmcs-unt: feature source 'cmcs-unt' "
                                            "exists for thumos14 only"),
])
def test_bad_features_config_is_one_line(features, message):
    dataset = next(iter(features))
    with pytest.raises(ConfigError) as err:
        resolve_sources(real_config(features=features), dataset)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


# ------------------------------------------------------------------ the catalog's real_source


def test_catalog_real_sources(catalog):
    assert {v.name: v.real_source for v in catalog.data_variants.values()} == {
        "i3d": "cmcs-i3d", "i3d-rskp": "wtalc-i3d", "unt": "cmcs-unt", "unt-ctx0": None, "unt-ctx1": None,
        "unt-cmp0": None, "unt-cmp05": None, "unt-venue0": None}
    assert catalog.data_key("rskp_full", "thumos14") == "wtalc-i3d"
    assert catalog.data_key("rskp_full", "synthetic") == "i3d-rskp"
    assert catalog.data_key("cmcs_full_i3d", "thumos14") == "cmcs-i3d"
    with pytest.raises(ConfigError, match="experiment 'cmcs_full_cmp0' trains on data variant 'unt-cmp0', which "
                                          "is synthetic-only"):
        catalog.data_key("cmcs_full_cmp0", "thumos14")


@pytest.mark.parametrize("variant, message", [
    ("plain: {knobs: {}, real_source: wtalc-i3dd}", "data variant 'plain': unknown feature source 'wtalc-i3dd' "
                                                    "\\(did you mean 'wtalc-i3d'\\?\\)"),
    ("plain: {knobs: {}, real_source: cmcs-unt}", "data variant 'plain' has 'i3d' features but its real_source "
                                                  "'cmcs-unt' holds 'unt' features"),
])
def test_catalog_real_source_is_validated(tmp_path, variant, message):
    assert "plain: {knobs: {}}" in TOY_CATALOG
    path = write_toy_catalog(tmp_path, TOY_CATALOG.replace("plain: {knobs: {}}", variant, 1))
    with pytest.raises(ConfigError, match=message) as err:
        load_catalog(path)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ the plan per source combination

COMBINATIONS = [c for n in range(1, 4) for c in itertools.combinations(("wtalc-i3d", "cmcs-unt", "cmcs-i3d"), n)]


def expected_build(sources) -> set[str]:
    build = set()
    if "wtalc-i3d" in sources:
        build |= RSKP_ARTIFACTS
    if "cmcs-unt" in sources:
        build |= CMCS_UNT_ARTIFACTS
        if "cmcs-i3d" in sources:
            build.add("figure1")
        if "wtalc-i3d" in sources:
            build.add("table8")
    return build


@pytest.mark.parametrize("sources", COMBINATIONS, ids="+".join)
def test_plan_per_source_combination(catalog, sources):
    config = real_config(sources)
    expected = expected_build(sources)
    if not expected:  # cmcs-i3d alone: figure1 needs cmcs-unt as well, nothing else uses it
        with pytest.raises(ConfigError, match="no artifact can be built from the configured feature sources"):
            plan_artifacts(catalog, config)
        return
    plan = plan_artifacts(catalog, config)
    assert set(plan.build) == expected
    assert set(plan.build) | set(plan.skipped) == set(catalog.artifacts)
    assert "synthetic-only" in plan.skipped["figure11"]  # knob sweeps never run on real data
    for name, reason in plan.skipped.items():
        if name in ("figure11", "figure12"):  # synthetic-only
            continue
        for missing in set(catalog.real_sources_needed(name)) - set(sources):
            assert f"{missing} (set features.thumos14.{missing}" in reason, (name, reason)
    lines = plan.skip_lines()
    assert len(lines) == len(plan.skipped) and all("\n" not in line for line in lines)


def test_plan_errors(catalog):
    with pytest.raises(ConfigError, match="dataset=thumos14 needs at least one feature source; set cmcs-i3d: "
                                          "features.thumos14.cmcs-i3d=PATH"):
        plan_artifacts(catalog, real_config())
    with pytest.raises(ConfigError) as err:
        plan_artifacts(catalog, real_config(["wtalc-i3d"], artifacts=["table4", "table1"]))
    assert str(err.value) == ("config artifacts: table1 cannot be built on thumos14: needs feature source cmcs-unt "
                              "(set features.thumos14.cmcs-unt, cmcs_annotations.thumos14, cmcs_meta.thumos14)")
    assert plan_artifacts(catalog, real_config(["wtalc-i3d"], artifacts=["table4"])).build == ("table4",)
    synthetic = plan_artifacts(catalog, {"dataset": "synthetic", "artifacts": "all"})
    assert list(synthetic.build) == list(catalog.artifacts) and not synthetic.skipped


def test_refused_targets_name_the_missing_source(catalog, tmp_path):
    plan = plan_artifacts(catalog, real_config(["wtalc-i3d"]))
    layout = Layout("thumos14", "smoke")
    ok = ["tables/table4.tex", "figures/figure5.png", "results/thumos14/smoke/rskp_full/seed0/train_summary.json",
          "all", "results/data/thumos14/smoke/wtalc-i3d/annotations.json"]
    assert refused_target(catalog, plan, layout, ok, cwd=tmp_path) is None
    assert refused_target(catalog, plan, layout, ["./tables/table1.tex"], cwd=tmp_path) == (
        "table1 cannot be built on thumos14: needs feature source cmcs-unt (set features.thumos14.cmcs-unt, "
        "cmcs_annotations.thumos14, cmcs_meta.thumos14)")
    assert refused_target(catalog, plan, layout, [str(tmp_path / "figures" / "figure11.pdf")], cwd=tmp_path) \
        .startswith("figure11 cannot be built on thumos14: synthetic-only")
    assert refused_target(catalog, plan, layout, ["results/thumos14/smoke/cmcs_full/seed0/default/metrics.json"],
                          cwd=tmp_path) == ("results/thumos14/smoke/cmcs_full/seed0/default/metrics.json cannot be "
                                            "built: experiment cmcs_full needs feature source cmcs-unt (set "
                                            "features.thumos14.cmcs-unt, cmcs_annotations.thumos14, "
                                            "cmcs_meta.thumos14)")
    assert "needs feature source cmcs-i3d" in refused_target(
        catalog, plan, layout, ["results/data/thumos14/smoke/cmcs-i3d/features.json"], cwd=tmp_path)


def test_schema_lists_the_config_keys_the_sources_use():
    import yaml

    schema = yaml.safe_load((DEFAULT_CATALOG.parent / "schema.yaml").read_text())
    config = yaml.safe_load((DEFAULT_CATALOG.parent / "config.yaml").read_text())
    keys = {key for name in SOURCES for key in ("features", *SOURCES.get(name).files.keys)}
    for key in keys:
        assert schema["properties"][key].get("description"), key
        assert key in config and key in schema["required"], key
    assert set(config["features"]["thumos14"]) == set(SOURCES)


# ------------------------------------------------------------------ wstal prepare --source on mock layouts


@pytest.fixture(scope="module")
def mock_wtalc(tmp_path_factory, thumos_reduced):
    from mockdata.wtalc import make_mock_wtalc

    return make_mock_wtalc(tmp_path_factory.mktemp("wtalc"), thumos_reduced, length_scale=0.02)


def test_mock_wtalc_has_the_real_layout(mock_wtalc, thumos_reduced):
    from mockdata.wtalc import snippet_counts

    rows = np.load(mock_wtalc.features, allow_pickle=True, encoding="latin1")
    names = np.load(thumos_reduced / "videoname.npy")
    assert rows.dtype == object and rows.shape == names.shape == (412,)
    assert all(r.dtype == np.float32 and r.shape[1] == 2048 for r in rows)
    assert [r.shape[0] for r in rows] == snippet_counts(thumos_reduced, 0.02).tolist()
    with open(mock_wtalc.features, "rb") as handle:  # NumPy 1.0 header, then a protocol-2 (Python 2) pickle
        assert handle.read(8) == b"\x93NUMPY\x01\x00"
        handle.seek(10 + int.from_bytes(handle.read(2), "little"))
        assert handle.read(2) == b"\x80\x02"
    full = snippet_counts(thumos_reduced)
    assert full.sum() == 136906  # 16 frames at 25 fps over the real durations: ~1.12 GB at 2048 float32


def test_prepare_wtalc_source_once_with_all_videos(tmp_path, mock_wtalc, thumos_reduced, capsys):
    out = tmp_path / "wtalc-i3d"
    assert main(["prepare", "--dataset", "thumos14", "--source", "wtalc-i3d",  # no --scale: every video
                 "--features", str(mock_wtalc.features), "--annotations", str(thumos_reduced),
                 "--out", str(out)]) == 0
    assert f"-> {out}: 412 videos, 20 classes, {mock_wtalc.snippets} snippets x 2048" in capsys.readouterr().out
    dataset = load_dataset(out)
    rows = np.load(mock_wtalc.features, allow_pickle=True, encoding="latin1")
    assert dataset.meta["source"] == "wtalc-i3d" and dataset.feature_kind == "i3d"
    for i in (0, 200, 411):
        np.testing.assert_array_equal(dataset.videos[i].features, rows[i])
    assert sorted(p.name for p in out.iterdir()) == ["annotations.json", "features.npz"]


def test_prepare_smoke_keeps_the_first_videos_of_each_subset(tmp_path, mock_wtalc, thumos_reduced):
    out = tmp_path / "smoke"
    args = ["prepare", "--dataset", "thumos14", "--source", "wtalc-i3d", "--features", str(mock_wtalc.features),
            "--annotations", str(thumos_reduced), "--out", str(out)]
    assert main([*args, "--scale", "smoke"]) == 0
    dataset = load_dataset(out)
    names = [n.decode() for n in np.load(thumos_reduced / "videoname.npy")]
    assert [v.name for v in dataset.videos] == names[:40] + names[200:240]
    assert main([*args, "--scale", "smoke", "--videos-per-subset", "3"]) == 0
    assert len(load_dataset(out).videos) == 6


def test_prepare_by_data_variant_uses_its_real_source(tmp_path, mock_wtalc, thumos_reduced):
    out = tmp_path / "v"
    assert main(["prepare", "--dataset", "thumos14", "--scale", "smoke", "--data-variant", "i3d-rskp",
                 "--features", str(mock_wtalc.features), "--annotations", str(thumos_reduced),
                 "--out", str(out), "--videos-per-subset", "2"]) == 0
    assert load_dataset(out).meta["source"] == "wtalc-i3d"


@pytest.mark.parametrize("args, message", [
    (["--dataset", "thumos14", "--features", "f", "--annotations", "a"],
     "--dataset thumos14 needs --source (cmcs-i3d, cmcs-unt, wtalc-i3d)"),
    (["--dataset", "thumos14", "--data-variant", "unt-ctx0", "--features", "f", "--annotations", "a"],
     "data variant 'unt-ctx0' is synthetic-only"),
    (["--dataset", "thumos14", "--data-variant", "unt", "--source", "wtalc-i3d", "--features", "f",
      "--annotations", "a"], "--data-variant unt stands for source cmcs-unt on real data, not --source wtalc-i3d"),
    (["--dataset", "activitynet12", "--source", "cmcs-unt", "--features", "f", "--annotations", "a"],
     "--source cmcs-unt exists for thumos14 only, not activitynet12"),
    (["--dataset", "thumos14", "--source", "cmcs-unt", "--features", "f"], "--source cmcs-unt needs --features and "
                                                                          "--annotations"),
    (["--dataset", "thumos14", "--source", "cmcs-unt", "--features", "f", "--annotations", "a"],
     "--source cmcs-unt needs --meta"),
    (["--dataset", "thumos14", "--source", "wtalc-i3d", "--features", "f", "--annotations", "a", "--meta", "m"],
     "--meta applies to the CMCS layout"),
    (["--dataset", "synthetic", "--source", "wtalc-i3d"], "--source/--features/--annotations/--meta apply to real"),
    (["--dataset", "synthetic"], "--dataset synthetic needs --scale and --data-variant"),
])
def test_prepare_misuse_is_one_line(tmp_path, capsys, args, message):
    assert main(["prepare", "--scale", "smoke", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("wstal: error: ") and message in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_prepare_cmcs_source_indexes_the_layout(tmp_path, capsys, shared_data):
    from mockdata.cmcs_layout import make_mock_cmcs_layout, pick_videos, shared_available

    if not shared_available():
        pytest.skip("official THUMOS'14 annotations / CMCS meta files not found")
    mock = make_mock_cmcs_layout(tmp_path / "mock", kinds=("unt",), length_scale=0.02, videos=pick_videos(3))
    out = tmp_path / "cmcs-unt"
    assert main(["prepare", "--dataset", "thumos14", "--scale", "smoke", "--source", "cmcs-unt",
                 "--features", str(mock.features_root), "--annotations", str(mock.annotations_dir),
                 "--meta", str(mock.meta_dir), "--out", str(out), "--videos-per-subset", "2"]) == 0
    assert "6 videos indexed" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["annotations.json", "features.json"]
    index = json.loads((out / "features.json").read_text())
    dataset = load_dataset(out)
    assert [v.name for v in dataset.videos] == [e["name"] for e in index["videos"]]
    assert len(dataset.videos) == 4 and {v.subset for v in dataset.videos} == {"validation", "test"}
    assert dataset.meta["source"] == "cmcs-unt"
    assert main(["prepare", "--dataset", "thumos14", "--scale", "smoke", "--source", "cmcs-i3d",
                 "--features", str(mock.features_root), "--annotations", str(mock.annotations_dir),
                 "--meta", str(mock.meta_dir), "--out", str(tmp_path / "i3d")]) == 2
    assert "i3d feature folder not found" in capsys.readouterr().err
