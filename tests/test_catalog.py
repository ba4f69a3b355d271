"""The experiment catalog: parsing, validation errors, what each artifact needs, the real catalog."""

from __future__ import annotations

import importlib.util
import json

import pytest

import toy_method  # noqa: F401  (registers the toy method)
from toy_method import TOY_CATALOG, write_toy_catalog
from wstal.artifacts import parse_claim
from wstal.catalog import DEFAULT_CATALOG, load_catalog
from wstal.cli import main
from wstal.errors import ConfigError


def test_toy_catalog_lists_runs_and_trainings(tmp_path):
    catalog = load_catalog(write_toy_catalog(tmp_path))
    assert catalog.runs("tableT") == [("toy_base", "default", None), ("toy_base", "strict", None),
                                      ("toy_small", "default", "snippet")]
    assert catalog.trainings("tableT") == ["toy_base", "toy_small"]
    assert catalog.trainings() == ["toy_base", "toy_small"]  # toy_slow is not used by any artifact
    table = catalog.artifact("tableT")
    assert table.row("Strict").paper == {"AVG5": 9.0, "mAP@0.5": 3.0}
    assert [c.check for c in table.claims] == ["Base > Small", "Strict ~= Base"]
    assert table.claims[1].metric == "mAP@0.5"
    assert catalog.experiment("toy_small").overrides == {"hidden": 4}
    assert catalog.choices["c1"].artifacts == ("tableT",)


