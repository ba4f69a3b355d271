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
