"""The W-TALC reduced format: real annotation folders, round trips and one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from wstal.data.records import Dataset, Video
from wstal.data.reduced import read_reduced, write_reduced
from wstal.errors import DataError

CLASSES = ("Diving", "HighJump", "Shotput")


def small_dataset(dim: int = 6, seed: int = 0, motion: bool = True) -> Dataset:
    rng = np.random.default_rng(seed)
    videos = []
    for i, (subset, length) in enumerate([("validation", 9), ("validation", 5), ("test", 7), ("test", 12)]):
        videos.append(Video(
            name=f"video_{subset}_{i:07d}", subset=subset, duration=length * 0.64 + 0.1,
            features=rng.normal(size=(length, dim)).astype(np.float32),
            segments=np.array([[0.3, 1.7], [2.0, 2.0]]) if i % 2 == 0 else np.zeros((0, 2)),
            segment_labels=np.array([i % 3, 1], dtype=np.int64) if i % 2 == 0 else np.zeros(0, np.int64),
            labels=(i % 3, 1) if i % 2 == 0 else (2,),
            ambiguous=np.array([[0.5, 1.25]]) if subset == "test" else np.zeros((0, 2)),
            motion=rng.random(length).astype(np.float32) if motion else None,
        ))
    return Dataset(name="tiny", classes=CLASSES, videos=videos, feature_kind="unt", meta={"knob": 0.5})


def records(dataset: Dataset) -> list[tuple]:
    """Everything a Video holds, as plain comparable values."""
    return [(v.name, v.subset, v.duration, v.features.tolist(), v.segments.tolist(), v.segment_labels.tolist(),
             v.labels, v.ambiguous.tolist(), None if v.motion is None else v.motion.tolist()) for v in dataset.videos]


def fake_features(annotations: Path, out: Path, dim: int = 8, seed: int = 0) -> Path:
    """Features of the right length for a real annotation folder: T = round(duration * 25 / 16)."""
    durations = np.load(annotations / "duration.npy").reshape(-1)
    rng = np.random.default_rng(seed)
    array = np.empty(len(durations), dtype=object)
    for i, duration in enumerate(durations):
        array[i] = rng.normal(size=(max(1, round(duration * 25 / 16)), dim)).astype(np.float32)
    np.save(out, array, allow_pickle=True)
    return out


def test_round_trip_keeps_every_record(tmp_path):
    original = small_dataset()
    write_reduced(original, tmp_path / "ann", tmp_path / "features.npy")
    assert (tmp_path / "motion.npy").is_file()
    loaded = read_reduced(tmp_path / "ann", tmp_path / "features.npy")
    assert records(loaded) == records(original)
    assert (loaded.name, loaded.classes, loaded.feature_kind, loaded.snippet_seconds) == \
        ("tiny", CLASSES, "unt", original.snippet_seconds)
    assert loaded.meta["knob"] == 0.5 and loaded.features_loaded
    assert all(v.features.dtype == np.float32 and v.features.flags.c_contiguous for v in loaded.videos)


def test_equal_length_videos_and_plain_3d_feature_array(tmp_path):
    dataset = small_dataset(motion=False)
    write_reduced(dataset, tmp_path / "ann")
    stacked = np.random.default_rng(1).normal(size=(4, 5, 6)).astype(np.float64)  # np.save of equal lengths
    np.save(tmp_path / "stacked.npy", stacked)
    loaded = read_reduced(tmp_path / "ann", tmp_path / "stacked.npy")
    np.testing.assert_allclose(loaded.videos[2].features, stacked[2].astype(np.float32))
    assert loaded.videos[2].features.dtype == np.float32


def test_annotation_only_dataset(tmp_path):
    write_reduced(small_dataset(), tmp_path / "ann", tmp_path / "features.npy")
    loaded = read_reduced(tmp_path / "ann")
    assert not loaded.features_loaded
    assert all(v.features.shape == (0, 0) and v.motion is None for v in loaded.videos)
    with pytest.raises(DataError, match="annotation-only"):
        write_reduced(loaded, tmp_path / "again", tmp_path / "again.npy")


def test_real_thumos14_with_generated_features(thumos_reduced, tmp_path):
    features = fake_features(thumos_reduced, tmp_path / "Thumos14reduced-I3D-JOINTFeatures.npy")
    ds = read_reduced(thumos_reduced, features)
    assert (ds.name, ds.num_classes, len(ds.videos), ds.feature_dim) == ("Thumos14reduced", 20, 412, 8)
    assert (ds.train_subset, ds.test_subset, ds.snippet_seconds) == ("validation", "test", 16 / 25)
    assert (len(ds.train_videos), len(ds.test_videos)) == (200, 212)
    assert sum(len(v.segments) for v in ds.train_videos) == 3007
    assert sum(len(v.segments) for v in ds.test_videos) == 3358
    assert sum(len(v.labels) > 1 for v in ds.train_videos) == 21
    assert sum(len(v.labels) > 1 for v in ds.test_videos) == 30
    ambiguous_videos = [v for v in ds.videos if len(v.ambiguous)]
    assert len(ambiguous_videos) == 36 and sum(len(v.ambiguous) for v in ambiguous_videos) == 96
    assert ds.meta["ambiguous_videos_not_in_dataset"] == ["video_test_0001292"]  # its 3 rows: not one of the 212
    broken = ds.video("video_test_0000270")
    assert broken.labels == () and len(broken.segments) == 29  # known-bad, kept as in the source
    assert ds.videos[0].duration == pytest.approx(float(np.load(thumos_reduced / "duration.npy")[0, 0]))
    assert ds.classes[ds.video("video_test_0001496").labels[0]] == "FrisbeeCatch"


def test_real_activitynet12_annotations(anet12_annotations):
    ds = read_reduced(anet12_annotations)
    assert (ds.train_subset, ds.test_subset, ds.num_classes) == ("training", "validation", 100)
    assert (len(ds.train_videos), len(ds.test_videos)) == (4819, 2383)
    assert sum(len(v.segments) for v in ds.test_videos) == 3582
    assert sum(len(v.labels) > 1 for v in ds.videos) == 10
    assert not ds.features_loaded


def _written(tmp_path: Path, dataset: Dataset | None = None) -> tuple[Path, Path]:
    write_reduced(dataset or small_dataset(motion=False), tmp_path / "ann", tmp_path / "features.npy")
    return tmp_path / "ann", tmp_path / "features.npy"


def _assert_one_line(exc: pytest.ExceptionInfo, path: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message and str(path) in message, message


@pytest.mark.parametrize("name", ["classlist", "videoname", "subset", "duration", "segments", "labels",
                                  "labels_all"])
def test_missing_annotation_file(tmp_path, name):
    ann, features = _written(tmp_path)
    (ann / f"{name}.npy").unlink()
    with pytest.raises(DataError, match="required file is missing") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, ann / f"{name}.npy")


def test_missing_ambiguous_file_and_features(tmp_path):
    ann, features = _written(tmp_path)
    with pytest.raises(DataError, match="file not found") as exc:
        read_reduced(ann, tmp_path / "absent.npy")
    _assert_one_line(exc, tmp_path / "absent.npy")
    (ann / "Ambiguous_test.txt").unlink()
    with pytest.raises(DataError, match="required file is missing"):
        read_reduced(ann, features)


def test_feature_rows_must_match_annotations(tmp_path):
    ann, features = _written(tmp_path)
    array = np.load(features, allow_pickle=True)
    np.save(features, array[:3], allow_pickle=True)
    with pytest.raises(DataError, match="3 feature rows but the annotations have 4 videos") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, features)


def test_wrong_feature_width(tmp_path):
    ann, features = _written(tmp_path)
    array = np.load(features, allow_pickle=True)
    array[2] = np.zeros((array[2].shape[0], 4), np.float32)
    np.save(features, array, allow_pickle=True)
    with pytest.raises(DataError, match="feature width 4 != 6") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, features)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_non_finite_features(tmp_path, bad):
    ann, features = _written(tmp_path)
    array = np.load(features, allow_pickle=True)
    array[1] = array[1].astype(np.float64)
    array[1][3, 2] = bad
    np.save(features, array, allow_pickle=True)
    with pytest.raises(DataError, match="NaN/Inf \\(first at snippet 3\\)") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, features)


def test_inverted_segment(tmp_path):
    ann, features = _written(tmp_path)
    segments = np.load(ann / "segments.npy", allow_pickle=True)
    segments[0] = [[1.7, 0.3], [2.0, 2.0]]
    np.save(ann / "segments.npy", segments, allow_pickle=True)
    with pytest.raises(DataError, match="end < start") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, features)


@pytest.mark.parametrize("file", ["labels", "labels_all"])
def test_unknown_class_name(tmp_path, file):
    ann, features = _written(tmp_path)
    labels = np.load(ann / f"{file}.npy", allow_pickle=True)
    labels[2] = ["Diving", "Skateboarding"]
    np.save(ann / f"{file}.npy", labels, allow_pickle=True)
    with pytest.raises(DataError, match="unknown class name 'Skateboarding'") as exc:
        read_reduced(ann, features)
    _assert_one_line(exc, ann / f"{file}.npy")


def test_labels_not_aligned_with_segments(tmp_path):
    ann, features = _written(tmp_path)
    labels = np.load(ann / "labels.npy", allow_pickle=True)
    labels[0] = ["Diving"]
    np.save(ann / "labels.npy", labels, allow_pickle=True)
    with pytest.raises(DataError, match="1 labels for 2 segments"):
        read_reduced(ann, features)


def test_unknown_subsets_without_meta(tmp_path):
    ann, features = _written(tmp_path)
    (ann / "wstal_meta.json").unlink()
    read_reduced(ann, features)  # validation/test: recognised as THUMOS'14
    np.save(ann / "subset.npy", np.array([b"train", b"train", b"val", b"val"]))
    with pytest.raises(DataError, match="cannot tell train/test subsets"):
        read_reduced(ann, features)


def test_bad_ambiguous_line(tmp_path):
    ann, features = _written(tmp_path)
    (ann / "Ambiguous_test.txt").write_text("video_test_0000002  1.0\n")
    with pytest.raises(DataError, match="line 1: expected 'video start end'"):
        read_reduced(ann, features)


def test_malicious_feature_file_is_refused(tmp_path):
    ann, features = _written(tmp_path)
    array = np.load(features, allow_pickle=True)
    array[0] = shutil.rmtree  # a global that is not data: refused by name, never resolved
    np.save(features, array, allow_pickle=True)
    with pytest.raises(DataError, match="refused to unpickle global 'shutil.rmtree'.*--trust-pickle"):
        read_reduced(ann, features)