@pytest.mark.parametrize("old, new, message", [
    ("method: toy, data_variant: plain, overrides: {}}", "method: tyo, data_variant: plain, overrides: {}}",
     "unknown method 'tyo' \\(did you mean 'toy'\\?\\)"),
    ("overrides: {hidden: 4}", "overrides: {hiden: 4}", "experiment 'toy_small': unknown config key 'hiden'"),
    ("overrides: {hidden: 4}", "overrides: {hidden: four}", "hidden expects int"),
    ("variant: strict", "variant: lenient", "unknown variant 'lenient' of method 'toy'"),
    ("toy_small: {method: toy, data_variant: plain", "toy_small: {method: toy, data_variant: fancy",
     "unknown data variant 'fancy'"),
    ("  toy_small: {", "  toy_base: {", "duplicate name 'toy_base'"),
    ("{label: Small, experiment: toy_small", "{label: Base, experiment: toy_small", "duplicate row label 'Base'"),
    ('check: "Base > Small"', 'check: "Base > Tiny"', "names unknown row 'Tiny'"),
    ('check: "h8 best-in hidden"', 'check: "h8 best-in width"', "names unknown series 'width'"),
    ('check: "Base > Small"', 'check: "Base beats Small"', "is not 'LABEL OP LABEL'"),
    ("protocol: snippet", "protocol: snipet", "unknown protocol 'snipet'"),
    ("plain: {knobs: {}}", "plain: {knobs: {contxt: 1}}", "unknown synthetic knob\\(s\\) contxt"),
    ("plain: {knobs: {}}", "plain: {knobs: {context: 7}}", "context=7"),
    ("choices: [c1]", "choices: [c2]", "unknown choice id 'c2'"),
    ("columns: [AVG5, mAP@0.5]", "columns: [AVG5, MAP]", "unknown column 'MAP'"),
    ("paper: {AVG5: 10.0}", "paper: {AVG7: 10.0}", "paper numbers for unknown column"),
    ("paper: {AVG5: 10.0}", "paper: {AVG5: ten}", "must be a number"),
    ("kind: table", "kind: tabel", "kind must be table or figure"),
    ("caption: toy\n", "caption: toy\n    colour: red\n", "unknown field\\(s\\) colour"),
    ("toy_small: {method: toy, data_variant: plain, overrides: {hidden: 4}",
     "toy_small: {method: toy, data_variant: plain, overrides: {hidden: 8}", "are the same run"),
    ("version: 1", "version: 2", "unsupported catalog version"),
    ("version: 1", "version: 1\nequivalence_margin: -1", "equivalence_margin must be a positive number"),
    ("    rows:\n      - {label: Base", "    reference: Bsae\n    rows:\n      - {label: Base",
     "reference 'Bsae' is not a row label"),
    ("protocol: snippet}", "protocol: snippet, reference: Smal}", "reference 'Smal' is not a row label"),
    ("  toy_base: {method", "  toy_base: [method", "not valid YAML"),
])
def test_validation_errors_are_one_line_and_name_the_problem(tmp_path, old, new, message):
    assert old in TOY_CATALOG
    path = write_toy_catalog(tmp_path, TOY_CATALOG.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as err:
        load_catalog(path)
    assert "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_listing_without_methods_skips_method_checks(tmp_path):
    path = write_toy_catalog(tmp_path, TOY_CATALOG.replace("overrides: {hidden: 4}", "overrides: {hiden: 4}"))
    catalog = load_catalog(path, check_methods=False)
    assert "toy_small" in catalog.experiments


def test_reference_rows_margin_and_entry_lines(tmp_path):
    text = TOY_CATALOG.replace("version: 1", "version: 1\nequivalence_margin: 0.5", 1)
    text = text.replace("    rows:\n      - {label: Base", "    reference: Base\n    rows:\n      - {label: Base", 1)
    catalog = load_catalog(write_toy_catalog(tmp_path, text))
    table = catalog.artifact("tableT")
    assert catalog.margin == 0.5 and table.reference_of(table.row("Small")) == "Base"
    lines = text.splitlines()
    assert "{label: Strict" in lines[table.row("Strict").line - 1]  # 1-based lines, for catalog.yaml#L<line>
    assert lines[catalog.experiment("toy_small").line - 1].strip().startswith("toy_small:")


def test_claim_parsing():
    claim = parse_claim({"text": "t", "check": "+ memory bank w/o L_att >= Baseline (x)"}, "here")
    assert (claim.lhs, claim.op, claim.rhs) == ("+ memory bank w/o L_att", ">=", "Baseline (x)")
    with pytest.raises(ConfigError, match="here: missing check"):
        parse_claim({"text": "t"}, "here")
    slight = parse_claim({"text": "drops slightly", "check": "EM=2 > EM=5", "min_effect": 0.2}, "here")
    assert slight.min_effect == 0.2
    for bad in ({"check": "A > B", "min_effect": 0}, {"check": "A > B", "min_effect": "big"},
                {"check": "A ~= B", "min_effect": 0.2}):
        with pytest.raises(ConfigError, match="here: min_effect"):
            parse_claim({"text": "t", **bad}, "here")


def test_catalog_command_check_json_and_listing(tmp_path, capsys):
    path = write_toy_catalog(tmp_path)
    assert main(["catalog", "--catalog", str(path), "--check"]) == 0
    assert "ok (2 artifacts, 3 experiments, 4 evaluations, 1 choices)" in capsys.readouterr().out
    assert main(["catalog", "--catalog", str(path), "--json", "--artifact", "figureT"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["artifacts"]["figureT"]["trainings"] == ["toy_base", "toy_small"]
    assert listing["experiments"]["toy_small"] == {"method": "toy", "data_variant": "plain",
                                                   "overrides": {"hidden": 4}}
    assert main(["catalog", "--catalog", str(path)]) == 0
    out = capsys.readouterr().out
    assert "tableT" in out and "toy_small" in out and "hidden=4" in out


def test_catalog_command_error_is_one_line(tmp_path, capsys):
    path = write_toy_catalog(tmp_path, TOY_CATALOG.replace("variant: strict", "variant: lenient"))
    assert main(["catalog", "--catalog", str(path), "--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("wstal: error:") and "lenient" in err and "\n" not in err


# ------------------------------------------------------------------ the real catalog

METHODS_PRESENT = all(importlib.util.find_spec(m) is not None for m in ("wstal.methods.cmcs", "wstal.methods.rskp"))
needs_methods = pytest.mark.skipif(not METHODS_PRESENT, reason="wstal.methods.cmcs / rskp not written yet: "
                                                               "the real catalog validates against them")


@needs_methods
def test_real_catalog_validates_against_the_methods():
    catalog = load_catalog(DEFAULT_CATALOG)
    expected = {f"table{i}" for i in range(1, 9)} | {f"figure{i}" for i in range(1, 13)}
    assert set(catalog.artifacts) == expected
    for name, art in catalog.artifacts.items():
        assert art.choices or art.metric is None, f"{name} records no choice"


def test_real_catalog_structure_without_methods():
    catalog = load_catalog(DEFAULT_CATALOG, check_methods=False)
    for name, exp in catalog.experiments.items():
        assert name.startswith(exp.method + "_"), name
    text = DEFAULT_CATALOG.read_text()
    assert text.index("# ===== CMCS experiments =====") < text.index("# ===== RSKP experiments =====")
    # Every experiment is needed by some artifact (nothing trained for nothing).
    assert set(catalog.trainings()) == set(catalog.experiments)


# The paper numbers, copied by hand from the papers: a typo in the catalog fails here.
PAPER = {
    "table1": {"Baseline": 28.8, "Baseline + Masking": 28.6, "Baseline + HN": 32.7},
    "table2": {"Single + L_mil (Baseline)": 28.8, "Multiple + L_mil": 29.1, "Baseline + HN": 32.7,
               "Baseline + HN (Wide)": 32.9, "Full (GAP)": 36.3, "Full (KernelSize=1)": 35.1, "Full": 37.4},
    "table3": {"Only Inner": 36.6, "Full (No Global)": 36.8, "Full (No Outer)": 37.0, "Full": 37.4},
    "figure3": {"Multiple + L_sum": 34.8, "Multiple + L_sum + HN": 37.4},
    "figure4": {"Single + L_mil + HN": 32.7, "Multiple + L_sum + HN": 37.4},
    "table4": {"Baseline w/o L_att": 35.6, "Baseline": 36.8, "+ representative snippets w/o L_att": 40.2,
               "+ representative snippets": 40.1, "+ pseudo label supervision w/o L_att": 42.0,
               "+ pseudo label supervision": 44.2, "+ memory bank w/o L_att": 42.5, "+ memory bank": 45.1},
}
PAPER_MULTI = {
    "table5": {"Baseline": (45.2, 29.9, 10.2, 36.8), "Full model w/o memory bank": (54.5, 37.3, 12.5, 44.2),
               "Foreground representative snippets": (52.2, 33.2, 11.7, 41.8),
               "Background representative snippets": (51.5, 30.9, 8.9, 40.2),
               "Top-score representative snippets": (49.2, 30.2, 8.5, 39.2),
               "Video-wise memory bank": (56.2, 38.2, 12.4, 45.0)},
    "table6": {"Feature L1 loss": (52.1, 32.1, 10.1, 41.1), "Feature L2 loss": (52.7, 31.6, 10.2, 41.2),
               "Concat mu_a and mu_e": (54.4, 35.2, 10.6, 43.0)},
    "table7": {"W-TALC": (40.1, 22.8, 7.6, None, 0.42), "CO2-Net": (54.5, 38.3, 13.4, 44.6, 2.79),
               "Main branch": (55.5, 38.2, 12.5, 44.7, 0.44), "+ intra-video branch": (55.8, 38.2, 12.5, 45.1, 0.48),
               "+ inter-video branch": (55.9, 38.2, 12.5, 45.2, 0.90)},
}


def test_real_catalog_paper_numbers_match_the_design():
    catalog = load_catalog(DEFAULT_CATALOG, check_methods=False)
    for name, rows in PAPER.items():
        art = catalog.artifact(name)
        column = "AVG7" if art.paper == "rskp" else "AVG5"
        for label, value in rows.items():
            assert art.row(label).paper == {column: value}, (name, label)
    for name, rows in PAPER_MULTI.items():
        art = catalog.artifact(name)
        for label, values in rows.items():
            got = tuple(art.row(label).paper.get(c) for c in art.columns)
            assert got == values, (name, label)
    assert catalog.artifact("figure5").row("Baseline").paper == {"AVG7": 36.8}
