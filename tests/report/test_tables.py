"""Tables, the summary and the tidy results table from fixture metrics (hand-made test data, not results)."""

from __future__ import annotations

import pandas as pd

from wstal.artifacts import Claim
from wstal.catalog import load_catalog
from wstal.cli import main
from wstal.report.aggregate import SeedStats
from wstal.report.build import table_view
from wstal.report.results import (
    AP_PREFIX,
    NUMBER_COLUMNS,
    PROVENANCE_COLUMNS,
    RUN_COLUMNS,
)
from wstal.report.tables import (
    RowView,
    TableView,
    render_html,
    render_latex,
    render_markdown,
)
from wstal.report.verdicts import judge

from .conftest import CLASSES, SEEDS, write_fake_results


def test_row_shows_paper_ours_and_difference():
    rows = {"Full": SeedStats((37.0, 38.0, 39.0), SEEDS, "d"), "Base": SeedStats((30.0, 31.0, 29.0), SEEDS, "d")}
    view = TableView("tableX", "Paper P, Table 9.", ["AVG5"],
                     [RowView("Full", {"AVG5": 37.4}, {"AVG5": rows["Full"]}),
                      RowView("Base_1", {"AVG5": 28.8}, {"AVG5": rows["Base"]})],
                     judgements=[judge(Claim("Full beats Base", "Full", ">", "Base"), rows, 1.0)],
                     dataset="thumos14", scale="default")
    md = render_markdown(view)
    assert "| Full" in md and "37.4" in md and "38.0 ± 1.0" in md and "+0.6" in md
    assert "holds" in md and "Full beats Base" in md and "paired t, n=3" in md and "Verdict rule:" in md
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
        render_latex(view), render_html(view)
        assert len(view.rows) == len(art.rows)
        assert len(view.judgements) == len(art.claims)
        assert all(j.detail for j in view.judgements)


def test_synthetic_tables_show_effects_and_real_data_absolute_differences(fake_results, tmp_path):
    catalog = load_catalog(check_methods=False)
    view = table_view(catalog, "table1", fake_results, SEEDS)
    assert view.mode == "effects"
    md = render_markdown(view)
    assert "AVG(0.1:0.5) paper effect" in md and "AVG(0.1:0.5) our effect" in md and "| ref " in md
    hn = next(r for r in view.rows if r.label == "Baseline + HN")
    assert hn.paper_effects["AVG5"] == 32.7 - 28.8  # the paper's effect against the reference row Baseline
    assert hn.effects["AVG5"].test == "paired t"  # same data variant, same seeds
    assert "+3.9" in md and "synthetic data" in md
    real = write_fake_results(tmp_path / "real", dataset="thumos14")
    real_md = render_markdown(table_view(catalog, "table1", real, SEEDS))
    assert "paper effect" not in real_md and "Δ = ours − paper" in real_md


def test_table8_is_a_matrix_per_model_without_paper_columns(fake_results):
    view = table_view(load_catalog(check_methods=False), "table8", fake_results, SEEDS)
    assert view.mode == "matrix"
    md = render_markdown(view)
    headers = [line for line in md.splitlines() if line.startswith("| row")]
    assert len(headers) == 2 and not any("paper" in h for h in headers)
    assert "*CMCS Full / activitynet: mean ± std" in md and "*RSKP Full / activitynet: mean ± std" in md
    snippet = next(line for line in md.splitlines() if line.startswith("| [CMCS Full / snippet]"))
    assert snippet.count(" paired") == 9  # 7 tIoUs + 2 averages, each a paired difference from activitynet
    assert " ± " in next(line for line in md.splitlines() if line.startswith("| [CMCS Full / activitynet]"))
    assert "\\multicolumn" in render_latex(view)
    claims = [line for line in md.splitlines() if "CMCS Full / th14 < CMCS Full / activitynet" in line]
    assert len(claims) == 1 and "AVG(0.1:0.7)" in claims[0]  # the artifact's metric, not the first column


def test_rows_link_their_catalog_entry_and_run_config(fake_results):
    catalog = load_catalog(check_methods=False)
    md = render_markdown(table_view(catalog, "table3", fake_results, SEEDS))
    row = catalog.artifact("table3").row("Only Inner")
    line = next(line for line in md.splitlines() if line.startswith("| [Only Inner]"))
    assert f"catalog.yaml#L{row.line})" in line
    assert "[cmcs_full](" in line and f"catalog.yaml#L{catalog.experiment('cmcs_full').line})" in line
    cells = [c.strip() for c in line.split("|")]
    assert "only-inner" in cells and "fixture" in cells  # inference variant, protocol scored
    assert "synthetic/fixture/cmcs_full/seed0/config.json" in line
    html = render_html(table_view(catalog, "table3", fake_results, SEEDS))
    assert f'catalog.yaml#L{row.line}">Only Inner</a>' in html


def test_table7_has_macs_and_the_inter_note(fake_results):
    view = table_view(load_catalog(check_methods=False), "table7", fake_results, SEEDS)
    md = render_markdown(view)
    assert "GMACs" in md and "0.44" in md and "fixture note on +inter" in md
    macs_rows = {j.claim.text: j.verdict.value for j in view.judgements if j.claim.metric == "GMACs"}
    assert macs_rows["The main branch is much cheaper than CO2-Net"] == "holds"


def test_wstal_table_summary_and_collect_commands(fake_results, capsys):
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
    assert "Hard negatives improve over the baseline" in summary and "what would decide it" in summary
    csv = fake_results.metrics_table
    assert csv.is_file()
    csv.unlink()
    assert main(["collect", *common]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.columns) == RUN_COLUMNS + NUMBER_COLUMNS + sorted(AP_PREFIX + c for c in CLASSES) \
        + PROVENANCE_COLUMNS
    catalog = load_catalog(check_methods=False)
    quantitative = [n for n, a in catalog.artifacts.items() if a.metric is not None]
    runs = {r for n in quantitative for r in catalog.runs(n)}
    assert len(frame) == len(runs) * len(SEEDS) * 7  # one row per evaluation, seed and tIoU
    first = frame.iloc[0]
    assert first["train_commits"] == "traincommit" and first["eval_commit"] == "evalcommit"
    assert first["checkpoint"] == "final" and first["train_wall_s"] == 12.5
    table8 = frame[(frame["experiment"] == "cmcs_full") & (frame["protocol"] == "th14") & ~frame["primary"]]
    assert sorted(table8["seed"].unique()) == list(SEEDS)


def test_missing_metrics_is_a_one_line_error(tmp_path, capsys):
    code = main(["table", "1", "--dataset", "synthetic", "--scale", "fixture", "--seeds", "0",
                 "--results", str(tmp_path / "results"), "--tables", str(tmp_path / "tables")])
    err = capsys.readouterr().err
    assert code == 2 and "metrics file not found" in err and "cmcs_single-lmil" in err
