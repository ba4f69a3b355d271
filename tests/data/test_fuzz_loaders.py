"""Fuzzed loaders: every corrupt annotation, feature or prediction file ends in a one-line WstalError.

Each test starts from a valid file set, applies one hypothesis-drawn corruption and
requires either a `WstalError` whose single-line message names a file of the dataset,
or (only for corruptions that can leave the data valid) a dataset that passes
validation. Corruptions that always make the data wrong (NaN, inverted or huge
segments, unknown labels, empty videos, duplicated or non-UTF-8 names, truncated
binaries) must raise: a load that succeeds there would be a silently wrong number.
Run with `--hypothesis-show-statistics` to see how many cases each test tried.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wstal.data.io import load_dataset, save_dataset
from wstal.data.records import Dataset, Video
from wstal.errors import WstalError

CLASSES = ("Diving", "HighJump", "Shotput")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_KIND = settings(FUZZ, max_examples=12)  # x 12 corruption kinds per format
CASES: Counter = Counter()  # cases tried per loader, printed at the end of the module


def _dataset() -> Dataset:
    rng = np.random.default_rng(3)
    videos = []
    for i, (subset, length) in enumerate([("validation", 7), ("validation", 4), ("test", 6), ("test", 9)]):
        videos.append(Video(
            name=f"video_{subset}_{i}", subset=subset, duration=length * 0.64,
            features=rng.normal(size=(length, 4)).astype(np.float32),
            segments=np.array([[0.2, 1.5], [1.6, 2.4]]), segment_labels=np.array([i % 3, 0], dtype=np.int64),
            labels=tuple(sorted({i % 3, 0})),
            ambiguous=np.array([[0.1, 0.3]]) if subset == "test" else np.zeros((0, 2)),
            motion=rng.random(length).astype(np.float32),
        ))
    return Dataset(name="fuzz", classes=CLASSES, videos=videos)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz-templates")
    save_dataset(_dataset(), root / "reduced", fmt="reduced")
    save_dataset(_dataset(), root / "wstal", fmt="wstal")
    yield {"reduced": root / "reduced", "wstal": root / "wstal"}
    print(f"\nfuzz cases tried: {dict(CASES)} (total {sum(CASES.values())})")


def _copy(template: Path, work: Path) -> Path:
    target = work / template.name
    shutil.copytree(template, target)
    return target


def _assert_clean_error(folder: Path, must_fail: bool, what: str) -> None:
    """Load `folder`: a one-line WstalError naming a file in it, or (if allowed) a valid dataset."""
    try:
        dataset = load_dataset(folder)
    except WstalError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert str(folder) in message, f"error does not name a file of {folder}: {message}"
        CASES[what + ":error"] += 1
        return
    assert not must_fail, f"{what}: corrupt data loaded without an error"
    CASES[what + ":loaded"] += 1
    assert dataset.videos  # loaded datasets went through validate_dataset


def _save_object_array(path: Path, items: list) -> None:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    np.save(path, array, allow_pickle=True)


# ----------------------------------------------------------------------------- reduced annotations

BAD_NUMBERS = st.sampled_from([np.nan, np.inf, -np.inf, -1.0, -1e9, 1e6, 1e300])
REDUCED_FILES = ["classlist", "videoname", "subset", "duration", "segments", "labels", "labels_all", "features",
                 "motion"]


REDUCED_KINDS = ["truncate", "bad_time", "inverted", "unknown_label", "duplicate_name", "non_utf8_name",
                 "empty_video", "wrong_dtype", "wrong_shape", "garbage", "nan_feature", "label_count"]


@pytest.mark.parametrize("kind", REDUCED_KINDS)
@PER_KIND
@given(row=st.integers(0, 3), cut=st.integers(0, 10**6), number=BAD_NUMBERS, file=st.sampled_from(REDUCED_FILES),
       garbage=st.binary(max_size=64))
def test_reduced_loader(templates, kind, row, cut, number, file, garbage):
    with tempfile.TemporaryDirectory() as work:
        folder = _copy(templates["reduced"], Path(work))
        path = folder / f"{file}.npy"
        must_fail = True
        if kind == "truncate":
            raw = path.read_bytes()
            path.write_bytes(raw[: cut % len(raw)])
        elif kind == "garbage":
            path.write_bytes(garbage)
        elif kind in ("bad_time", "inverted"):
            segments = np.load(folder / "segments.npy", allow_pickle=True)
            start, end = segments[row][1]
            segments[row][1] = [end, start] if kind == "inverted" else [start, number]  # all bad: NaN, Inf,
            # negative, or an end beyond 10x the duration (videos here are < 6 s)
            _save_object_array(folder / "segments.npy", list(segments))
        elif kind == "unknown_label":
            target = "labels" if cut % 2 else "labels_all"
            labels = np.load(folder / f"{target}.npy", allow_pickle=True)
            labels[row] = [*labels[row][:-1], "NotAClass"]
            _save_object_array(folder / f"{target}.npy", list(labels))
        elif kind in ("duplicate_name", "non_utf8_name"):
            names = np.load(folder / "videoname.npy")
            names[row] = names[(row + 1) % 4] if kind == "duplicate_name" else b"video_\xff\xfe"
            np.save(folder / "videoname.npy", names)
        elif kind == "empty_video":
            features = np.load(folder / "features.npy", allow_pickle=True)
            features[row] = np.zeros((0, 4), np.float32)
            _save_object_array(folder / "features.npy", list(features))
        elif kind == "nan_feature":
            features = np.load(folder / "features.npy", allow_pickle=True)
            entry = features[row].astype(np.float64)
            entry[cut % entry.shape[0], cut % 4] = number if not np.isfinite(number) or abs(number) > 1e39 else np.nan
            features[row] = entry
            _save_object_array(folder / "features.npy", list(features))
        elif kind == "wrong_dtype":
            original = np.load(path, allow_pickle=True)
            replacement = np.array(["x"] * len(original)) if cut % 2 else np.full(len(original), 1 + 2j)
            if original.dtype == object:
                replacement = replacement.astype(object)
            if file in ("subset", "videoname", "classlist") and cut % 2:
                replacement = np.full(len(original), 7, dtype=np.int64)
            np.save(path, replacement, allow_pickle=True)
        elif kind == "wrong_shape":
            original = np.load(path, allow_pickle=True)
            if original.dtype == object:
                _save_object_array(path, list(original)[: 4 - 1 - row % 3] if cut % 2 else [np.zeros((2, 3, 4))] * 4)
            else:
                np.save(path, np.repeat(original.reshape(len(original), -1), 3, axis=1))
        elif kind == "label_count":
            labels = np.load(folder / "labels.npy", allow_pickle=True)
            labels[row] = list(labels[row]) + ["Diving"]
            _save_object_array(folder / "labels.npy", list(labels))
        _assert_clean_error(folder, must_fail, f"reduced/{kind}")


# ----------------------------------------------------------------------------- wstal (native) format


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
VIDEO_FIELDS = ["name", "subset", "duration", "segments", "segment_labels", "labels", "ambiguous"]


@FUZZ
@given(video=st.integers(0, 3), field=st.sampled_from(VIDEO_FIELDS), value=JSON_VALUES)
def test_native_annotation_fields(templates, video, field, value):
    """Any JSON value in any video field: loads validly or fails cleanly."""
    with tempfile.TemporaryDirectory() as work:
        folder = _copy(templates["wstal"], Path(work))
        doc = json.loads((folder / "annotations.json").read_text())
        doc["videos"][video][field] = value
        (folder / "annotations.json").write_text(json.dumps(doc))
        _assert_clean_error(folder, must_fail=False, what="wstal/field")


NATIVE_KINDS = ["truncate_json", "truncate_npz", "non_utf8", "nan_json", "huge", "inverted", "negative",
                "unknown_label", "duplicate", "garbage_npz", "flip_byte_npz", "nested"]


@pytest.mark.parametrize("kind", NATIVE_KINDS)
@PER_KIND
@given(video=st.integers(0, 3), cut=st.integers(0, 10**6), garbage=st.binary(max_size=200))
def test_native_loader(templates, kind, video, cut, garbage):
    with tempfile.TemporaryDirectory() as work:
        folder = _copy(templates["wstal"], Path(work))
        ann, npz = folder / "annotations.json", folder / "features.npz"
        doc = json.loads(ann.read_text())
        entry = doc["videos"][video]
        must_fail = True
        if kind == "truncate_json":
            raw = ann.read_bytes()
            ann.write_bytes(raw[: cut % len(raw)])
        elif kind == "truncate_npz":
            raw = npz.read_bytes()
            npz.write_bytes(raw[: cut % len(raw)])
        elif kind == "flip_byte_npz":  # a flipped byte may land in float data: any value is valid there
            raw = bytearray(npz.read_bytes())
            raw[cut % len(raw)] ^= 0xFF
            npz.write_bytes(bytes(raw))
            must_fail = False
        elif kind == "garbage_npz":
            npz.write_bytes(garbage)
        elif kind == "non_utf8":
            ann.write_bytes(ann.read_bytes().replace(entry["name"].encode(), b"video_\xff\xfe", 1))
        elif kind == "nested":
            ann.write_bytes(b"[" * (5000 + cut % 1000) + b"]" * (5000 + cut % 1000))
        else:
            if kind == "nan_json":
                entry["segments"][0][1] = float("nan")
            elif kind == "huge":
                entry["segments"][0][1] = 1e300
            elif kind == "inverted":
                entry["segments"][0] = entry["segments"][0][::-1]
            elif kind == "negative":
                entry["segments"][0][0] = -0.5
            elif kind == "unknown_label":
                entry["labels"] = ["NotAClass"]
            elif kind == "duplicate":
                entry["name"] = doc["videos"][(video + 1) % 4]["name"]
            ann.write_text(json.dumps(doc))  # json writes NaN as NaN: the reader must refuse it
        _assert_clean_error(folder, must_fail, f"wstal/{kind}")


# ----------------------------------------------------------------------------- predictions

PREDICTION_ROWS = st.fixed_dictionaries({
    "label": st.sampled_from([*CLASSES, 3, None]),
    "score": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=3)),
    "segment": st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=3),
                         st.text(max_size=3)),
})


def _valid_row(row: dict) -> bool:
    segment = row["segment"]
    numbers = [row["score"], *segment] if isinstance(segment, list) else []
    return (isinstance(row["label"], str) and isinstance(segment, list) and len(segment) == 2
            and all(isinstance(x, (int, float)) and np.isfinite(x) for x in numbers) and segment[1] >= segment[0])


@FUZZ
@given(results=st.dictionaries(st.text(max_size=6), st.lists(PREDICTION_ROWS, max_size=3), max_size=3),
       mangle=st.sampled_from(["none", "truncate", "non_utf8"]), cut=st.integers(0, 10**4))
def test_prediction_loader(results, mangle, cut):
    load_predictions = pytest.importorskip("wstal.evaluate").load_predictions
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "predictions.json"
        raw = json.dumps({"results": results}).encode()
        if mangle == "truncate":
            raw = raw[: cut % len(raw)]
        elif mangle == "non_utf8":
            raw = raw.replace(b"{", b"{\"\xff\xfe\": 1, ", 1)
        elif mangle == "nested":
            raw = b"[" * (2000 + cut) + b"]" * (2000 + cut)
        path.write_bytes(raw)
        all_valid = all(_valid_row(row) for rows in results.values() for row in rows)
        try:
            loaded = load_predictions(path)
        except WstalError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            CASES["predictions:error"] += 1
            assert not (mangle == "none" and all_valid), f"valid predictions refused: {exc}"
            return
        CASES["predictions:loaded"] += 1
        assert mangle == "none" and all_valid, "corrupt predictions loaded without an error"
        assert loaded == {"results": results}


def test_prediction_loader_deeply_nested_json(tmp_path):
    load_predictions = pytest.importorskip("wstal.evaluate").load_predictions
    path = tmp_path / "predictions.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(WstalError, match="predictions.json"):
        load_predictions(path)
