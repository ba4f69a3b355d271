"""The pickle-free `wstal` format, format detection (`wstal.data.io`) and `wstal convert`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from wstal.cli import main as wstal_main
from wstal.data.io import detect_format, load_dataset, save_dataset
from wstal.data.native import read_native, write_native
from wstal.data.records import Dataset, Video
from wstal.data.reduced import read_reduced, write_reduced
from wstal.errors import DataError

CLASSES = ("Diving", "HighJump", "Shotput")


def small_dataset(seed: int = 0, motion: bool = True) -> Dataset:
    rng = np.random.default_rng(seed)
    videos = [
        Video(name=f"video_{subset}_{i}", subset=subset, duration=length * 0.64,
              features=rng.normal(size=(length, 4)).astype(np.float32),
              segments=np.array([[0.1 * i, 1.0 + i]]), segment_labels=np.array([i % 3], dtype=np.int64),
              labels=(i % 3,), ambiguous=np.array([[0.25, 0.5]]) if subset == "test" else np.zeros((0, 2)),
              motion=rng.random(length).astype(np.float32) if motion else None)
        for i, (subset, length) in enumerate([("validation", 6), ("validation", 3), ("test", 8)])
    ]
    return Dataset(name="tiny", classes=CLASSES, videos=videos, snippet_seconds=0.4, meta={"seed": seed})


def records(dataset: Dataset) -> list[tuple]:
    return [(v.name, v.subset, v.duration, v.features.tolist(), v.segments.tolist(), v.segment_labels.tolist(),
             v.labels, v.ambiguous.tolist(), None if v.motion is None else v.motion.tolist()) for v in dataset.videos]


def header(dataset: Dataset) -> tuple:
    return (dataset.name, dataset.classes, dataset.snippet_seconds, dataset.feature_kind, dataset.train_subset,
            dataset.test_subset, dataset.features_loaded)


def test_round_trip(tmp_path):
    original = small_dataset()
    write_native(original, tmp_path / "ds")
    with zipfile.ZipFile(tmp_path / "ds" / "features.npz") as archive:
        assert sorted(archive.namelist()) == ["features.npy", "motion.npy", "offsets.npy"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    loaded = read_native(tmp_path / "ds")
    assert records(loaded) == records(original) and header(loaded) == header(original)
    assert loaded.meta["seed"] == 0 and loaded.meta["source_format"] == "wstal"
    base = loaded.videos[0].features.base
    assert all(v.features.base is base for v in loaded.videos)  # views into one contiguous array
    assert isinstance(base, np.memmap) and loaded.videos[0].features.flags.writeable  # copy-on-write map
    in_memory = read_native(tmp_path / "ds", mmap=False)
    assert records(in_memory) == records(original) and not isinstance(in_memory.videos[0].features.base, np.memmap)


def test_memory_map_is_copy_on_write(tmp_path):
    original = small_dataset()
    write_native(original, tmp_path / "ds")
    before = (tmp_path / "ds" / "features.npz").read_bytes()
    mapped = read_native(tmp_path / "ds", mmap=True)
    mapped.videos[2].features[:] = 0.0  # a method normalising features in place must not touch the file
    assert (tmp_path / "ds" / "features.npz").read_bytes() == before
    assert records(read_native(tmp_path / "ds")) == records(original)


def test_no_pickle_anywhere(tmp_path):
    write_native(small_dataset(), tmp_path / "ds")
    with np.load(tmp_path / "ds" / "features.npz", allow_pickle=False) as npz:
        assert {npz[k].dtype for k in npz.files} == {np.dtype(np.float32), np.dtype(np.int64)}


def test_annotation_only_round_trip(tmp_path):
    write_native(small_dataset(), tmp_path / "full")
    annotations = read_native(tmp_path / "full")
    write_reduced(annotations, tmp_path / "ann")
    only = read_reduced(tmp_path / "ann")
    write_native(only, tmp_path / "only")
    assert not (tmp_path / "only" / "features.npz").exists()
    again = read_native(tmp_path / "only")
    assert not again.features_loaded and [v.segments.tolist() for v in again.videos] == \
        [v.segments.tolist() for v in annotations.videos]


def _edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("change,problem", [
    (lambda d: d.update(format="something"), "not a wstal dataset"),
    (lambda d: d.update(version=99), "unsupported format version 99"),
    (lambda d: d.pop("classes"), "field 'classes' missing"),
    (lambda d: d["videos"][1].update(segment_labels=["Skating"]), "unknown class name 'Skating'"),
    (lambda d: d["videos"][1].update(duration="long"), "field 'duration' missing or not int/float"),
    (lambda d: d["videos"][2].update(segments=[[3.0, 1.0]]), "end < start"),
    (lambda d: d["videos"][2].update(segments=[[1.0, 2.0, 3.0]]), "expected \\[start, end\\] pairs"),
    (lambda d: d["videos"].append(dict(d["videos"][0])), "features.npz: offsets must be int64 of shape \\(5,\\)"),
    (lambda d: d["videos"][1].update(name=d["videos"][0]["name"]), "duplicated video name"),
    (lambda d: d.update(snippet_seconds=-1), "snippet_seconds must be positive"),
])
def test_bad_annotations(tmp_path, change, problem):
    write_native(small_dataset(), tmp_path / "ds")
    _edit_json(tmp_path / "ds" / "annotations.json", change)
    with pytest.raises(DataError, match=problem) as exc:
        read_native(tmp_path / "ds")
    assert "\n" not in str(exc.value) and str(tmp_path / "ds") in str(exc.value)


@pytest.mark.parametrize("arrays,problem", [
    (lambda a: a.update(features=a["features"].astype(np.float64)), "features must be float32"),
    (lambda a: a.update(offsets=a["offsets"][::-1].copy()), "offsets must rise from 0"),
    (lambda a: a.pop("offsets"), "missing array 'offsets'"),
    (lambda a: a.update(motion=a["motion"][:-1]), "motion must be float32 of shape"),
    (lambda a: a["features"].__setitem__((4, 1), np.nan), "video 'video_validation_0'.*NaN/Inf"),
])
def test_bad_feature_arrays(tmp_path, arrays, problem):
    write_native(small_dataset(), tmp_path / "ds")
    path = tmp_path / "ds" / "features.npz"
    with np.load(path) as npz:
        content = {k: npz[k] for k in npz.files}
    arrays(content)
    np.savez(path, **content)
    with pytest.raises(DataError, match=problem):
        read_native(tmp_path / "ds")


def test_pickled_member_is_refused(tmp_path):
    write_native(small_dataset(), tmp_path / "ds")
    path = tmp_path / "ds" / "features.npz"
    with np.load(path) as npz:
        content = {k: npz[k] for k in npz.files}
    content["features"] = np.array([content["features"]], dtype=object)
    np.savez(path, **content)
    for mmap in (False, None, True):
        with pytest.raises(DataError, match="features.npy holds Python objects"):
            read_native(tmp_path / "ds", mmap=mmap)
    np.savez_compressed(path, **content)  # compressed members go through NumPy's reader: still no pickle
    with pytest.raises(DataError, match="corrupt or truncated .npz.*allow_pickle"):
        read_native(tmp_path / "ds", mmap=False)


def test_compressed_archive_reads_but_does_not_map(tmp_path):
    original = small_dataset()
    write_native(original, tmp_path / "ds")
    path = tmp_path / "ds" / "features.npz"
    with np.load(path) as npz:
        content = {k: npz[k] for k in npz.files}
    np.savez_compressed(path, **content)
    assert records(read_native(tmp_path / "ds")) == records(original)  # default: read what cannot be mapped
    with pytest.raises(DataError, match="compressed and cannot be memory-mapped"):
        read_native(tmp_path / "ds", mmap=True)


def test_crc_check_catches_a_flipped_feature_byte(tmp_path):
    write_native(small_dataset(), tmp_path / "ds")
    path = tmp_path / "ds" / "features.npz"
    assert read_native(tmp_path / "ds", check_crc=True).features_loaded
    raw = bytearray(path.read_bytes())
    position = raw.index(b"features.npy") + 200  # inside the float data of the first member
    raw[position] ^= 0x01
    path.write_bytes(bytes(raw))
    read_native(tmp_path / "ds")  # a flipped low bit is still a finite float: only the CRC can tell
    with pytest.raises(DataError, match="CRC mismatch"):
        read_native(tmp_path / "ds", check_crc=True)


@pytest.mark.parametrize("mmap", [False, None, True])
def test_truncated_features(tmp_path, mmap):
    write_native(small_dataset(), tmp_path / "ds")
    path = tmp_path / "ds" / "features.npz"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="features.npz"):
        read_native(tmp_path / "ds", mmap=mmap)
    path.unlink()
    with pytest.raises(DataError, match="file not found"):
        read_native(tmp_path / "ds", mmap=mmap)


def test_detect_and_load_each_format(tmp_path):
    dataset = small_dataset()
    save_dataset(dataset, tmp_path / "w")
    save_dataset(dataset, tmp_path / "r", fmt="reduced")
    assert (detect_format(tmp_path / "w"), detect_format(tmp_path / "r")) == ("wstal", "reduced")
    assert records(load_dataset(tmp_path / "w")) == records(dataset)
    assert records(load_dataset(tmp_path / "r")) == records(dataset)  # features.npy + motion.npy inside
    root = tmp_path / "root"
    (tmp_path / "r").rename(tmp_path / "Tiny-Annotations")
    root.mkdir()
    (tmp_path / "Tiny-Annotations").rename(root / "Tiny-Annotations")
    (root / "Tiny-Annotations" / "features.npy").rename(root / "Tiny-I3D-JOINTFeatures.npy")
    assert detect_format(root) == "reduced-root"
    loaded = load_dataset(root)
    assert loaded.features_loaded and records(loaded)[0][3] == records(dataset)[0][3]
    with pytest.raises(DataError, match="unknown dataset format"):
        load_dataset(tmp_path)
    with pytest.raises(DataError, match="--features applies to the reduced format only"):
        load_dataset(tmp_path / "w", tmp_path / "x.npy")
    with pytest.raises(DataError, match="dataset path not found"):
        load_dataset(tmp_path / "absent")
    with pytest.raises(Exception, match="unknown dataset format 'hdf5'"):
        save_dataset(dataset, tmp_path / "h", fmt="hdf5")


def test_convert_real_thumos14_and_back(thumos_reduced, tmp_path, capsys):
    assert wstal_main(["convert", str(thumos_reduced), str(tmp_path / "wstal")]) == 0
    assert wstal_main(["convert", str(tmp_path / "wstal"), str(tmp_path / "back"), "--to", "reduced"]) == 0
    assert "412 videos, 20 classes, annotations only" in capsys.readouterr().out
    original = read_reduced(thumos_reduced)
    via_native = read_native(tmp_path / "wstal")
    back = read_reduced(tmp_path / "back")
    assert records(via_native) == records(original) == records(back)
    assert header(via_native) == header(original) and header(back)[1:] == header(original)[1:]
    for name in ("classlist", "videoname", "subset", "duration"):  # plain arrays: byte-for-byte the same data
        mine, theirs = np.load(tmp_path / "back" / f"{name}.npy"), np.load(thumos_reduced / f"{name}.npy")
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


def test_convert_with_features_and_errors(tmp_path, capsys):
    write_reduced(small_dataset(), tmp_path / "ann", tmp_path / "feat" / "f.npy")
    assert wstal_main(["convert", str(tmp_path / "ann"), str(tmp_path / "out"),
                       "--features", str(tmp_path / "feat" / "f.npy")]) == 0
    assert "17 snippets x 4 features" in capsys.readouterr().out
    assert records(read_native(tmp_path / "out")) == records(small_dataset())
    assert wstal_main(["convert", str(tmp_path / "nothing"), str(tmp_path / "out2")]) == 2
    assert "dataset path not found" in capsys.readouterr().err
