"""A mock of the W-TALC THUMOS'14 features in their exact layout, for tests and benchmarks.

The real `Thumos14reduced-I3D-JOINTFeatures.npy` is a NumPy object array pickled under
Python 2: one float32 `[T_v, 2048]` array (RGB | flow I3D) per row of the annotation
folder, T_v = one snippet per 16 frames at 25 fps. The mock reads the real annotation
folder (rows, names, durations, GT) and writes a features file of the same layout and
pickle flavour (protocol 2, buffers as Python 2 byte strings), with random features plus
a class signal inside the GT segments so that a training has something to learn.
`length_scale` shortens every video by the same factor for speed; the layout (rows,
width, dtype, pickle) never changes.
"""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES_NAME = "Thumos14reduced-I3D-JOINTFeatures.npy"
SNIPPETS_PER_SECOND = 25.0 / 16.0  # 16-frame I3D snippets of videos sampled at 25 fps
WIDTH = 2048  # 1024 RGB + 1024 flow


@dataclass(frozen=True)
class MockWtalc:
    features: Path  # the object-array .npy
    annotations: Path  # the (real) annotation folder it is aligned with
    videos: int
    snippets: int
    feature_bytes: int  # float32 payload of all videos


def snippet_counts(annotations: Path, length_scale: float = 1.0) -> np.ndarray:
    """Per-video snippet counts from the real durations (at least one snippet per video)."""
    durations = np.load(annotations / "duration.npy").reshape(-1)
    return np.maximum(1, np.floor(durations * SNIPPETS_PER_SECOND * length_scale)).astype(np.int64)


def make_mock_wtalc(out: Path, annotations: Path, *, length_scale: float = 1.0, width: int = WIDTH,
                    seed: int = 0, signal: float = 1.0) -> MockWtalc:
    """Write `out/Thumos14reduced-I3D-JOINTFeatures.npy` for the annotation folder `annotations`."""
    out.mkdir(parents=True, exist_ok=True)
    counts = snippet_counts(annotations, length_scale)
    classes = [c.decode() for c in np.load(annotations / "classlist.npy")]
    segments = np.load(annotations / "segments.npy", allow_pickle=True, encoding="latin1")
    labels = np.load(annotations / "labels.npy", allow_pickle=True, encoding="latin1")
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((len(classes), width), dtype=np.float32)
    rows = np.empty(len(counts), dtype=object)
    for row, length in enumerate(counts):
        features = rng.standard_normal((int(length), width), dtype=np.float32)
        for (start, end), label in zip(segments[row], labels[row]):
            first = int(start * SNIPPETS_PER_SECOND * length_scale)
            last = max(first + 1, int(np.ceil(end * SNIPPETS_PER_SECOND * length_scale)))
            features[first:min(last, length)] += signal * prototypes[classes.index(label)]
        rows[row] = features
    path = out / FEATURES_NAME
    with open(path, "wb") as handle:
        write_python2_object_npy(handle, rows)
    return MockWtalc(path, annotations, len(counts), int(counts.sum()), int(counts.sum()) * width * 4)


class _Python2Pickler(pickle._Pickler):  # the pure-Python pickler: its opcode writers can be overridden
    """Protocol 2 with `bytes` written as Python 2 `str` (BINSTRING), as NumPy under Python 2 pickled array buffers.

    Memoisation is off (`fast`): the memo would keep every buffer copy alive until the end.
    """

    def save_bytes(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)))
            self.write(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes] = save_bytes


def write_python2_object_npy(handle, array: np.ndarray) -> None:
    """An object-array .npy as `np.save` under Python 2 wrote it (header 1.0, pickle protocol 2)."""
    np.lib.format.write_array_header_1_0(handle, {"descr": "|O", "fortran_order": False, "shape": array.shape})
    pickler = _Python2Pickler(handle, protocol=2)
    pickler.fast = True
    pickler.dump(array)
