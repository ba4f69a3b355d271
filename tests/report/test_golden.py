"""The golden comparison on fixture numbers: what moves is reported, what does not passes."""

from __future__ import annotations

import copy
import json

from wstal.catalog import load_catalog
from wstal.cli import main
from wstal.report.build import Number, all_numbers, is_qualitative
from wstal.report.golden import MAP_TOLERANCE, compare, golden_document, report

from .conftest import SEEDS


def doc(values):
    return golden_document([Number("table1", "Baseline", "AVG5", tuple(values)),
                            Number("table7", "Main branch", "MACs", (439726080.0,))], "synthetic", "smoke", [0, 1])


def test_identical_and_within_tolerance_pass():
    assert compare(doc([30.0, 31.0]), doc([30.0, 31.0])) == []
    assert compare(doc([30.0, 31.0]), doc([30.0 + MAP_TOLERANCE / 2, 31.0])) == []


def test_moved_map_missing_rows_and_macs_are_reported():
    moved = compare(doc([30.0, 31.0]), doc([30.5, 31.0]))
    assert len(moved) == 1 and "moved by 0.5000" in moved[0].format()
    assert "table1 | Baseline | AVG5" in moved[0].format()
    changed = doc([30.0, 31.0])
    changed["numbers"]["table7"]["Main branch"]["MACs"] = [439726081.0]
    assert "MACs changed" in compare(doc([30.0, 31.0]), changed)[0].reason
    fewer = copy.deepcopy(doc([30.0, 31.0]))
    del fewer["numbers"]["table1"]
    assert "missing from this run" in compare(doc([30.0, 31.0]), fewer)[0].reason
    assert "wstal golden --update" in report(compare(doc([30.0, 31.0]), fewer), "g.json")


def test_golden_command_update_then_compare(fake_results, tmp_path, capsys):
    root = fake_results.results.parent
    golden = tmp_path / "golden.json"
    common = ["--dataset", "synthetic", "--scale", "fixture", "--seeds", "0,1,2",
              "--results", str(root / "results"), "--golden", str(golden)]
    assert main(["golden", "--update", *common]) == 0
    data = json.loads(golden.read_text())
    assert data["numbers"]["table7"]["Main branch"]["MACs"] == [439726080.0]
    assert main(["golden", *common]) == 0
    data["numbers"]["table3"]["Full"]["AVG5"][0] += 1.0
    golden.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["golden", *common]) == 1
    assert "table3 | Full | AVG5" in capsys.readouterr().out


def test_numbers_cover_every_quantitative_row(fake_results):
    catalog = load_catalog(check_methods=False)
    names = [n for n, a in catalog.artifacts.items() if not is_qualitative(a)]
    numbers = all_numbers(catalog, fake_results, SEEDS, names)
    rows = {(n.artifact, n.row) for n in numbers}
    for name in names:
        for row in catalog.artifact(name).rows:
            if row.experiment is not None or row.macs is not None:
                assert (name, row.label) in rows
