"""`wstal bench step`: the three contenders timed side by side, a table, JSON; bad options in one line."""

from __future__ import annotations

import json

import pytest

from wstal.bench.step import make_case, video_lengths
from wstal.cli import main


def test_step_benchmark_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "step", "--method", "all", "--width", "default", "--rounds", "1",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| method | width |" in text and "| cmcs | default (128-d) |" in text and "| rskp | default" in text
    rows = json.loads(out.read_text())["rows"]
    assert [(r["method"], r["width"]) for r in rows] == [("cmcs", "default"), ("rskp", "default")]
    for r in rows:
        assert set(r["seconds"]) == {"released", "per_video", "packed"}
        assert all(s > 0 for s in r["seconds"].values())
        assert r["speedup_packed"] == pytest.approx(r["seconds"]["released"] / r["seconds"]["packed"])
        assert r["threads"] == 1 and r["clock"] == "process CPU"


def test_paper_width_cases_use_the_paper_configs_and_thumos_lengths():
    cmcs, rskp = make_case("cmcs", "paper", 0), make_case("rskp", "paper", 0)
    assert (cmcs.feature_dim, len(cmcs.lengths), cmcs.config.embed_dim) == (2048, 24, 32)
    assert (rskp.feature_dim, len(rskp.lengths), rskp.config.embed_dim) == (2048, 10, 2048)
    lengths = video_lengths("paper", 2000, 0)
    assert 200 < sorted(lengths)[1000] < 290  # median 155 s / 0.64 s = 242 snippets
    assert min(lengths) >= 14 and max(lengths) <= 2656
    assert video_lengths("default", 5, 3) == video_lengths("default", 5, 3)


@pytest.mark.parametrize("args, message", [
    (["--method", "wtalc"], "--method 'wtalc'"),
    (["--width", "huge"], "--width 'huge'"),
    (["--rounds", "0"], "--rounds 0"),
    (["--threads", "0"], "--threads 0"),
    (["--device", "tpu"], "--device 'tpu'"),
])
def test_bad_options_fail_in_one_line(args, message, capsys):
    assert main(["bench", "step", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("wstal: error: ") and message in err and "\n" not in err
