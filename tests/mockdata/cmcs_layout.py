"""A mock `THUMOS14_FEATURES` folder in CMCS's exact layout, for tests and DAG runs.

Everything but the feature values is real: the official per-class annotation files and the
CMCS meta `.mat` files of the shared data folder (`WSTAL_SHARED_DATA`, default `shared/data`
beside the repository; read in place, never copied into the repo), ten
crops of true width 1024 per stream, per-video `frame_cnt` from the real duration and fps
(scaled by `length_scale`, the only thing scaled), `T` from `frame_cnt` by each kind's
extraction rule, UNT stored `(T, B, 1024, 1, 1)` and I3D `(B, T, 1024)`, and static-clip masks
for the validation videos. Features carry a weak class signal inside GT segments so that a
model has something to find.

Size: about `2 * 10 * 1024 * 4` bytes per stored snippet per kind, e.g. ~60 MB per kind for
12 videos at `length_scale=0.05`. Pass `videos` (names) to build a subset: the annotation
folders are then rewritten (filtered rows of the real files) under `root/annotations/`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("WSTAL_SHARED_DATA", REPO.parent / "shared" / "data"))
ORIGINAL_ANNOTATIONS = SHARED_DATA / "thumos14" / "original"
CMCS_META = SHARED_DATA / "cmcs" / "labels"
CMCS_MODELS = SHARED_DATA / "cmcs" / "models"

SUFFIX = {"validation": "val", "test": "test"}
CROPS = 10
DIM = 1024
MIN_FRAMES = 96  # a scaled video keeps at least a few snippets at every sample rate


@dataclass(frozen=True)
class MockCMCSLayout:
    features_root: Path  # THUMOS14_FEATURES
    annotations_dir: Path  # holds annotations_val/ and annotations_test/
    meta_dir: Path  # holds thumos14-{val,test}-meta.mat
    videos: dict[str, str]  # video -> subset
    frame_cnt: dict[str, int]


def shared_available() -> bool:
    return ORIGINAL_ANNOTATIONS.is_dir() and CMCS_META.is_dir()


def official_videos(annotations_dir: Path = ORIGINAL_ANNOTATIONS) -> dict[str, list[tuple[str, float, float]]]:
    """video -> [(class, start, end)] from the per-class files of both subsets (Ambiguous excluded)."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    for suffix in SUFFIX.values():
        for path in sorted((annotations_dir / f"annotations_{suffix}").glob(f"*_{suffix}.txt")):
            name = path.name[: -len(f"_{suffix}.txt")]
            if name in ("Ambiguous", "detclasslist"):
                continue
            for line in path.read_text().splitlines():
                parts = line.split()
                if parts:
                    out.setdefault(parts[0], []).append((name, float(parts[1]), float(parts[2])))
    return out


def pick_videos(per_subset: int, annotations_dir: Path = ORIGINAL_ANNOTATIONS) -> list[str]:
    """The first `per_subset` validation and test videos (sorted names): a small deterministic subset."""
    names = sorted(official_videos(annotations_dir))
    val = [n for n in names if n.startswith("video_validation_")][:per_subset]
    test = [n for n in names if n.startswith("video_test_")][:per_subset]
    return val + test


def read_meta(meta_dir: Path = CMCS_META) -> dict[str, tuple[float, float]]:
    """video -> (fps, duration) from the real meta files."""
    import scipy.io

    out = {}
    for suffix in SUFFIX.values():
        doc = scipy.io.loadmat(str(meta_dir / f"thumos14-{suffix}-meta.mat"))
        table = doc[next(k for k in doc if "videos" in k)]
        for entry in table.reshape(-1):
            name = str(np.asarray(entry["video_name"]).reshape(-1)[0])
            out[name] = (float(np.asarray(entry["frame_rate_FPS"]).reshape(-1)[0]),
                         float(np.asarray(entry["video_duration_seconds"]).reshape(-1)[0]))
    return out


def num_features(kind: str, frame_cnt: int) -> int:
    """Stored features of a video: UNT one every 5 frames from frame 0; I3D 16-frame chunks every 4."""
    if kind == "unt":
        return math.ceil(frame_cnt / 5)
    return (frame_cnt - 16) // 4 + 1


