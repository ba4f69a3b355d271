"""The W-TALC "reduced" format (W-TALC, CO2-Net, FAC-Net, RSKP, 3C-Net).

An annotation folder of `.npy` arrays in one row order (`classlist`, `videoname`,
`subset`, `duration`, `segments`, `labels`, `labels_all`) plus `Ambiguous_test.txt`,
and one features `.npy` object array of `[T_v, D]` (RGB | flow) in the same row order.
Every pickled file goes through `wstal.data.safe_pickle`, so reading never runs code.

Quirks handled here (found in the released annotation folders): names are bytes in the THUMOS'14
and ActivityNet-1.2 folders and str in ActivityNet-1.3; `duration` is (N,1) for THUMOS'14
and (N,) for ActivityNet; `labels_all` may differ from the segment labels and may be
empty (`video_test_0000270`); the ambiguous file has two spaces after the video name.

Our additions, ignored by the other codebases: `wstal_meta.json` in the annotation
folder (name, snippet seconds, feature kind, subsets, generator meta) so that synthetic
data round-trips, and `motion.npy` beside the features file (per-video motion, CMCS).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from wstal.data.records import SNIPPET_SECONDS, Dataset, Video, as_intervals, validate_dataset
from wstal.data.safe_pickle import load_npy
from wstal.errors import DataError
from wstal.registry import Registry
from wstal.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from wstal.utils.jsonfile import loads_strict

ANNOTATION_FILES = ("classlist", "videoname", "subset", "duration", "segments", "labels", "labels_all")
AMBIGUOUS_FILE = "Ambiguous_test.txt"
META_FILE = "wstal_meta.json"
MOTION_FILE = "motion.npy"


@dataclass(frozen=True)
class ReducedVariant:
    """Which subset trains and which tests, recognised from the subset names in the file."""

    name: str
    train_subset: str
    test_subset: str
    snippet_seconds: float = SNIPPET_SECONDS


VARIANTS: Registry[ReducedVariant] = Registry("reduced-format variant")
VARIANTS.register("thumos14")(ReducedVariant("thumos14", "validation", "test"))
VARIANTS.register("activitynet")(ReducedVariant("activitynet", "training", "validation"))


def detect_variant(subsets: set[str], source: Path) -> ReducedVariant:
    for _, variant in VARIANTS.items():
        if subsets <= {variant.train_subset, variant.test_subset}:
            return variant
    expected = "; ".join(f"{n}: {v.train_subset}/{v.test_subset}" for n, v in VARIANTS.items())
    raise DataError(source, f"cannot tell train/test subsets from subset names {sorted(subsets)} (expected {expected})")


# ----------------------------------------------------------------------------- reading


def read_reduced(
    annotations_dir: str | Path,
    features_path: str | Path | None = None,
    *,
    trust_pickle: bool = False,
    name: str | None = None,
) -> Dataset:
    """Read an annotation folder (+ features file) into a validated `Dataset`.

    Without `features_path` the result is annotation-only (`features_loaded=False`, every
    video holds a `[0, 0]` feature array): enough for the evaluator and for conversion.
    """
    folder = Path(annotations_dir)
    if not folder.is_dir():
        raise DataError(folder, "annotation folder not found")
    arrays = {key: load_npy(_require(folder / f"{key}.npy"), trust_pickle=trust_pickle) for key in ANNOTATION_FILES}
    classes = tuple(_strings(arrays["classlist"], folder / "classlist.npy", "class name"))
    if not classes:
        raise DataError(folder / "classlist.npy", "class list is empty")
    if len(set(classes)) != len(classes):
        raise DataError(folder / "classlist.npy", "class list has duplicate names")
    class_ids = {c: i for i, c in enumerate(classes)}
    names = _strings(arrays["videoname"], folder / "videoname.npy", "video name")
    count = len(names)
    subsets = _strings(_rows(arrays["subset"], count, folder / "subset.npy"), folder / "subset.npy", "subset")
    durations = _durations(arrays["duration"], count, folder / "duration.npy")
    segments = _rows(arrays["segments"], count, folder / "segments.npy")
    seg_labels = _rows(arrays["labels"], count, folder / "labels.npy")
    labels_all = _rows(arrays["labels_all"], count, folder / "labels_all.npy")
    stored = _read_meta(folder / META_FILE)
    variant = detect_variant(set(subsets), folder / "subset.npy") if stored is None else None
    ambiguous = _read_ambiguous(_require(folder / AMBIGUOUS_FILE), set(names))
    features = motion = None
    if features_path is not None:
        features = _read_features(Path(features_path), count, trust_pickle)
        motion_path = Path(features_path).parent / MOTION_FILE
        motion = _read_motion(motion_path, count, trust_pickle) if motion_path.is_file() else None

    videos = []
    for row, video_name in enumerate(names):
        where = f"video {video_name!r} (row {row})"
        intervals = as_intervals(_list(segments[row], folder / "segments.npy", where), f"{where} segments",
                                 str(folder / "segments.npy"))
        seg_names = _strings(_list(seg_labels[row], folder / "labels.npy", where), folder / "labels.npy", where)
        if len(seg_names) != len(intervals):
            raise DataError(folder / "labels.npy", f"{where}: {len(seg_names)} labels for {len(intervals)} segments")
        weak_names = _strings(_list(labels_all[row], folder / "labels_all.npy", where), folder / "labels_all.npy",
                              where)
        videos.append(Video(
            name=video_name,
            subset=subsets[row],
            duration=durations[row],
            features=features[row] if features is not None else np.zeros((0, 0), np.float32),
            segments=intervals,
            segment_labels=np.array([_class_id(class_ids, c, folder / "labels.npy", where) for c in seg_names],
                                    dtype=np.int64),
            labels=tuple(dict.fromkeys(_class_id(class_ids, c, folder / "labels_all.npy", where)
                                       for c in weak_names)),
            ambiguous=as_intervals(ambiguous.get(video_name, []), f"{where} ambiguous", str(folder / AMBIGUOUS_FILE)),
            motion=motion[row] if motion is not None else None,
        ))

    meta: dict[str, Any] = dict(stored["meta"]) if stored is not None else {}
    meta.update(source_format="reduced", annotations=str(folder),
                features=None if features_path is None else str(features_path))
    unknown_ambiguous = sorted(set(ambiguous) - set(names))
    if unknown_ambiguous:  # THUMOS'14: video_test_0001292 has only ambiguous GT and is not in the 212
        meta["ambiguous_videos_not_in_dataset"] = unknown_ambiguous
    dataset = Dataset(
        name=name or (stored["name"] if stored else folder.name.removesuffix("-Annotations")),
        classes=classes,
        videos=videos,
        snippet_seconds=stored["snippet_seconds"] if stored else variant.snippet_seconds,
        feature_kind=stored["feature_kind"] if stored else "i3d",
        train_subset=stored["train_subset"] if stored else variant.train_subset,
        test_subset=stored["test_subset"] if stored else variant.test_subset,
        meta=meta,
        features_loaded=features is not None,
    )
    return validate_dataset(dataset, str(features_path if features is not None else folder))


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataError(path, "required file is missing")
    return path


def _rows(array: np.ndarray, count: int, path: Path) -> np.ndarray:
    """A per-video array: 1-D with one row per video name."""
    if array.ndim != 1:
        raise DataError(path, f"expected a 1-D array with one row per video, got shape {array.shape}")
    if len(array) != count:
        raise DataError(path, f"{len(array)} rows but videoname.npy has {count} videos")
    return array


def _durations(array: np.ndarray, count: int, path: Path) -> list[float]:
    if array.ndim == 2 and array.shape[1] == 1:  # THUMOS'14 (N, 1)
        array = array[:, 0]
    array = _rows(array, count, path)
    if array.dtype.kind not in "iuf":
        raise DataError(path, f"durations must be numbers, got dtype {array.dtype}")
    return [float(d) for d in array]


def _list(value: Any, path: Path, where: str) -> list:
    """One object-array cell: a list (or tuple/array) of items."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    raise DataError(path, f"{where}: expected a list, got {type(value).__name__}")


