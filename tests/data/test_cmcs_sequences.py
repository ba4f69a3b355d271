"""CMCS-layout pieces that need no real files: crop/offset sequences, tick counts, one feature file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from wstal.data.cmcs_layout import KINDS, CropSource
from wstal.data.cmcs_layout.files import read_feature_file, read_mask
from wstal.data.cmcs_layout.sequences import CropSequences, offset0_view, offset_stride
from wstal.errors import ConfigError, DataError


def test_sequences_are_every_crop_at_every_offset_cut_to_the_shortest():
    base = torch.arange(2 * 10 * 1, dtype=torch.float32).view(2, 10, 1)  # B=2, N=10, D=1
    seqs = CropSequences(base, 3)
    assert seqs.count == 6 and seqs.length == 3  # offsets 0,1,2 have 4,3,3 snippets: cut to 3
    got = [seqs.sequence(s).view(-1).tolist() for s in range(6)]
    assert got == [[0, 3, 6], [10, 13, 16], [1, 4, 7], [11, 14, 17], [2, 5, 8], [12, 15, 18]]
    picked = CropSequences(base, 3, torch.tensor([0, 2]))
    assert picked.length == 2 and picked.sequence(3).view(-1).tolist() == [11, 17]
    assert offset0_view(base, 3)[1].view(-1).tolist() == [10, 13, 16, 19]  # test: offset 0, not cut
    with pytest.raises(DataError, match="fewer than the 3 temporal offsets"):
        CropSequences(base[:, :2], 3, name="v")


def _source(kind: str, frame_cnt: int) -> CropSource:
    return CropSource(kind=kind, rgb=Path("r"), flow=Path("f"), length=1, crops=10, frame_cnt=frame_cnt, fps=30.0)


def test_sample_rate_must_be_a_multiple_of_the_base_rate():
    assert offset_stride(_source("unt", 100), 15) == 3 and offset_stride(_source("i3d", 100), 16) == 4
    with pytest.raises(ConfigError, match="multiple of the unt features' base sample rate 5"):
        offset_stride(_source("unt", 100), 16)


@pytest.mark.parametrize("kind,frames,rate,ticks", [
    ("unt", 100, 15, 7), ("unt", 90, 15, 6), ("unt", 91, 15, 7),  # ticks 0, 15, ... < frame_cnt
    ("i3d", 100, 16, 6), ("i3d", 95, 16, 5), ("i3d", 96, 16, 6),  # chunk starts <= ((n - 16) // 16) * 16
])
def test_ticks_with_a_time_in_the_video(kind, frames, rate, ticks):
    assert _source(kind, frames).num_ticks(rate) == ticks


def test_one_feature_file_per_kind(tmp_path):
    x = np.random.default_rng(0).standard_normal((10, 7, 1024)).astype(np.float32)  # (B, T, D)
    np.savez(tmp_path / "unt.npz", feature=x.swapaxes(0, 1)[..., None, None], frame_cnt=np.int64(35))
    np.savez(tmp_path / "i3d.npz", feature=x.astype(np.float64), frame_cnt=np.array([40]))
    unt, n = read_feature_file(tmp_path / "unt.npz", KINDS.get("unt"))
    np.testing.assert_array_equal(unt, x)
    assert n == 35
    i3d, n = read_feature_file(tmp_path / "i3d.npz", KINDS.get("i3d"))
    assert i3d.dtype == np.float32 and n == 40
    np.testing.assert_allclose(i3d, x)
    with pytest.raises(DataError, match=r"expected \(B, T, 1024\)"):
        read_feature_file(tmp_path / "unt.npz", KINDS.get("i3d"))
    np.save(tmp_path / "plain.npy", x)
    (tmp_path / "plain.npz").write_bytes((tmp_path / "plain.npy").read_bytes())
    with pytest.raises(DataError, match="not an .npz archive"):
        read_feature_file(tmp_path / "plain.npz", KINDS.get("i3d"))
    np.savez(tmp_path / "cnt.npz", feature=x, frame_cnt=np.float64(3.5))
    with pytest.raises(DataError, match="frame_cnt must be a positive integer"):
        read_feature_file(tmp_path / "cnt.npz", KINDS.get("i3d"))
    np.savez(tmp_path / "mask.npz", mask=np.array([0, 1, 2]))
    with pytest.raises(DataError, match="only 0/1"):
        read_mask(tmp_path / "mask.npz", 3)
