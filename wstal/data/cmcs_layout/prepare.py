"""`prepare_cmcs_source`: validate a CMCS feature layout and index it (features are not copied).

The output folder holds `annotations.json` (the wstal format, annotation-only, so the
evaluator reads it like any dataset) and `features.json` (the index `read_prepared`
turns into lazily loaded videos). It appears complete or not at all: both files are
written into a sibling temp folder that is then renamed. Every feature file is opened
once, one video at a time, so peak memory is one video's arrays, not the dataset's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np

from wstal.data.cmcs_layout.files import (
    KINDS, MASK_FOLDER, STREAM_DIM, STREAMS, FeatureKind, check_crops, mask_file, read_feature_file, read_mask,
)
from wstal.data.cmcs_layout.meta import lookup, meta_path, read_meta
from wstal.data.cmcs_layout.official import read_official
from wstal.data.native import write_native
from wstal.data.records import Dataset, Video, as_intervals, validate_dataset
from wstal.errors import DataError
from wstal.utils.atomic import atomic_write_json

INDEX_FILE = "features.json"
INDEX_FORMAT = "wstal-cmcs-features"
INDEX_VERSION = 1
SUBSETS = ("validation", "test")  # CMCS trains on THUMOS'14 validation, tests on test
NOMINAL_FPS = 30.0  # only for the dataset-level snippet_seconds of GT-only readers; times use each video's fps


def prepare_cmcs_source(kind: str, features_root: Path, annotations_dir: Path, meta_dir: Path, out: Path, *,
                        crops: str = "oversample", check_values: bool = True,
                        progress: Callable[[int, int], None] | None = None) -> dict:
    """Validate the `kind` ("unt" | "i3d") layout under `features_root` and write `out`.

    Returns a summary (`videos`, `snippets`, `crops`, `feature_bytes`: bytes of the
    features read) for the caller's message; the features stay where they are.
    `check_values=False` skips the NaN/Inf scan (shapes and keys are still checked).
    """
    feature_kind = KINDS.get(kind)
    num_crops = check_crops(crops)
    root = Path(features_root).resolve()
    if not (root / feature_kind.folder).is_dir():
        raise DataError(root / feature_kind.folder, f"{kind} feature folder not found under the features root")
    classes: tuple[str, ...] | None = None
    plan: list[tuple[str, str, object, object]] = []  # (subset, video, official GT, meta)
    for subset in SUBSETS:
        subset_classes, official = read_official(Path(annotations_dir), subset)
        if classes is None:
            classes = subset_classes
        elif subset_classes != classes:
            raise DataError(annotations_dir, f"the {subset} class files ({len(subset_classes)}) differ from the "
                                             f"validation class files ({len(classes)})")
        mpath = meta_path(Path(meta_dir), subset)
        table = read_meta(mpath)
        plan += [(subset, name, gt, lookup(table, name, mpath)) for name, gt in official.items()]
    mask_dir = root / MASK_FOLDER / "val"
    with_masks = mask_dir.is_dir()
    assert classes is not None
    videos, entries, total_bytes = [], [], 0
    for done, (subset, name, gt, meta) in enumerate(plan):
        entry, nbytes = _index_video(feature_kind, root, subset, name, crops, num_crops, check_values,
                                     with_masks and subset == "validation")
        entry.update(fps=meta.fps, duration=meta.duration)
        entries.append(entry)
        total_bytes += nbytes
        videos.append(_video(name, subset, meta.duration, gt, classes, str(annotations_dir)))
        if progress is not None:
            progress(done + 1, len(plan))
    dataset = validate_dataset(Dataset(
        name="thumos14", classes=classes, videos=videos,
        snippet_seconds=feature_kind.base_sample_rate / NOMINAL_FPS, feature_kind=kind,
        train_subset="validation", test_subset="test", features_loaded=False,
        meta={"source": f"cmcs-{kind}", "cmcs_crops": crops},
    ), str(annotations_dir))
    index = {
        "format": INDEX_FORMAT, "version": INDEX_VERSION, "kind": kind, "crops": crops, "root": str(root),
        "base_sample_rate": feature_kind.base_sample_rate, "chunk_frames": feature_kind.chunk_frames,
        "stream_dim": STREAM_DIM, "masks": with_masks, "videos": entries,
    }
    _write_folder(Path(out), dataset, index)
    return {"videos": len(entries), "snippets": int(sum(e["length"] for e in entries)), "crops": num_crops,
            "feature_bytes": int(total_bytes), "masks": with_masks}


def _index_video(kind: FeatureKind, root: Path, subset: str, name: str, crops: str, num_crops: int,
                 check_values: bool, needs_mask: bool) -> tuple[dict, int]:
    """Check the rgb/flow pair (and mask) of one video; its index entry and the bytes read."""
    shapes, counts, nbytes = [], [], 0
    paths = [kind.stream_file(root, subset, stream, crops, name) for stream in STREAMS]
    for path in paths:
        feature, frame_cnt = read_feature_file(path, kind, check_values)
        if feature.shape[0] != num_crops:
            raise DataError(path, f"feature has {feature.shape[0]} crops, expected {num_crops} for {crops!r}")
        shapes.append(feature.shape)
        counts.append(frame_cnt)
        nbytes += feature.nbytes
        del feature
    if shapes[0] != shapes[1]:
        raise DataError(paths[1], f"flow features have T={shapes[1][1]} but rgb has T={shapes[0][1]}")
    if counts[0] != counts[1]:
        raise DataError(paths[1], f"flow frame_cnt {counts[1]} != rgb frame_cnt {counts[0]}")
    mask = None
    if needs_mask:
        path = mask_file(root, name)
        if not path.is_file():
            raise DataError(path, "static-clip mask missing (the FLOW-INTENSITY/val folder exists, so every "
                                  "training video needs one; remove the folder to use flow intensity instead)")
        read_mask(path, counts[0])
        mask = str(path.relative_to(root))
    entry = {"name": name, "subset": subset, "rgb": str(paths[0].relative_to(root)),
             "flow": str(paths[1].relative_to(root)), "mask": mask, "length": int(shapes[0][1]),
             "crops": int(shapes[0][0]), "frame_cnt": int(counts[0])}
    return entry, nbytes


def _video(name: str, subset: str, duration: float, gt, classes: tuple[str, ...], source: str) -> Video:
    ids = {c: i for i, c in enumerate(classes)}
    labels = np.array([ids[c] for c in gt.labels], dtype=np.int64)
    return Video(
        name=name, subset=subset, duration=float(duration),
        features=np.zeros((0, 0), np.float32),
        segments=as_intervals(gt.segments, f"video {name!r} segments", source),
        segment_labels=labels, labels=tuple(sorted(set(labels.tolist()))),
        ambiguous=as_intervals(gt.ambiguous, f"video {name!r} ambiguous", source),
    )


def _write_folder(out: Path, dataset: Dataset, index: dict) -> None:
    """annotations.json + features.json into a sibling temp folder, then one rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".tmp-{out.name}.{os.getpid()}"
    old = out.parent / f".old-{out.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_native(dataset, tmp)
        atomic_write_json(tmp / INDEX_FILE, index)
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


__all__ = ["prepare_cmcs_source", "INDEX_FILE", "INDEX_FORMAT", "INDEX_VERSION"]