def _strings(values: Sequence | np.ndarray, path: Path, what: str) -> list[str]:
    """Decode bytes/str items (the folders mix `|S` and `<U`) as UTF-8 text."""
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise DataError(path, f"expected a 1-D array of names, got shape {values.shape}")
    out = []
    for value in values:
        if isinstance(value, (bytes, np.bytes_)):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise DataError(path, f"{what}: name {bytes(value)[:40]!r} is not valid UTF-8") from None
        elif not isinstance(value, str):
            raise DataError(path, f"{what}: expected a name string, got {type(value).__name__}")
        out.append(str(value))
    return out


def _class_id(class_ids: dict[str, int], name: str, path: Path, where: str) -> int:
    try:
        return class_ids[name]
    except KeyError:
        raise DataError(path, f"{where}: unknown class name {name!r} (not in classlist.npy)") from None


def _read_ambiguous(path: Path, names: set[str]) -> dict[str, list[list[float]]]:
    """`video  start end` per line (two spaces in the official file; any whitespace accepted)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(path, "not valid UTF-8 text") from None
    intervals: dict[str, list[list[float]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise DataError(path, f"line {number}: expected 'video start end', got {line.strip()[:60]!r}")
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise DataError(path, f"line {number}: start/end are not numbers: {line.strip()[:60]!r}") from None
        intervals.setdefault(fields[0], []).append([start, end])
    return intervals


def _read_meta(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = loads_strict(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataError(path, f"not valid JSON ({exc})") from None
    types = {"name": str, "snippet_seconds": (int, float), "feature_kind": str, "train_subset": str,
             "test_subset": str, "meta": dict}
    if not isinstance(data, dict):
        raise DataError(path, "expected a JSON object")
    for key, kind in types.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise DataError(path, f"field {key!r} missing or of the wrong type")
    if not np.isfinite(data["snippet_seconds"]) or data["snippet_seconds"] <= 0:
        raise DataError(path, f"snippet_seconds must be positive, got {data['snippet_seconds']}")
    return data


def _per_video_arrays(path: Path, count: int, trust_pickle: bool, ndim: int, layout: str,
                      rows: str) -> list[np.ndarray]:
    """One float32 array of `ndim` dims per video, from an object array (or one stacked array)."""
    # latin1: Python 2 pickles keep numeric buffers as byte strings (numpy's advice; W-TALC uses 'bytes').
    array = load_npy(path, trust_pickle=trust_pickle, encoding="latin1")
    if array.ndim == ndim + 1 and array.dtype != object:
        array = list(array)
    elif array.ndim != 1:
        raise DataError(path, f"expected {layout}, got shape {array.shape}")
    if len(array) != count:
        raise DataError(path, f"{len(array)} {rows} rows but the annotations have {count} videos")
    return [_float32(item, path, row, ndim=ndim) for row, item in enumerate(array)]


def _read_features(path: Path, count: int, trust_pickle: bool) -> list[np.ndarray]:
    """The joint feature file: object array of [T_v, D] (or one [V, T, D] array), as float32."""
    return _per_video_arrays(path, count, trust_pickle, ndim=2, layout="one entry per video (object array)",
                             rows="feature")


def _read_motion(path: Path, count: int, trust_pickle: bool) -> list[np.ndarray]:
    motion = _per_video_arrays(path, count, trust_pickle, ndim=1, layout="one motion entry per video", rows="motion")
    for row, values in enumerate(motion):
        if not np.isfinite(values).all():
            raise DataError(path, f"row {row}: motion contains NaN/Inf")
    return motion


def _float32(entry: Any, path: Path, row: int, ndim: int) -> np.ndarray:
    if not isinstance(entry, np.ndarray) or entry.dtype.kind not in "iuf":
        kind = entry.dtype if isinstance(entry, np.ndarray) else type(entry).__name__
        raise DataError(path, f"row {row}: expected a numeric array, got {kind}")
    if entry.ndim != ndim:
        raise DataError(path, f"row {row}: expected a {ndim}-D array, got shape {entry.shape}")
    with np.errstate(over="ignore"):  # float64 beyond float32 range becomes Inf and is rejected by validation
        return np.ascontiguousarray(entry, dtype=np.float32)


# ----------------------------------------------------------------------------- writing


def write_reduced(dataset: Dataset, annotations_dir: str | Path, features_path: str | Path | None = None) -> None:
    """Write the annotation folder (+ features and motion) readable by W-TALC-family code and by us."""
    folder = Path(annotations_dir)
    if features_path is not None and not dataset.features_loaded:
        raise DataError(features_path, f"dataset {dataset.name!r} is annotation-only; there are no features to write")
    videos = dataset.videos
    column = dataset.train_subset == VARIANTS.get("thumos14").train_subset
    duration = np.array([v.duration for v in videos], dtype=np.float64)
    arrays: dict[str, np.ndarray] = {
        "classlist": np.array([c.encode("utf-8") for c in dataset.classes]),
        "videoname": np.array([v.name.encode("utf-8") for v in videos]),
        "subset": np.array([v.subset.encode("utf-8") for v in videos]),
        "duration": duration[:, None] if column else duration,
        "segments": _objects([[[float(s), float(e)] for s, e in v.segments] for v in videos]),
        "labels": _objects([[dataset.classes[c] for c in v.segment_labels] for v in videos]),
        "labels_all": _objects([[dataset.classes[c] for c in v.labels] for v in videos]),
    }
    for key, array in arrays.items():
        _save_npy(folder / f"{key}.npy", array)
    lines = [f"{v.name}  {float(s)!r} {float(e)!r}\n" for v in videos for s, e in v.ambiguous]
    atomic_write_text(folder / AMBIGUOUS_FILE, "".join(lines))
    atomic_write_json(folder / META_FILE, {
        "name": dataset.name, "snippet_seconds": dataset.snippet_seconds, "feature_kind": dataset.feature_kind,
        "train_subset": dataset.train_subset, "test_subset": dataset.test_subset, "meta": _plain_meta(dataset.meta),
    })
    if features_path is not None:
        features_path = Path(features_path)
        _save_npy(features_path, _objects([np.asarray(v.features, dtype=np.float32) for v in videos]))
        motion_path = features_path.parent / MOTION_FILE
        if any(v.motion is not None for v in videos):
            if any(v.motion is None for v in videos):
                raise DataError(motion_path, "motion is present for some videos but not all")
            _save_npy(motion_path, _objects([np.asarray(v.motion, dtype=np.float32) for v in videos]))


def _objects(items: list) -> np.ndarray:
    """A 1-D object array even when every item has the same shape (np.array would stack them)."""
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def _save_npy(path: Path, array: np.ndarray) -> None:
    atomic_write_bytes(path, lambda f: np.save(f, array, allow_pickle=array.dtype.hasobject))


def _plain_meta(meta: dict) -> dict:
    """Drop the reader's own bookkeeping so that a re-read does not accumulate stale paths."""
    skip = {"source_format", "annotations", "features", "ambiguous_videos_not_in_dataset"}
    return {k: v for k, v in meta.items() if k not in skip}