def _filtered_annotations(root: Path, keep: set[str]) -> Path:
    """The real annotation folders with only the rows of `keep` (readme/other files left out)."""
    out = root / "annotations"
    for suffix in SUFFIX.values():
        src, dst = ORIGINAL_ANNOTATIONS / f"annotations_{suffix}", out / f"annotations_{suffix}"
        dst.mkdir(parents=True, exist_ok=True)
        for path in sorted(src.glob(f"*_{suffix}.txt")):
            rows = [line for line in path.read_text().splitlines() if line.split() and line.split()[0] in keep]
            (dst / path.name).write_text("".join(r + "\n" for r in rows))
    return out


def _features(rng: np.random.Generator, length: int, times: np.ndarray, gt: list, classes: list[str]) -> np.ndarray:
    """(B, T, 1024) float32: noise plus a class direction inside GT segments (shared over crops)."""
    base = rng.standard_normal((length, DIM)).astype(np.float32) * 0.5
    for name, start, end in gt:
        inside = (times >= start) & (times <= end)
        direction = np.zeros(DIM, np.float32)
        c = classes.index(name)
        direction[c * 16:(c + 1) * 16] = 2.0
        base[inside] += direction
    crops = base[None] + 0.1 * rng.standard_normal((CROPS, length, DIM)).astype(np.float32)
    return crops.astype(np.float32)


def make_mock_cmcs_layout(root: str | Path, kinds: Iterable[str] = ("unt", "i3d"), length_scale: float = 0.05,
                          seed: int = 0, videos: Iterable[str] | None = None, masks: bool = True,
                          crops: str = "oversample") -> MockCMCSLayout:
    """Write the mock layout under `root`; `videos=None` builds every annotated video (412)."""
    root = Path(root)
    gt = official_videos()
    names = sorted(gt) if videos is None else sorted(set(videos))
    unknown = [n for n in names if n not in gt]
    if unknown:
        raise ValueError(f"not an annotated THUMOS'14 video: {unknown[0]}")
    annotations = ORIGINAL_ANNOTATIONS if videos is None else _filtered_annotations(root, set(names))
    meta = read_meta()
    classes = sorted({c for rows in gt.values() for c, _, _ in rows})
    features_root = root / "THUMOS14_FEATURES"
    rng = np.random.default_rng(seed)
    subsets, frames = {}, {}
    num_crops = CROPS if crops == "oversample" else 1
    for name in names:
        subset = "validation" if name.startswith("video_validation_") else "test"
        fps, duration = meta[name]
        frame_cnt = max(MIN_FRAMES, int(round(duration * fps * length_scale)))
        subsets[name], frames[name] = subset, frame_cnt
        for kind in kinds:
            length = num_features(kind, frame_cnt)
            step = 5 if kind == "unt" else 4
            times = np.arange(length) * step / fps / length_scale  # in the real video's seconds
            for stream in ("rgb", "flow"):
                x = _features(rng, length, times, gt[name], classes)[:num_crops]
                if kind == "unt":
                    folder = features_root / "UNTRI-5" / f"untri-thumos14-{SUFFIX[subset]}-{stream}-{crops}-step5"
                    stored = x.swapaxes(0, 1)[:, :, :, None, None]
                else:
                    folder = features_root / "I3D-4" / f"thumos-{SUFFIX[subset]}-{stream}-{crops}"
                    stored = x
                folder.mkdir(parents=True, exist_ok=True)
                np.savez(folder / f"{name}-{stream}.npz", feature=stored, frame_cnt=np.int64(frame_cnt))
        if masks and subset == "validation":
            folder = features_root / "FLOW-INTENSITY" / "val"
            folder.mkdir(parents=True, exist_ok=True)
            np.savez(folder / f"{name}.npz", mask=_mask(rng, frame_cnt),
                     intensity=rng.standard_normal(frame_cnt).astype(np.float32))
    return MockCMCSLayout(features_root, annotations, CMCS_META, subsets, frames)


def _mask(rng: np.random.Generator, frame_cnt: int) -> np.ndarray:
    """0/1 per frame: one or two static runs covering 10-25 % of the video (kept by the [5 %, 30 %] rule)."""
    mask = np.zeros(frame_cnt, dtype=np.float32)
    run = max(2, int(frame_cnt * rng.uniform(0.05, 0.12)))
    for start in (rng.integers(0, frame_cnt // 2 - run), rng.integers(frame_cnt // 2, frame_cnt - run)):
        mask[start:start + run] = 1.0
    return mask


__all__ = ["MockCMCSLayout", "make_mock_cmcs_layout", "pick_videos", "official_videos", "num_features",
           "shared_available", "ORIGINAL_ANNOTATIONS", "CMCS_META", "CMCS_MODELS", "SHARED_DATA"]
