"""CMCS feature layout: prepare (index, no copy), lazy loading, crop/offset training, crop-averaged test,
frame-grid localization, static-clip masks, and one-line errors for every bad layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.mockdata.cmcs_layout import (
    CMCS_META, ORIGINAL_ANNOTATIONS, make_mock_cmcs_layout, num_features, official_videos, pick_videos,
    shared_available,
)
from wstal.data.cmcs_layout import CropSource, prepare_cmcs_source
from wstal.data.cmcs_layout.official import read_official
from wstal.data.cmcs_layout.sequences import CropSequences, flow_motion, static_snippets
from wstal.data.hard_negatives import HardNegativeConfig, keep_for_hard_negatives, static_mask
from wstal.data.io import load_dataset
from wstal.data.records import Video
from wstal.errors import DataError
from wstal.methods.base import StepContext, apply_overrides
from wstal.methods.cmcs import CMCS, CMCSConfig
from wstal.utils.seeding import step_rng

pytestmark = pytest.mark.skipif(not shared_available(), reason="real THUMOS'14 annotations / CMCS meta not found")

# two sorted videos per subset, plus a 24-fps validation and a 25-fps test video
VIDEOS = pick_videos(2) + ["video_validation_0000411", "video_test_0000950"]
SCALE = 0.02


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmcs")
    mock = make_mock_cmcs_layout(root, videos=VIDEOS, length_scale=SCALE)
    prepared = {kind: root / f"prepared-{kind}" for kind in ("unt", "i3d")}
    for kind, out in prepared.items():
        prepare_cmcs_source(kind, mock.features_root, mock.annotations_dir, mock.meta_dir, out)
    return mock, prepared


def small_cfg(**overrides) -> CMCSConfig:
    return apply_overrides(CMCSConfig(), {"train.steps": 2, "train.batch_videos": 3, **overrides}, "test")


# ------------------------------------------------------------------ the official files


def test_official_files_give_200_validation_and_212_test_videos():
    classes, val = read_official(ORIGINAL_ANNOTATIONS, "validation")
    _, test = read_official(ORIGINAL_ANNOTATIONS, "test")
    assert len(classes) == 20 and classes[0] == "BaseballPitch" and classes[-1] == "VolleyballSpiking"
    assert len(val) == 200 and len(test) == 212  # video_test_0001292 is only in Ambiguous_test.txt
    assert "video_test_0001292" not in test
    assert sum(len(v.segments) for v in val.values()) == 3007
    assert sum(len(v.segments) for v in test.values()) == 3358
    assert sum(len(v.ambiguous) for v in test.values()) == 99 - 3  # the 3 rows of video_test_0001292 are dropped


# ------------------------------------------------------------------ prepare + index


@pytest.mark.parametrize("kind", ["unt", "i3d"])
def test_prepare_indexes_every_video_with_meta_fps_and_copies_nothing(layout, kind):
    mock, prepared = layout
    out = prepared[kind]
    assert sorted(p.name for p in out.iterdir()) == ["annotations.json", "features.json"]
    index = json.loads((out / "features.json").read_text())
    assert index["kind"] == kind and index["crops"] == "oversample" and index["stream_dim"] == 1024
    entries = {e["name"]: e for e in index["videos"]}
    assert sorted(entries) == sorted(VIDEOS)
    for name, entry in entries.items():
        assert entry["length"] == num_features(kind, mock.frame_cnt[name])
        assert entry["crops"] == 10 and entry["frame_cnt"] == mock.frame_cnt[name]
        assert (entry["mask"] is not None) == name.startswith("video_validation_")
    assert entries["video_validation_0000411"]["fps"] == 24.0
    assert entries["video_test_0000950"]["fps"] == 25.0
    assert entries["video_test_0000950"]["duration"] == pytest.approx(1315.3933333)
    dataset = load_dataset(out)
    assert dataset.feature_dim == 2048 and dataset.feature_kind == kind
    assert {v.subset for v in dataset.videos} == {"validation", "test"}
    gt = official_videos()
    for video in dataset.videos:
        assert len(video.segments) == len(gt[video.name])
        assert video.features.shape == (0, 2048) and isinstance(video.crops, CropSource)


def test_loader_swaps_unt_axes_keeps_i3d_and_puts_rgb_first(layout):
    mock, prepared = layout
    name = VIDEOS[0]
    for kind, folder, stored_axes in (("unt", "UNTRI-5/untri-thumos14-val-{s}-oversample-step5", "TB11"),
                                      ("i3d", "I3D-4/thumos-val-{s}-oversample", "BT")):
        video = load_dataset(prepared[kind]).video(name)
        loaded = video.crops.load()
        for half, stream in enumerate(("rgb", "flow")):
            raw = np.load(mock.features_root / folder.format(s=stream) / f"{name}-{stream}.npz")["feature"]
            expected = raw[:, :, :, 0, 0].swapaxes(0, 1) if stored_axes == "TB11" else raw
            np.testing.assert_array_equal(loaded[:, :, half * 1024:(half + 1) * 1024], expected)


def test_evaluator_reads_the_prepared_folder_as_ground_truth(layout):
    from wstal.commands.evaluate import load_ground_truth

    _, prepared = layout
    truth = load_ground_truth(prepared["unt"], "test", None)
    assert set(truth.videos) == {v for v in VIDEOS if v.startswith("video_test_")}


# ------------------------------------------------------------------ training semantics


def test_training_samples_are_crop_offset_sequences_drawn_from_the_step_rng(layout):
    _, prepared = layout
    dataset = load_dataset(prepared["unt"])
    method = CMCS(small_cfg(), dataset)
    items = method.train_items()
    real = [i for i in items if not i.name.endswith("_bg")]
    assert all(isinstance(i.features, CropSequences) and i.features.count == 30 for i in items)
    video = dataset.video(VIDEOS[0])
    base = video.crops.load()
    seqs = next(i.features for i in real if i.name.startswith(VIDEOS[0]))
    n = base.shape[1] // 3
    for s in (0, 9, 10, 29):
        offset, crop = divmod(s, 10)
        np.testing.assert_array_equal(seqs.sequence(s).numpy(), base[crop, offset::3][:n])
    # the loss draws one sequence with ctx.rng: the same step gives the same draw and loss
    model = method.build_model()
    model.eval()  # no dropout: the loss then depends only on the drawn sequence

    def ctx():
        return StepContext(step=5, epoch=0, rng=step_rng(0, 5), device=torch.device("cpu"))

    a = method.loss(model, real[0], ctx())["total"].item()
    b = method.loss(model, real[0], ctx())["total"].item()
    drawn = int(step_rng(0, 5).integers(30))
    x = real[0].features.sequence(drawn)
    from wstal.methods.cmcs import sample_losses

    expected = sum(sample_losses(o, real[0].label, real[0].weight, method.config)["total"]
                   for o in model.forward_streams(x)).item()
    assert a == b == pytest.approx(expected)


def test_pseudo_background_video_follows_the_authors_mask(layout):
    _, prepared = layout
    dataset = load_dataset(prepared["i3d"])
    method = CMCS(small_cfg(), dataset)
    items = {i.name: i for i in method.train_items()}
    made = 0
    for video in dataset.train_videos:
        mask = video.crops.load_mask()
        n = video.crops.length // 4
        expected = np.flatnonzero(mask[::16][:n])
        if not expected.size:  # the static run falls between ticks: no pseudo video
            assert f"{video.name}_bg" not in items
            continue
        made += 1
        pseudo = items[f"{video.name}_bg"]
        assert pseudo.label == 20 and pseudo.weight == 1.0 and pseudo.features.count == 40
        np.testing.assert_array_equal(pseudo.features.index.numpy(), expected)
        base = video.crops.load()
        np.testing.assert_array_equal(pseudo.features.sequence(13).numpy(), base[3, 1::4][:n][expected])
    assert made >= 2


def test_mask_outside_the_static_ratio_is_dropped(layout, tmp_path):
    _, prepared = layout
    video = load_dataset(prepared["unt"]).train_videos[0]
    base = video.crops.load()
    for ratio, kept in ((0.5, False), (0.02, False), (0.2, True)):
        mask = np.zeros(video.crops.frame_cnt)
        mask[: int(ratio * mask.size)] = 1
        path = tmp_path / f"{ratio}.npz"
        np.savez(path, mask=mask)
        source = CropSource(**{**video.crops.__dict__, "mask": path})
        got = static_snippets(source, base, 15, HardNegativeConfig(), base.shape[1] // 3)
        assert (got is not None) == kept


def test_without_masks_static_clips_come_from_flow_intensity(layout, tmp_path):
    mock, _ = layout
    root = tmp_path / "features"
    shutil.copytree(mock.features_root, root, ignore=shutil.ignore_patterns("I3D-4", "FLOW-INTENSITY"))
    out = tmp_path / "prepared"
    summary = prepare_cmcs_source("unt", root, mock.annotations_dir, mock.meta_dir, out)
    assert summary["masks"] is False
    dataset = load_dataset(out)
    cfg = small_cfg()
    items = {i.name: i for i in CMCS(cfg, dataset).train_items()}
    for video in dataset.train_videos:
        assert video.crops.mask is None
        base = video.crops.load()
        full = static_mask(flow_motion(base, 3), 15 / video.crops.fps, cfg.hn)
        if keep_for_hard_negatives(full, cfg.hn):
            np.testing.assert_array_equal(items[f"{video.name}_bg"].features.index.numpy(),
                                          np.flatnonzero(full[: base.shape[1] // 3]))
        else:
            assert f"{video.name}_bg" not in items


# ------------------------------------------------------------------ test semantics


def test_test_outputs_are_averaged_over_crops_at_offset_zero(layout):
    _, prepared = layout
    dataset = load_dataset(prepared["unt"])
    method = CMCS(small_cfg(), dataset)
    torch.manual_seed(0)
    model = method.build_model()
    video = dataset.test_videos[0]
    out = method.infer(model, video, "default")
    base = torch.from_numpy(video.crops.load())
    model.eval()
    with torch.no_grad():
        per_crop = [model(base[b, ::3]) for b in range(10)]
    for key in ("cas", "attention", "video_logits"):
        expected = torch.stack([o[key] for o in per_crop]).mean(0).numpy()
        np.testing.assert_allclose(out[key], expected, rtol=1e-5, atol=1e-6)
    assert out["cas"].shape == (int(np.ceil(video.crops.length / 3)), 21)
    np.testing.assert_allclose(out["video_probs"], torch.softmax(torch.from_numpy(out["video_logits"]), 0).numpy(),
                               rtol=1e-6)


def _grid_video(kind: str, frame_cnt: int, fps: float, duration: float) -> Video:
    source = CropSource(kind=kind, rgb=Path("x"), flow=Path("y"), length=1, crops=10, frame_cnt=frame_cnt, fps=fps)
    return Video(name="v", subset="test", duration=duration, features=np.zeros((0, 2048), np.float32),
                 segments=np.zeros((0, 2)), segment_labels=np.zeros(0, np.int64), labels=(), crops=source)


@pytest.mark.parametrize("kind,rate,ticks,frames", [("unt", 15, 7, (11, 64)), ("i3d", 16, 6, (13, 67))])
def test_localization_uses_the_video_frames_and_fps(layout, kind, rate, ticks, frames):
    _, prepared = layout
    method = CMCS(small_cfg(), load_dataset(prepared[kind]))
    # frame_cnt 100: UNT ticks at 0, 15, ..., 90 (7); I3D chunk starts up to (100-16)//16*16 = 80 (6)
    video = _grid_video(kind, frame_cnt=100, fps=25.0, duration=4.0)
    cas = np.full((9, 21), -5.0)
    cas[2:4, 3] = 5.0  # class 3 stands out at ticks 2..3
    cas[ticks:, 5] = 5.0  # class 5 only after the last valid tick: never localized
    probs = np.full(21, 0.01)
    probs[3] = probs[5] = 0.4
    dets = method.localize({"cas": cas, "video_probs": probs}, video, "default")
    last_frame = (ticks - 1) * rate  # nothing is interpolated beyond the last valid tick
    for d in dets:  # times are whole frames of a 25-fps video, never after the last tick
        assert d.start * 25 == pytest.approx(round(d.start * 25)) and d.end * 25 == pytest.approx(round(d.end * 25))
        assert d.end <= (last_frame + 1) / 25 + 1e-9
    (det,) = [d for d in dets if d.label == 3]
    # By hand: the score is 1 on frames 2r..3r, ramps over r frames to 0 at the neighbouring ticks, on the
    # grid 0..last tick. UNT (r=15): mean 30/91, above it frames [20, 56), dilated by 18 (9 left, 8 right):
    # [11, 64). I3D (r=16): mean 32/81, frames [23, 58), dilated by 20 (10 left, 9 right): [13, 67).
    assert (det.start, det.end) == pytest.approx((frames[0] / 25, frames[1] / 25))


# ------------------------------------------------------------------ bad layouts


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return make_mock_cmcs_layout(root, kinds=("unt",), videos=pick_videos(1), length_scale=0.01)


def _feature_path(root: Path, video: str, stream: str = "rgb") -> Path:
    suffix = "val" if video.startswith("video_validation_") else "test"
    return root / "UNTRI-5" / f"untri-thumos14-{suffix}-{stream}-oversample-step5" / f"{video}-{stream}.npz"


def _rewrite(path: Path, **arrays) -> None:
    current = dict(np.load(path))
    current.update(arrays)
    for key in [k for k, v in current.items() if v is None]:
        del current[key]
    np.savez(path, **current)


def _break(kind: str, root: Path, annotations: Path, video: str) -> tuple[Path, str]:
    rgb, flow = _feature_path(root, video), _feature_path(root, video, "flow")
    feature = np.load(rgb)["feature"]
    frames = int(np.load(rgb)["frame_cnt"])
    if kind == "missing-file":
        rgb.unlink()
        return rgb, "feature file not found"
    if kind == "wrong-key":
        _rewrite(rgb, feature=None, features=feature)
        return rgb, "key 'feature' missing"
    if kind == "wrong-shape":
        _rewrite(rgb, feature=feature[:, :, :, 0, 0].swapaxes(0, 1))  # stored like I3D
        return rgb, "expected (T, B, 1024, 1, 1)"
    if kind == "wrong-crops":
        _rewrite(rgb, feature=feature[:, :1])
        _rewrite(flow, feature=np.load(flow)["feature"][:, :1])
        return rgb, "1 crops, expected 10"
    if kind == "t-mismatch":
        _rewrite(flow, feature=np.load(flow)["feature"][:-1])
        return flow, "flow features have T="
    if kind == "frame-cnt-mismatch":
        _rewrite(flow, frame_cnt=np.int64(frames + 1))
        return flow, "frame_cnt"
    if kind == "nan":
        feature = feature.copy()
        feature[1, 2, 3, 0, 0] = np.nan
        _rewrite(rgb, feature=feature)
        return rgb, "NaN/Inf"
    if kind == "pickle":
        np.savez(rgb, feature=np.array([feature], dtype=object), frame_cnt=np.int64(frames))
        return rgb, "pickle-free"
    if kind == "mask-missing":
        path = root / "FLOW-INTENSITY" / "val" / f"{video}.npz"
        path.unlink()
        return path, "static-clip mask missing"
    if kind == "mask-length":
        path = root / "FLOW-INTENSITY" / "val" / f"{video}.npz"
        np.savez(path, mask=np.zeros(frames - 1))
        return path, "one value per frame"
    if kind == "not-in-meta":
        ghost = "video_validation_9999999"
        with open(annotations / "annotations_val" / "BaseballPitch_val.txt", "a") as handle:
            handle.write(f"{ghost}  1.0 2.0\n")
        for stream in ("rgb", "flow"):
            shutil.copy(_feature_path(root, video, stream), _feature_path(root, ghost, stream))
        return CMCS_META / "thumos14-val-meta.mat", f"video {ghost!r}"
    raise AssertionError(kind)


BAD = ["missing-file", "wrong-key", "wrong-shape", "wrong-crops", "t-mismatch", "frame-cnt-mismatch", "nan",
       "pickle", "mask-missing", "mask-length", "not-in-meta"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_layout_fails_in_one_line_naming_the_file(tiny, tmp_path, kind):
    root = tmp_path / "THUMOS14_FEATURES"
    annotations = tmp_path / "annotations"
    shutil.copytree(tiny.features_root, root)
    shutil.copytree(tiny.annotations_dir, annotations)
    video = next(v for v in tiny.videos if v.startswith("video_validation_"))
    path, problem = _break(kind, root, annotations, video)
    out = tmp_path / "out"
    with pytest.raises(DataError) as info:
        prepare_cmcs_source("unt", root, annotations, tiny.meta_dir, out)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and problem in message
    assert not out.exists()  # nothing half-written


def test_a_file_changed_after_prepare_fails_on_load(tiny, tmp_path):
    root = tmp_path / "THUMOS14_FEATURES"
    shutil.copytree(tiny.features_root, root)
    out = tmp_path / "out"
    prepare_cmcs_source("unt", root, tiny.annotations_dir, tiny.meta_dir, out)
    video = next(v for v in tiny.videos if v.startswith("video_test_"))
    path = _feature_path(root, video)
    _rewrite(path, feature=np.load(path)["feature"][:-2])
    with pytest.raises(DataError, match="prepare the source again") as info:
        load_dataset(out).video(video).crops.load()
    assert str(path) in str(info.value)


def test_unknown_kind_and_missing_folder_are_one_line_errors(tiny, tmp_path):
    from wstal.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown CMCS feature kind 'c3d'"):
        prepare_cmcs_source("c3d", tiny.features_root, tiny.annotations_dir, tiny.meta_dir, tmp_path / "o")
    with pytest.raises(DataError, match="i3d feature folder not found"):
        prepare_cmcs_source("i3d", tiny.features_root, tiny.annotations_dir, tiny.meta_dir, tmp_path / "o")


# ------------------------------------------------------------------ the commands on a prepared folder


def test_train_and_evaluate_commands_run_on_the_prepared_folder_deterministically(layout, tmp_path):
    from wstal.cli import main

    _, prepared = layout
    logs = []
    for name in ("a", "b"):
        run = tmp_path / name
        assert main(["train", "--experiment", "cmcs_full", "--seed", "3", "--dataset", "thumos14", "--scale",
                     "smoke", "--data", str(prepared["unt"]), "--out", str(run), "--progress", "none"]) == 0
        logs.append((run / "train_log.jsonl").read_text())
    assert logs[0] == logs[1] and len(logs[0].splitlines()) == 4
    assert main(["evaluate", "--run", str(tmp_path / "a")]) == 0
    metrics = json.loads((tmp_path / "a" / "default" / "metrics.json").read_text())
    assert metrics["num_videos"] == 3 and metrics["config"]["sample_rate"] == 0


@pytest.mark.parametrize("change,problem", [
    (lambda index: "{not json", "not valid JSON"),
    (lambda index: {**index, "format": "other"}, "not a CMCS feature index"),
    (lambda index: {**index, "version": 9}, "unsupported index version 9"),
    (lambda index: {**index, "root": "/nonexistent/THUMOS14_FEATURES"}, "features root /nonexistent"),
    (lambda index: {**index, "videos": index["videos"][1:]}, "is not in the index"),
    (lambda index: {**index, "videos": [{**index["videos"][0], "fps": 0}] + index["videos"][1:]}, "must be positive"),
])
def test_a_bad_index_is_a_one_line_error(tiny, tmp_path, change, problem):
    out = tmp_path / "out"
    prepare_cmcs_source("unt", tiny.features_root, tiny.annotations_dir, tiny.meta_dir, out)
    path = out / "features.json"
    changed = change(json.loads(path.read_text()))
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed))
    with pytest.raises(DataError) as info:
        load_dataset(out)
    assert problem in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_prepared_folder_is_never_converted_into_a_copy(layout, tmp_path):
    from wstal.data.io import save_dataset

    _, prepared = layout
    with pytest.raises(DataError, match="cannot be saved"):
        save_dataset(load_dataset(prepared["unt"]), tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
