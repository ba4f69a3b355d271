"""Bad inputs a careful user tried (issue 10): each ends in one `wstal: error:` line naming the
file or option (exit 2), a warning naming the file, or a correct result; never a traceback,
a silently wrong number or an overwritten input.
"""

from __future__ import annotations

import json
import struct
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from wstal.cli import main
from wstal.data.io import load_dataset, save_dataset
from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError, DataError, WstalError
from wstal.evaluate import GroundTruth, evaluate_detections, load_predictions, parse_tious

OUTCOMES: Counter = Counter()  # how each bad input ended, printed at the end of the module


@pytest.fixture(scope="module", autouse=True)
def _print_outcomes():
    yield
    print(f"\nbad-input cases: {dict(OUTCOMES)} (total {sum(OUTCOMES.values())})")


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expect_error(argv, capsys, *needles: str, what: str) -> str:
    code, _, err = run_cli(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, err
    errors = [line for line in lines if line.startswith("wstal: error: ")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    OUTCOMES[what + ":error"] += 1
    return errors[0]


def gt_json(tmp_path: Path, videos: dict | None = None, name: str = "gt.json") -> Path:
    videos = videos or {"v1": {"subset": "test", "duration": 30.0,
                               "annotations": [{"segment": [1.0, 10.0], "label": "A"}]},
                        "v2": {"subset": "test", "duration": 20.0,
                               "annotations": [{"segment": [2.0, 6.0], "label": "B"}]}}
    path = tmp_path / name
    path.write_text(json.dumps({"database": videos}))
    return path


def pred_json(tmp_path: Path, results: dict, name: str = "pred.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"results": results}))
    return path


GOOD = {"v1": [{"label": "A", "score": 0.9, "segment": [1.0, 10.0]}],
        "v2": [{"label": "B", "score": 0.8, "segment": [2.0, 6.0]}]}


# ----------------------------------------------------------------------------- defect 1: --tiou


@pytest.mark.parametrize("text", ["0.1:0.7:0.0000001", "0.1:1e9:1", "0.1:1e300:1e-300", "-5:0.5:0.1",
                                  "0.1:0.7:nan", "0.1:inf:0.1", "0.1:0.7:5e-324"])
def test_tiou_range_and_count_are_checked_before_expanding(text):
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="--tiou"):
        parse_tious(text)
    assert time.perf_counter() - t0 < 1.0
    OUTCOMES["tiou:error"] += 1


def test_tiou_cli_error_is_one_line(tmp_path, capsys):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred, "--tiou", "0.1:0.7:0.0000001"], capsys,
                 "--tiou", what="tiou-cli")


def test_tiou_valid_ranges_still_work():
    assert parse_tious("0.5:0.95:0.05") == tuple(round(0.5 + 0.05 * i, 10) for i in range(10))
    assert len(parse_tious("0.001:1:0.001")) == 1000


# ----------------------------------------------------------------------------- defect 2: --output = an input


@pytest.mark.parametrize("which", ["predictions", "annotations"])
def test_output_may_not_overwrite_an_input(tmp_path, capsys, which):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    before = {gt: gt.read_bytes(), pred: pred.read_bytes()}
    target = pred if which == "predictions" else gt
    alias = target.parent / "." / target.name  # a different spelling of the same file
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred, "--output", alias], capsys,
                 "--output", str(alias), what="output-is-input")
    assert {p: p.read_bytes() for p in before} == before


def test_output_may_not_overwrite_an_input_through_a_symlink(tmp_path, capsys):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    link = tmp_path / "link.json"
    link.symlink_to(pred)
    saved = pred.read_bytes()
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred, "--output", link], capsys, "--output",
                 what="output-is-input")
    assert pred.read_bytes() == saved


# ----------------------------------------------------------------------------- defect 5: unknown subsets


