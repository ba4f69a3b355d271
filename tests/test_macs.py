"""MACs regression: every count of table7 pinned exactly (FlopCounterMode, FLOPs / 2, T = 100)."""

from __future__ import annotations

import json

import pytest
import torch

from wstal.cli import main
from wstal.macs import count_macs, co2net_macs, rskp_inter_conventions, rskp_macs, wtalc_macs


def test_count_macs_counts_one_per_multiply_add():
    a, b = torch.randn(3, 4), torch.randn(4, 5)
    assert count_macs(lambda: a @ b) == 3 * 4 * 5
    assert count_macs(lambda: torch.relu(a).softmax(-1)) == 0


def test_wtalc_and_co2net_match_the_spec_arithmetic():
    assert wtalc_macs() == 423_526_400
    assert co2net_macs() == 2_789_421_056


def test_rskp_released_convention_matches_the_spec():
    assert rskp_macs(solver="inverse") == {"main": 439_726_080, "intra": 476_960_896, "inter": 512_936_912}


def test_rskp_push_through_solver_counts():
    assert rskp_macs(solver="push_through") == {"main": 439_726_080, "intra": 459_684_096, "inter": 477_180_612}


def test_inter_conventions_near_the_papers_090():
    got = {name: row["macs"] for name, row in rskp_inter_conventions().items()}
    assert got == {
        "released_training_code": 512_936_912,
        "all_classes_one_walk": 552_798_912,
        "class_by_class_full": 941_918_912,
        "class_by_class_product_only": 899_958_912,
        "second_embedding_walk_head": 932_367_312,
        "second_embedding_only": 896_391_296,
    }


def test_macs_command_writes_the_report(tmp_path):
    out = tmp_path / "macs.json"
    assert main(["macs", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    models = report["models"]
    assert models["rskp_main"]["gmacs"] == pytest.approx(0.44, abs=0.005)
    assert models["rskp_intra"]["gmacs"] == pytest.approx(0.477, abs=0.0005)
    assert all(models[k]["matches_spec"] for k in ("wtalc", "co2net", "rskp_main", "rskp_intra", "rskp_inter"))
    assert not models["rskp_inter"]["matches_paper"] and models["rskp_inter"]["paper_gmacs"] == 0.90
    assert models["cmcs"]["macs"] > 0
    assert "0.90" in report["rskp_inter_note"]["text"]
    assert main(["macs", "--out", str(out), "--snippets", "0"]) == 2
