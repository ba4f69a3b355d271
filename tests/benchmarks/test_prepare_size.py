"""`wstal prepare` of a real feature source at real size: wall time and peak memory (a benchmark, not a timed test).

W-TALC THUMOS'14 (source wtalc-i3d): 412 videos, 2048-d float32, lengths from the real durations
(16 frames at 25 fps per snippet: 136,906 snippets, 1.12 GB), written in the real file's layout
(tests/mockdata/wtalc.py) into a temp folder. `prepare` converts it to the memory-mappable wstal
format; its peak RSS must stay within 1.5x the feature bytes (the reader holds the features once,
the writer streams them video by video).

CMCS UNT (source cmcs-unt): the CMCS layout of every annotated video with ten crops
(tests/mockdata/cmcs_layout.py). At full length it is ~43 GB, so the default scales the per-video
frame counts by WSTAL_BENCH_CMCS_LENGTH_SCALE=0.1 (~4.3 GB); `prepare` validates every file and
writes an index, one video in memory at a time.

Each `prepare` runs in its own process, which reports its own peak RSS (ru_maxrss). Run with
`python -m pytest tests/benchmarks/test_prepare_size.py -m benchmark -s`; the figures are printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.benchmark
WTALC_LENGTH_SCALE = float(os.environ.get("WSTAL_BENCH_WTALC_LENGTH_SCALE", "1.0"))
CMCS_LENGTH_SCALE = float(os.environ.get("WSTAL_BENCH_CMCS_LENGTH_SCALE", "0.1"))
MAX_RSS_OVER_FEATURES = 1.5
# Run `wstal` in a child that reports its own peak resident set (KiB on Linux) on its last line.
CHILD = ("import resource, sys\nfrom wstal.cli import main\ncode = main(sys.argv[1:])\n"
         "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(code)\n")


def run_measured(args: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS bytes, stdout) of `wstal ARGS` in a fresh process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("MAXRSS ")
    return wall, int(lines[-1].split()[1]) * 1024, "\n".join(lines[:-1])


def report(name: str, wall: float, rss: int, feature_bytes: int, note: str) -> None:
    print(f"\n[prepare {name}] {note}: wall {wall:.1f} s, peak RSS {rss / 1e9:.3f} GB, "
          f"features {feature_bytes / 1e9:.3f} GB, RSS/features {rss / feature_bytes:.2f}")


def test_prepare_wtalc_full_size(tmp_path, thumos_reduced):
    from mockdata.wtalc import make_mock_wtalc

    start = time.perf_counter()
    mock = make_mock_wtalc(tmp_path / "features", thumos_reduced, length_scale=WTALC_LENGTH_SCALE)
    made = time.perf_counter() - start
    out = tmp_path / "wtalc-i3d"
    wall, rss, stdout = run_measured(["prepare", "--dataset", "thumos14", "--scale", "paper", "--source",
                                      "wtalc-i3d", "--features", str(mock.features), "--annotations",
                                      str(thumos_reduced), "--out", str(out)])
    assert f"412 videos, 20 classes, {mock.snippets} snippets x 2048 features" in stdout
    report("wtalc-i3d", wall, rss, mock.feature_bytes,
           f"412 videos, {mock.snippets} snippets x 2048 (length scale {WTALC_LENGTH_SCALE:g}; mock written in "
           f"{made:.1f} s, {mock.features.stat().st_size / 1e9:.3f} GB .npy)")
    assert (out / "features.npz").stat().st_size >= mock.feature_bytes
    assert rss <= MAX_RSS_OVER_FEATURES * mock.feature_bytes


def test_prepare_cmcs_unt(tmp_path, shared_data):
    from mockdata.cmcs_layout import make_mock_cmcs_layout, shared_available

    if not shared_available():
        pytest.skip("official THUMOS'14 annotations / CMCS meta files not found")
    start = time.perf_counter()
    mock = make_mock_cmcs_layout(tmp_path / "cmcs", kinds=("unt",), length_scale=CMCS_LENGTH_SCALE)
    made = time.perf_counter() - start
    on_disk = sum(p.stat().st_size for p in mock.features_root.rglob("*.npz") if "FLOW-INTENSITY" not in p.parts)
    wall, rss, stdout = run_measured(["prepare", "--dataset", "thumos14", "--scale", "paper", "--source",
                                      "cmcs-unt", "--features", str(mock.features_root), "--annotations",
                                      str(mock.annotations_dir), "--meta", str(mock.meta_dir), "--out",
                                      str(tmp_path / "cmcs-unt")])
    assert f"{len(mock.videos)} videos indexed" in stdout
    report("cmcs-unt", wall, rss, on_disk,
           f"{len(mock.videos)} videos x 10 crops, frame counts x {CMCS_LENGTH_SCALE:g} (mock written in "
           f"{made:.1f} s); {stdout.split(': ', 1)[1]}")
    assert rss <= MAX_RSS_OVER_FEATURES * on_disk