def small_dataset(subsets=("validation", "validation", "test", "test"), train="validation", test="test") -> Dataset:
    rng = np.random.default_rng(0)
    videos = [Video(name=f"vid{i}", subset=s, duration=5 * 0.64, features=rng.normal(size=(5, 4)).astype(np.float32),
                    segments=np.array([[0.0, 1.0]]), segment_labels=np.array([0]), labels=(0,))
              for i, s in enumerate(subsets)]
    return Dataset(name="small", classes=("A", "B"), videos=videos, train_subset=train, test_subset=test)


@pytest.mark.parametrize("fmt", ["wstal", "reduced"])
def test_a_video_of_an_unknown_subset_is_an_error_naming_video_and_subset(tmp_path, fmt):
    dataset = small_dataset()
    save_dataset(dataset, tmp_path / "d", fmt=fmt)
    folder = tmp_path / "d"
    if fmt == "wstal":
        doc = json.loads((folder / "annotations.json").read_text())
        doc["videos"][1]["subset"] = "valdiation"
        (folder / "annotations.json").write_text(json.dumps(doc))
    else:
        subsets = np.load(folder / "subset.npy")
        subsets[1] = b"valdiation"
        np.save(folder / "subset.npy", subsets)
        assert (folder / "wstal_meta.json").exists()  # the meta file path skipped the subset check
    with pytest.raises(DataError, match=r"video 'vid1'.*'valdiation'") as info:
        load_dataset(folder)
    assert str(folder) in str(info.value)
    OUTCOMES["unknown-subset:error"] += 1


# ----------------------------------------------------------------------------- defect 9: --snippet-seconds


@pytest.mark.parametrize("value", ["0", "-1", "1e-9", "1e9", "nan", "inf"])
def test_snippet_seconds_is_range_checked(tmp_path, capsys, value):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred, "--protocol", "snippet",
                  "--snippet-seconds", value], capsys, "--snippet-seconds", what="snippet-seconds")


def test_snippet_seconds_in_range_is_accepted(tmp_path, capsys):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    code, out, _ = run_cli(["evaluate", "--annotations", gt, "--predictions", pred, "--protocol", "snippet",
                            "--snippet-seconds", "0.4"], capsys)
    assert code == 0 and "100.00" in out


# ----------------------------------------------------------------------------- defect 10: prediction units


@pytest.mark.parametrize("factor", [25.0, 1000.0])
def test_predictions_in_frames_or_milliseconds_are_flagged(tmp_path, capsys, factor):
    scaled = {v: [{**row, "segment": [t * factor for t in row["segment"]]} for row in rows]
              for v, rows in GOOD.items()}
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, scaled)
    code, _, err = run_cli(["evaluate", "--annotations", gt, "--predictions", pred], capsys)
    assert code == 0
    assert "wstal: warning:" in err and str(pred) in err and "duration" in err and "seconds" in err, err
    OUTCOMES["prediction-units:warning"] += 1


def test_predictions_in_seconds_give_no_unit_warning(tmp_path, capsys):
    gt, pred = gt_json(tmp_path), pred_json(tmp_path, GOOD)
    code, _, err = run_cli(["evaluate", "--annotations", gt, "--predictions", pred], capsys)
    assert code == 0 and "warning" not in err


# ----------------------------------------------------------------------------- defect 11: bit rot


def test_convert_detects_a_flipped_bit_in_features(tmp_path, capsys):
    save_dataset(small_dataset(), tmp_path / "src")
    npz = tmp_path / "src" / "features.npz"
    raw = bytearray(npz.read_bytes())
    offset = raw.index(b"\x93NUMPY") + 200  # inside the first member's float data
    raw[offset] ^= 0x01
    npz.write_bytes(bytes(raw))
    load_dataset(tmp_path / "src")  # the fast path does not check (and a flip in floats is a valid float)
    expect_error(["convert", tmp_path / "src", tmp_path / "dst"], capsys, "features.npz", "CRC",
                 what="bit-rot-convert")
    assert not (tmp_path / "dst").exists()


# ----------------------------------------------------------------------------- defect 12: duplicate keys


