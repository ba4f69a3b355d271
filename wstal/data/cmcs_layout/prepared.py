"""Read a folder written by `prepare_cmcs_source` into a `Dataset` of lazily loaded videos.

Annotations come from `annotations.json` (the wstal reader); every video gets a
`CropSource` from `features.json` and an empty `[0, 2048]` feature array, so code that
only needs the GT or the feature width never touches the GBs of features.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from wstal.data.cmcs_layout.files import KINDS, STREAMS
from wstal.data.cmcs_layout.prepare import INDEX_FILE, INDEX_FORMAT, INDEX_VERSION
from wstal.data.cmcs_layout.source import CropSource
from wstal.data.native import read_native
from wstal.data.records import Dataset, validate_dataset
from wstal.errors import DataError


def is_prepared_cmcs(folder: Path) -> bool:
    return (Path(folder) / INDEX_FILE).is_file()


def read_prepared(folder: str | Path) -> Dataset:
    """The dataset of a prepared CMCS-layout folder; index and annotations must agree."""
    folder = Path(folder)
    path = folder / INDEX_FILE
    index = _read_index(path)
    annotations = read_native(folder)
    entries = {e["name"]: e for e in index["videos"]}
    root = Path(index["root"])
    width = len(STREAMS) * int(index["stream_dim"])
    videos = []
    for video in annotations.videos:
        entry = entries.pop(video.name, None)
        if entry is None:
            raise DataError(path, f"video {video.name!r} of annotations.json is not in the index")
        source = _source(entry, index["kind"], root, path)
        videos.append(dataclasses.replace(video, features=np.zeros((0, width), np.float32), crops=source))
    if entries:
        raise DataError(path, f"video {next(iter(entries))!r} is in the index but not in annotations.json")
    meta = dict(annotations.meta)
    meta.update(source_format="cmcs", features=str(path), cmcs_root=str(root))
    dataset = dataclasses.replace(annotations, videos=videos, meta=meta, features_loaded=True)
    return validate_dataset(dataset, str(folder))


def _read_index(path: Path) -> dict:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except (OSError, ValueError) as exc:
        raise DataError(path, f"not valid JSON ({' '.join(str(exc).split())[:120]})") from None
    found = index.get("format") if isinstance(index, dict) else None
    if found != INDEX_FORMAT:
        raise DataError(path, f"not a CMCS feature index (format {found!r}, expected {INDEX_FORMAT!r})")
    if index.get("version") != INDEX_VERSION:
        raise DataError(path, f"unsupported index version {index.get('version')!r} (this wstal reads {INDEX_VERSION})")
    for key, kind in (("kind", str), ("root", str), ("stream_dim", int), ("videos", list)):
        if not isinstance(index.get(key), kind):
            raise DataError(path, f"field {key!r} missing or not {kind.__name__}")
    KINDS.get(index["kind"])
    if not Path(index["root"]).is_dir():
        raise DataError(path, f"features root {index['root']} not found (moved? prepare the source again)")
    return index


def _source(entry: dict, kind: str, root: Path, path: Path) -> CropSource:
    where = f"video {entry.get('name')!r}"
    try:
        mask = entry.get("mask")
        source = CropSource(
            kind=kind, rgb=root / entry["rgb"], flow=root / entry["flow"], length=int(entry["length"]),
            crops=int(entry["crops"]), frame_cnt=int(entry["frame_cnt"]), fps=float(entry["fps"]),
            mask=root / mask if mask else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(path, f"{where}: incomplete index entry ({exc})") from None
    if min(source.length, source.crops, source.frame_cnt) <= 0 or not source.fps > 0:
        raise DataError(path, f"{where}: length, crops, frame_cnt and fps must be positive")
    return source


__all__ = ["read_prepared", "is_prepared_cmcs"]
