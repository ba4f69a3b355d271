"""The pickle-free `wstal` dataset format: `annotations.json` + `features.npz`.

Nothing in it can carry code: annotations are JSON (class names instead of ids, so a
file reads on its own), features are one contiguous float32 array `[sum T, D]` with
int64 `offsets [V+1]` (video v is rows `offsets[v]:offsets[v+1]`) and optional float32
`motion [sum T]`, saved uncompressed with `allow_pickle=False`. One big array loads in
one read (no per-video pickle objects), every video is a zero-copy view into it, and
because the zip member is stored uncompressed it is memory-mapped (see `read_native`).
An annotation-only dataset (`features_loaded=False`) is written without `features.npz`.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from wstal.data.records import Dataset, Video, as_intervals, validate_dataset
from wstal.data.safe_pickle import read_npy_header
from wstal.errors import DataError
from wstal.utils.atomic import atomic_write_bytes, atomic_write_json
from wstal.utils.jsonfile import DuplicateKey, unique_object

FORMAT = "wstal-dataset"
VERSION = 1
ANNOTATIONS_FILE = "annotations.json"
FEATURES_FILE = "features.npz"


# ----------------------------------------------------------------------------- writing


def write_native(dataset: Dataset, directory: str | Path) -> Path:
    """Write `annotations.json` (+ `features.npz` when features are loaded); each file atomically."""
    folder = Path(directory)
    if dataset.features_loaded:
        videos = dataset.videos
        lengths = [v.num_snippets for v in videos]
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        width = int(videos[0].features.shape[1]) if videos else 0
        members: dict[str, tuple[tuple[int, ...], list[np.ndarray]]] = {
            "features": ((int(offsets[-1]), width), [v.features for v in videos]),
            "offsets": (offsets.shape, [offsets]),
        }
        with_motion = [v.motion is not None for v in videos]
        if any(with_motion):
            if not all(with_motion):
                raise DataError(folder / FEATURES_FILE, "motion is present for some videos but not all")
            members["motion"] = ((int(offsets[-1]),), [v.motion for v in videos])
        atomic_write_bytes(folder / FEATURES_FILE, lambda f: _write_npz(f, members))
    atomic_write_json(folder / ANNOTATIONS_FILE, _annotations(dataset))
    return folder


def _write_npz(handle, members: dict[str, tuple[tuple[int, ...], list[np.ndarray]]]) -> None:
    """An uncompressed .npz (what `np.savez` writes) whose arrays are written piece by piece.

    `np.savez` needs each array whole: concatenating the videos' features first would hold
    the dataset twice in memory (2 GB for THUMOS'14), while here only one video is converted
    at a time.
    """
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, (shape, pieces) in members.items():
            dtype = pieces[0].dtype if name == "offsets" else np.dtype(np.float32)
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(
                    member, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape})
                for piece in pieces:
                    flat = np.ascontiguousarray(piece, dtype=dtype).reshape(-1)
                    if flat.size:
                        member.write(memoryview(flat).cast("B"))


def _annotations(dataset: Dataset) -> dict:
    classes = dataset.classes
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": dataset.name,
        "classes": list(classes),
        "snippet_seconds": dataset.snippet_seconds,
        "feature_kind": dataset.feature_kind,
        "train_subset": dataset.train_subset,
        "test_subset": dataset.test_subset,
        "features_loaded": dataset.features_loaded,
        "meta": {k: v for k, v in dataset.meta.items() if k not in ("source_format", "annotations", "features")},
        "videos": [
            {
                "name": v.name,
                "subset": v.subset,
                "duration": float(v.duration),
                "segments": [[float(s), float(e)] for s, e in v.segments],
                "segment_labels": [classes[c] for c in v.segment_labels],
                "labels": [classes[c] for c in v.labels],
                "ambiguous": [[float(s), float(e)] for s, e in v.ambiguous],
            }
            for v in dataset.videos
        ],
    }


# ----------------------------------------------------------------------------- reading


def read_native(directory: str | Path, *, mmap: bool | None = None, check_crc: bool = False) -> Dataset:
    """Read and validate a `wstal`-format folder.

    Features are memory-mapped copy-on-write by default (`mmap=None`: map stored members,
    read compressed ones): writable arrays, pages shared through the page cache by jobs
    that read the same dataset, and no allocation of one huge fresh buffer (which on
    hosts with THP defrag can stall for seconds). `mmap=True` requires mapping, `False`
    reads into memory. `check_crc=True` verifies each member's zip CRC (~0.5 s/GB; off by
    default, the pickled format has no checksum either). Our writers replace files by
    rename, so a mapped file is never truncated under a running job.
    """
    folder = Path(directory)
    ann_path = folder / ANNOTATIONS_FILE
    doc = _load_json(ann_path)
    header = _header(doc, ann_path)
    classes = tuple(header["classes"])
    class_ids = {c: i for i, c in enumerate(classes)}
    if len(class_ids) != len(classes):
        raise DataError(ann_path, "class list has duplicate names")
    entries = _field(doc, "videos", list, ann_path, "")
    features_loaded = header["features_loaded"]
    if features_loaded:
        features, offsets, motion = _read_features(folder / FEATURES_FILE, len(entries), mmap, check_crc)
    videos = []
    for index, entry in enumerate(entries):
        where = f"videos[{index}]"
        if not isinstance(entry, dict):
            raise DataError(ann_path, f"{where}: expected an object")
        name = _field(entry, "name", str, ann_path, where)
        where = f"video {name!r}"
        start, stop = (int(offsets[index]), int(offsets[index + 1])) if features_loaded else (0, 0)
        videos.append(Video(
            name=name,
            subset=_field(entry, "subset", str, ann_path, where),
            duration=float(_field(entry, "duration", (int, float), ann_path, where)),
            features=features[start:stop] if features_loaded else np.zeros((0, 0), np.float32),
            segments=as_intervals(_field(entry, "segments", list, ann_path, where), f"{where} segments",
                                  str(ann_path)),
            segment_labels=np.array(_class_ids(entry, "segment_labels", class_ids, ann_path, where), dtype=np.int64),
            labels=tuple(_class_ids(entry, "labels", class_ids, ann_path, where)),
            ambiguous=as_intervals(_field(entry, "ambiguous", list, ann_path, where), f"{where} ambiguous",
                                   str(ann_path)),
            motion=motion[start:stop] if features_loaded and motion is not None else None,
        ))
    meta = dict(header["meta"])
    meta.update(source_format="wstal", annotations=str(ann_path),
                features=str(folder / FEATURES_FILE) if features_loaded else None)
    dataset = Dataset(
        name=header["name"], classes=classes, videos=videos, snippet_seconds=float(header["snippet_seconds"]),
        feature_kind=header["feature_kind"], train_subset=header["train_subset"],
        test_subset=header["test_subset"], meta=meta, features_loaded=features_loaded,
    )
    return validate_dataset(dataset, str(folder))


def _load_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=unique_object)
    except DuplicateKey as exc:
        raise DataError(path, str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise DataError(path, f"not valid JSON ({' '.join(str(exc).split())[:120]})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _header(doc: Any, path: Path) -> dict:
    if not isinstance(doc, dict):
        raise DataError(path, "expected a JSON object")
    if doc.get("format") != FORMAT:
        raise DataError(path, f"not a wstal dataset (format {doc.get('format')!r}, expected {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise DataError(path, f"unsupported format version {doc.get('version')!r} (this wstal reads {VERSION})")
    header = {key: _field(doc, key, kind, path, "") for key, kind in (
        ("name", str), ("classes", list), ("snippet_seconds", (int, float)), ("feature_kind", str),
        ("train_subset", str), ("test_subset", str), ("meta", dict))}
    header["features_loaded"] = _field(doc, "features_loaded", bool, path, "") if "features_loaded" in doc else True
    if not all(isinstance(c, str) for c in header["classes"]):
        raise DataError(path, "classes: expected a list of class-name strings")
    if not (math.isfinite(header["snippet_seconds"]) and header["snippet_seconds"] > 0):
        raise DataError(path, f"snippet_seconds must be positive, got {header['snippet_seconds']}")
    return header


def _field(obj: dict, key: str, kind: type | tuple[type, ...], path: Path, where: str) -> Any:
    value = obj.get(key)
    bad_bool = isinstance(value, bool) and kind is not bool
    if not isinstance(value, kind) or bad_bool:
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        prefix = f"{where}: " if where else ""
        raise DataError(path, f"{prefix}field {key!r} missing or not {names} (got {type(value).__name__})")
    return value


def _class_ids(entry: dict, key: str, class_ids: dict[str, int], path: Path, where: str) -> list[int]:
    names = _field(entry, key, list, path, where)
    ids = []
    for name in names:
        if not isinstance(name, str):
            raise DataError(path, f"{where}: {key} must be class-name strings, got {type(name).__name__}")
        if name not in class_ids:
            raise DataError(path, f"{where}: unknown class name {name!r} in {key}")
        ids.append(class_ids[name])
    return ids


def _read_features(
    path: Path, count: int, mmap: bool | None, check_crc: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    members = _read_npz(path, mmap, check_crc)
    for key in ("features", "offsets"):
        if key not in members:
            raise DataError(path, f"missing array {key!r}")
    features, offsets, motion = members["features"], members["offsets"], members.get("motion")
    if features.dtype != np.float32 or features.ndim != 2:
        raise DataError(path, f"features must be float32 [sum T, D], got {features.dtype} {features.shape}")
    if offsets.dtype != np.int64 or offsets.shape != (count + 1,):
        raise DataError(path, f"offsets must be int64 of shape ({count + 1},) for {count} videos, "
                              f"got {offsets.dtype} {offsets.shape}")
    if offsets[0] != 0 or offsets[-1] != features.shape[0] or (np.diff(offsets) < 0).any():
        raise DataError(path, f"offsets must rise from 0 to {features.shape[0]} (the feature rows)")
    if motion is not None and (motion.dtype != np.float32 or motion.shape != (features.shape[0],)):
        raise DataError(path, f"motion must be float32 of shape ({features.shape[0]},), "
                              f"got {motion.dtype} {motion.shape}")
    if motion is not None and not np.isfinite(motion).all():
        raise DataError(path, "motion contains NaN/Inf")
    return features, offsets, motion


_NPZ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError, struct.error,
               NotImplementedError, RuntimeError, MemoryError, zlib.error)


def _read_npz(path: Path, mmap: bool | None, check_crc: bool) -> dict[str, np.ndarray]:
    """Every `.npy` member of the archive; stored members are read (or mapped) in place, in one call."""
    if not path.is_file():
        raise DataError(path, "file not found (the annotations say features are present)")
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {}
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                if info.compress_type == zipfile.ZIP_STORED:
                    arrays[info.filename[:-4]] = _stored_member(path, info, mmap is not False, check_crc)
                elif mmap:
                    raise DataError(path, f"{info.filename} is compressed and cannot be memory-mapped")
                else:  # compressed (np.savez_compressed): NumPy's reader, pickles still refused
                    with archive.open(info) as member:
                        arrays[info.filename[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
            return arrays
    except DataError:
        raise
    except _NPZ_ERRORS as exc:
        raise DataError(path, f"corrupt or truncated .npz ({' '.join(str(exc).split())[:120]})") from None


def _stored_member(path: Path, info: zipfile.ZipInfo, mmap: bool, check_crc: bool) -> np.ndarray:
    """One uncompressed `.npy` member, read straight into its final buffer (np.load would go
    through zipfile's stream and copy twice) or memory-mapped (np.load cannot map inside a .npz)."""
    where = f"{path}:{info.filename}"
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise DataError(path, f"{info.filename}: bad local zip header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        handle.seek(start)
        shape, fortran, dtype = read_npy_header(handle, where)
        data_offset = handle.tell()
        if dtype.hasobject:
            raise DataError(path, f"{info.filename} holds Python objects; the wstal format allows plain arrays only")
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: a forged shape cannot overflow
        if data_offset - start + nbytes != info.file_size:
            raise DataError(path, f"{info.filename}: array data does not fill the zip member (truncated?)")
        order = "F" if fortran else "C"
        if nbytes == 0:
            array = np.zeros(shape, dtype=dtype, order=order)
        elif mmap:
            array = np.memmap(path, dtype=dtype, mode="c", offset=data_offset, shape=shape, order=order)
        else:
            array = np.empty(shape, dtype=dtype, order=order)
            if handle.readinto(memoryview(array.reshape(-1, order="A")).cast("B")) != nbytes:
                raise DataError(path, f"{info.filename}: truncated array data")
    if check_crc:
        header_crc = zlib.crc32(_member_prefix(path, start, data_offset))  # the zip CRC covers the .npy header too
        if zlib.crc32(memoryview(array.reshape(-1, order="A")).cast("B"), header_crc) != info.CRC:
            raise DataError(path, f"{info.filename}: CRC mismatch (the file is corrupt)")
    return array


def _member_prefix(path: Path, start: int, data_offset: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(data_offset - start)