def test_duplicate_video_key_in_predictions_is_an_error(tmp_path):
    path = tmp_path / "pred.json"
    path.write_text('{"results": {"v1": [{"label": "A", "score": 0.9, "segment": [1, 10]}], '
                    '"v1": [{"label": "A", "score": 0.1, "segment": [20, 25]}]}}')
    with pytest.raises(DataError, match=r"pred.json.*duplicate key 'v1'"):
        load_predictions(path)
    OUTCOMES["duplicate-key:error"] += 1


def test_duplicate_video_key_in_gt_json_is_an_error(tmp_path):
    path = tmp_path / "gt.json"
    path.write_text('{"database": {"v1": {"subset": "test", "annotations": []}, '
                    '"v1": {"subset": "test", "annotations": []}}}')
    with pytest.raises(DataError, match=r"gt.json.*duplicate key 'v1'"):
        GroundTruth.from_json(path)
    OUTCOMES["duplicate-key:error"] += 1


# ----------------------------------------------------------------------------- defect 17: .npy headers


def npy_with_header(path: Path, shape: tuple, descr: str = "<f8", payload: bytes = b"\0" * 64,
                    header_len: int | None = None) -> Path:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    size = len(header) if header_len is None else header_len
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", size) + header + payload)
    return path


@pytest.mark.parametrize("shape", [(10**14, 1), (400_000_000,)])
def test_npy_header_claims_are_checked_against_the_file_size_first(tmp_path, shape):
    import resource

    from wstal.data.safe_pickle import load_npy

    path = npy_with_header(tmp_path / "claims.npy", shape)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError, match=r"claims.npy.*(header claims|file has)"):
        load_npy(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"allocated {grown_mb:.0f} MB before refusing"
    OUTCOMES["npy-header:error"] += 1


def test_npy_header_length_is_capped(tmp_path):
    from wstal.data.safe_pickle import load_npy

    path = tmp_path / "long.npy"
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), " + b"'x'" + b" " * 200_000 + b"}\n"
    path.write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + b"\0" * 8)
    with pytest.raises(DataError, match=r"long.npy.*header.*more than 10000"):  # refused before parsing it
        load_npy(path)
    OUTCOMES["npy-header:error"] += 1


# ----------------------------------------------------------------------------- defect 18: absurd segments


@pytest.mark.parametrize("segment", [[-50, -10], [-1, 5], [0.2, 1e9]])
def test_absurd_prediction_segments_are_rejected(tmp_path, segment):
    path = pred_json(tmp_path, {"v1": [{"label": "A", "score": 0.9, "segment": segment}]})
    with pytest.raises(DataError, match=r"pred.json.*video 'v1' prediction 0"):
        evaluate_detections(GroundTruth.from_json(gt_json(tmp_path)), load_predictions(path))
    OUTCOMES["absurd-segment:error"] += 1


@pytest.mark.parametrize("segment", [[-50, -10], [-1, 5], [0.2, 1e9]])
def test_absurd_gt_segments_are_rejected(tmp_path, segment):
    path = gt_json(tmp_path, {"v1": {"subset": "test", "duration": 30.0,
                                     "annotations": [{"segment": segment, "label": "A"}]}})
    with pytest.raises(DataError, match=r"gt.json.*video 'v1' annotation 0"):
        GroundTruth.from_json(path)
    OUTCOMES["absurd-segment:error"] += 1


def test_gt_segment_far_beyond_a_known_duration_is_rejected_like_the_folder_reader(tmp_path):
    path = gt_json(tmp_path, {"v1": {"subset": "test", "duration": 3.0,
                                     "annotations": [{"segment": [0.0, 300.0], "label": "A"}]}})
    with pytest.raises(DataError, match="not seconds"):
        GroundTruth.from_json(path)
    OUTCOMES["absurd-segment:error"] += 1


