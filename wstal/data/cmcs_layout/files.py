"""Where the CMCS feature files live and how one of them is read (no pickle).

Two feature kinds (the layout is described in `wstal.data.cmcs_layout`): UntrimmedNet (`unt`, one feature every
5 frames, stored `(T, B, 1024, 1, 1)`) and I3D (`i3d`, 16-frame chunks every 4 frames,
stored `(B, T, 1024)`). `B` is 10 for the ten-crop `oversample` files, 1 for `resize`.
Every reader returns `(B, T, 1024)` float32 and fails with one line naming the file.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wstal.data.cmcs_layout.official import SUBSET_SUFFIX
from wstal.errors import ConfigError, DataError
from wstal.registry import Registry

STREAMS = ("rgb", "flow")
STREAM_DIM = 1024
CROPS = {"oversample": 10, "resize": 1}
MASK_FOLDER = "FLOW-INTENSITY"


@dataclass(frozen=True)
class FeatureKind:
    """One feature family of the CMCS release."""

    name: str  # "unt" | "i3d"
    folder: str  # under the features root
    pattern: str  # sub-folder per (subset suffix, stream, crops)
    base_sample_rate: int  # frames between consecutive stored features
    chunk_frames: int  # frames one feature sees at its start frame (I3D 16); 0 = a point in time (UNT)
    sample_rate: int  # the released config's frames between used snippets (f = sample_rate / base)
    stored_axes: str  # "TB11" (UNT, (T, B, D, 1, 1)) or "BT" (I3D, (B, T, D))

    def stream_dir(self, root: Path, subset: str, stream: str, crops: str) -> Path:
        return Path(root) / self.folder / self.pattern.format(subset=SUBSET_SUFFIX[subset], stream=stream,
                                                              crops=crops)

    def stream_file(self, root: Path, subset: str, stream: str, crops: str, video: str) -> Path:
        return self.stream_dir(root, subset, stream, crops) / f"{video}-{stream}.npz"


KINDS: Registry[FeatureKind] = Registry("CMCS feature kind")
KINDS.register("unt")(FeatureKind("unt", "UNTRI-5", "untri-thumos14-{subset}-{stream}-{crops}-step5", 5, 0, 15, "TB11"))
KINDS.register("i3d")(FeatureKind("i3d", "I3D-4", "thumos-{subset}-{stream}-{crops}", 4, 16, 16, "BT"))


def check_crops(crops: str) -> int:
    if crops not in CROPS:
        raise ConfigError(f"CMCS crops must be one of {sorted(CROPS)}, got {crops!r}")
    return CROPS[crops]


_NPZ_ERRORS = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError)


def _load_npz_arrays(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named arrays of an `.npz`, read with `allow_pickle=False` (an object array is refused)."""
    if not path.is_file():
        raise DataError(path, "feature file not found" if path.suffix == ".npz" else "file not found")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(path, "not an .npz archive (a plain .npy array?)")
        with archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise DataError(path, f"key {missing[0]!r} missing (keys: {', '.join(archive.files) or 'none'})")
            return {k: archive[k] for k in keys}
    except DataError:
        raise
    except _NPZ_ERRORS as exc:
        raise DataError(path, f"not a readable pickle-free .npz ({' '.join(str(exc).split())[:120]})") from None


def read_frame_cnt(value: np.ndarray, path: Path) -> int:
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "iuf":
        raise DataError(path, f"frame_cnt must be one integer, got {arr.dtype} of shape {arr.shape}")
    number = arr.reshape(-1)[0].item()
    if number != int(number) or int(number) <= 0:
        raise DataError(path, f"frame_cnt must be a positive integer, got {number}")
    return int(number)


def read_feature_file(path: Path, kind: FeatureKind, check_values: bool = True) -> tuple[np.ndarray, int]:
    """`(B, T, 1024)` float32 features and `frame_cnt` of one `<video>-<stream>.npz`.

    UNT features come back as a swapped view of the stored array (no copy): callers that
    keep them concatenate the streams, which makes the one contiguous copy.
    """
    arrays = _load_npz_arrays(path, ("feature", "frame_cnt"))
    feature, frame_cnt = arrays["feature"], read_frame_cnt(arrays["frame_cnt"], path)
    if feature.dtype.kind != "f":
        raise DataError(path, f"feature must be a float array, got {feature.dtype}")
    if kind.stored_axes == "TB11":
        if feature.ndim != 5 or feature.shape[2:] != (STREAM_DIM, 1, 1):
            raise DataError(path, f"feature has shape {feature.shape}, expected (T, B, {STREAM_DIM}, 1, 1) "
                                  f"for {kind.name} features")
        feature = feature[:, :, :, 0, 0].swapaxes(0, 1)
    elif feature.ndim != 3 or feature.shape[2] != STREAM_DIM:
        raise DataError(path, f"feature has shape {feature.shape}, expected (B, T, {STREAM_DIM}) for {kind.name} "
                              "features")
    if feature.shape[0] == 0 or feature.shape[1] == 0:
        raise DataError(path, f"feature has no crop or no snippet (shape {feature.shape})")
    if feature.dtype != np.float32:
        feature = feature.astype(np.float32)
    if check_values and not np.isfinite(feature).all():
        crop, t, _ = np.argwhere(~np.isfinite(feature))[0]
        raise DataError(path, f"feature contains NaN/Inf (first at crop {crop}, snippet {t})")
    return feature, frame_cnt


def read_mask(path: Path, frame_cnt: int) -> np.ndarray:
    """The per-frame 0/1 static mask of `FLOW-INTENSITY/val/<video>.npz` (length `frame_cnt`)."""
    mask = _load_npz_arrays(path, ("mask",))["mask"]
    if mask.ndim != 1 or mask.shape[0] != frame_cnt:
        raise DataError(path, f"mask has shape {mask.shape}, expected ({frame_cnt},) (one value per frame)")
    if mask.dtype.kind not in "biuf" or not np.isin(mask, (0, 1)).all():
        raise DataError(path, "mask must hold only 0/1 values")
    return mask.astype(bool)


def mask_file(root: Path, video: str) -> Path:
    return Path(root) / MASK_FOLDER / "val" / f"{video}.npz"


__all__ = ["FeatureKind", "KINDS", "STREAMS", "STREAM_DIM", "CROPS", "check_crops", "read_feature_file",
           "read_frame_cnt", "read_mask", "mask_file", "MASK_FOLDER"]
