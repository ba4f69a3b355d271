"""Every quantitative figure renders from fixture metrics (hand-made test data, not results)."""

from __future__ import annotations

from wstal.catalog import load_catalog
from wstal.report.build import is_qualitative
from wstal.report.figures import render_figure

from .conftest import SEEDS


def test_quantitative_figures_write_pdf_and_png(fake_results):
    catalog = load_catalog(check_methods=False)
    names = [n for n, a in catalog.artifacts.items() if a.kind == "figure" and not is_qualitative(a)]
    assert {"figure1", "figure2", "figure3", "figure4", "figure5", "figure6", "figure11"} <= set(names)
    for name in names:
        pdf, png = render_figure(catalog, name, fake_results, SEEDS)
        assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")


def test_pdf_is_byte_stable(fake_results):
    """Re-rendering unchanged inputs gives the same bytes (no timestamps), so nothing downstream re-runs."""
    catalog = load_catalog(check_methods=False)
    pdf, _ = render_figure(catalog, "figure6", fake_results, SEEDS)
    first = pdf.read_bytes()
    render_figure(catalog, "figure6", fake_results, SEEDS)
    assert pdf.read_bytes() == first


def test_figure11_has_one_gain_panel_per_phenomenon():
    from wstal.report.figures import gain_panels

    art = load_catalog(check_methods=False).artifact("figure11")
    assert art.plot == "paired-gain"
    panels = gain_panels(art)
    assert list(panels) == ["context", "completeness", "venue"]
    assert [len(pairs) for pairs in panels.values()] == [1, 1, 2]
    for pairs in panels.values():
        for without, with_ in pairs:
            assert min(float(r.x) for r in without) == 0.0  # every sweep shows the knob at 0
            assert [r.x for r in without] == [r.x for r in with_]


def test_paired_gains_are_per_seed_differences(fake_results):
    from wstal.report.build import row_values
    from wstal.report.figures import gain_panels, paired_gains

    art = load_catalog(check_methods=False).artifact("figure11")
    (without, with_), = gain_panels(art)["context"]
    gains = paired_gains(fake_results, without[0], with_[0], "AVG5", SEEDS)
    a = row_values(fake_results, without[0], "AVG5", SEEDS).values
    b = row_values(fake_results, with_[0], "AVG5", SEEDS).values
    assert gains.tolist() == [y - x for x, y in zip(a, b)]


def test_paired_gain_panels_need_pairs_with_the_same_knob_values():
    import dataclasses

    import pytest

    from wstal.errors import ConfigError
    from wstal.report.figures import gain_panels

    art = load_catalog(check_methods=False).artifact("figure11")
    odd = dataclasses.replace(art, rows=tuple(r for r in art.rows if r.series != "venue: early fusion"))
    with pytest.raises(ConfigError, match="pairs"):
        gain_panels(odd)
    shifted = dataclasses.replace(art, rows=tuple(dataclasses.replace(r, x=0.9) if r.label == "Full @ completeness=1"
                                                  else r for r in art.rows))
    with pytest.raises(ConfigError, match="same x values"):
        gain_panels(shifted)


def test_unknown_plot_kind_is_a_config_error():
    import pytest

    from wstal.artifacts import parse_artifact
    from wstal.errors import ConfigError

    entry = {"kind": "figure", "source": "s", "paper": "ours", "caption": "c", "rows": [{"label": "a"}], "plot": "pie"}
    with pytest.raises(ConfigError, match="plot must be one of"):
        parse_artifact("figureX", entry, {})


def test_a_quantitative_figure_does_not_import_torch(fake_results):
    """Plots read metrics files only: `wstal figure` pays torch's import (~2 s) for qualitative figures only."""
    import subprocess
    import sys

    layout = fake_results
    code = ("import sys; from wstal.cli import main; "
            f"rc = main(['figure', 'figure6', '--dataset', {layout.dataset!r}, '--scale', {layout.scale!r}, "
            f"'--seeds', {','.join(map(str, SEEDS))!r}, '--results', {str(layout.results)!r}, "
            f"'--figures', {str(layout.figures)!r}]); "
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (layout.figures / "figure6.png").is_file()