def test_folder_reader_rejects_the_same_absurd_end_without_a_duration_hint(tmp_path):
    dataset = small_dataset()
    save_dataset(dataset, tmp_path / "d")
    doc = json.loads((tmp_path / "d" / "annotations.json").read_text())
    doc["videos"][0]["duration"] = 1e9
    doc["videos"][0]["segments"] = [[0.2, 1e9]]
    (tmp_path / "d" / "annotations.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="vid0"):
        load_dataset(tmp_path / "d")


# ----------------------------------------------------------------------------- defect 23: messages


def test_unknown_label_error_names_the_prediction_file(tmp_path, capsys):
    gt = gt_json(tmp_path)
    pred = pred_json(tmp_path, {"v1": [{"label": "Zebra", "score": 0.9, "segment": [1, 2]}]})
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred], capsys, str(pred), "'Zebra'",
                 what="unknown-label")


def test_all_predictions_ignored_is_an_error(tmp_path, capsys):
    gt = gt_json(tmp_path)
    pred = pred_json(tmp_path, {"video_x": [{"label": "A", "score": 0.9, "segment": [1, 2]}]})
    expect_error(["evaluate", "--annotations", gt, "--predictions", pred], capsys, str(pred), "video_x",
                 what="all-ignored")


# ----------------------------------------------------------------------------- defect 7: impossible metrics


def write_metrics(results: Path, experiment: str, variant: str, seed: int, data: dict,
                  dataset: str = "synthetic", scale: str = "fixture") -> Path:
    path = results / dataset / scale / experiment / f"seed{seed}" / variant / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, allow_nan=True))
    return path


def good_metrics(**fields) -> dict:
    maps = [50.0, 45.0, 40.0, 35.0, 30.0, 25.0, 20.0]
    return {"protocol": "snippet", "tiou": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], "map": maps, "average": 40.0,
            "averages": {"avg5": 40.0, "avg7": 35.0}, "per_class": {"A": list(maps)}, "classification_map": 80.0,
            "best_on_test": None, **fields}


@pytest.mark.parametrize("mangle, needle", [
    (lambda m: m.update(average=float("nan")), "average"),
    (lambda m: m["averages"].update(avg5=1e6), "avg5"),
    (lambda m: m["map"].__setitem__(2, -5.0), "map"),
    (lambda m: m.update(classification_map=101.0), "classification_map"),
    (lambda m: m["per_class"]["A"].__setitem__(0, float("inf")), "per_class"),
    (lambda m: m.update(experiment="other_experiment"), "experiment"),
    (lambda m: m.update(scale="paper"), "scale"),
    (lambda m: m.update(variant="other"), "variant"),
    (lambda m: m.update(dataset="thumos14"), "dataset"),
])
def test_impossible_or_foreign_metrics_are_rejected_where_read(tmp_path, mangle, needle):
    from wstal.report.aggregate import read_json  # the one read path of the results table

    metrics = good_metrics(experiment="exp", scale="fixture", variant="default", dataset="synthetic",
                           provenance={"seed": 0})
    ok = write_metrics(tmp_path, "exp", "default", 0, metrics)
    assert read_json(ok)["averages"]["avg5"] == 40.0
    mangle(metrics)
    bad = write_metrics(tmp_path, "exp", "default", 0, metrics)
    with pytest.raises(WstalError, match=needle) as info:
        read_json(bad)
    assert str(bad) in str(info.value)
    OUTCOMES["impossible-metrics:error"] += 1


@pytest.mark.parametrize("data", [[1, 2, 3], "text", {"map": "x"}, {"tiou": [0.5], "map": [50.0, 1.0]}])
def test_wrong_shaped_metrics_are_rejected_where_read(tmp_path, data):
    from wstal.report.aggregate import read_json

    bad = write_metrics(tmp_path, "exp", "default", 0, data)
    with pytest.raises(WstalError) as info:
        read_json(bad)
    assert str(bad) in str(info.value)
    OUTCOMES["wrong-shaped-metrics:error"] += 1


def test_seed_mismatch_is_rejected(tmp_path):
    from wstal.report.aggregate import read_json

    bad = write_metrics(tmp_path, "exp", "default", 3, good_metrics(provenance={"seed": 0}))
    with pytest.raises(WstalError, match="seed"):
        read_json(bad)
