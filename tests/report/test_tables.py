"""Tables and the summary rendered from fixture metrics (hand-made test data, not results)."""

from __future__ import annotations

from wstal.catalog import load_catalog
from wstal.cli import main
from wstal.report.aggregate import SeedStats
from wstal.report.build import table_view
from wstal.report.tables import RowView, TableView, render_latex, render_markdown
from wstal.report.verdicts import judge, parse_claim

from .conftest import SEEDS


def test_row_shows_paper_ours_and_difference():
    rows = {"Full": SeedStats((37.0, 38.0, 39.0)), "Base": SeedStats((30.0, 31.0, 29.0))}
    view = TableView("tableX", "Paper P, Table 9.", ["AVG5"],
                     [RowView("Full", {"AVG5": 37.4}, {"AVG5": rows["Full"]}),
                      RowView("Base_1", {"AVG5": 28.8}, {"AVG5": rows["Base"]})],
                     judgements=[judge(parse_claim("Full > Base", text="Full beats Base"), rows)],
                     dataset="synthetic", scale="default")
    md = render_markdown(view)
    assert "| Full" in md and "37.4" in md and "38.0 ± 1.0" in md and "+0.6" in md
    assert "holds" in md and "Full beats Base" in md
    tex = render_latex(view)
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"38.0 $\pm$ 1.0" in tex and r"Base\_1" in tex and r"\textbf{holds}" in tex
    assert r"\caption{Paper P, Table 9." in tex


def test_every_table_renders_from_fixture_metrics(fake_results):
    catalog = load_catalog(check_methods=False)
    for name, art in catalog.artifacts.items():
        if art.kind != "table":
            continue
        view = table_view(catalog, name, fake_results, SEEDS)
        tex = render_latex(view)
        assert art.source.split()[0] in view.caption or art.paper == "ours" or name in tex
        assert len(view.rows) == len(art.rows)
        assert len(view.judgements) == len(art.claims)


def test_table7_has_macs_and_the_inter_note(fake_results):
    view = table_view(load_catalog(check_methods=False), "table7", fake_results, SEEDS)
    md = render_markdown(view)
    assert "GMACs" in md and "0.44" in md and "fixture note on +inter" in md
    macs_rows = {j.claim.text: j.verdict.value for j in view.judgements if j.claim.metric == "GMACs"}
    assert macs_rows["The main branch is much cheaper than CO2-Net"] == "holds"


def test_wstal_table_and_summary_commands(fake_results, capsys):
    root = fake_results.results.parent
    common = ["--dataset", "synthetic", "--scale", "fixture", "--seeds", "0,1,2", "--results", str(root / "results"),
              "--tables", str(root / "tables")]
    assert main(["table", "3", *common]) == 0
    out = capsys.readouterr().out
    assert "Only Inner" in out and "36.6" in out
    for suffix in (".tex", ".md", ".html"):
        assert (root / "tables" / f"table3{suffix}").is_file()
    assert main(["summary", *common]) == 0
    summary = (root / "tables" / "summary.md").read_text()
    assert "synthetic" in summary and "fixture" in summary and "primary-final-checkpoint" in summary
    assert "Hard negatives improve over the baseline" in summary


def test_missing_metrics_is_a_one_line_error(tmp_path, capsys):
    code = main(["table", "1", "--dataset", "synthetic", "--scale", "fixture", "--seeds", "0",
                 "--results", str(tmp_path / "results"), "--tables", str(tmp_path / "tables")])
    err = capsys.readouterr().err
    assert code == 2 and "metrics file not found" in err and "cmcs_single-lmil" in err
