"""One matplotlib style for every figure: column width, readable fonts, colour-blind-safe colours.

Figures are sized for a single column of a two-column paper (3.4 in wide) at 8-9 pt, so
that they stay legible when included at 100% in LaTeX.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import matplotlib

matplotlib.use("Agg")  # files only, never a window (also on headless cluster nodes)
import matplotlib.pyplot as plt  # noqa: E402

from wstal.utils.atomic import atomic_write_bytes  # noqa: E402

COLUMN_WIDTH_IN = 3.4
DOUBLE_WIDTH_IN = 7.0
# Okabe-Ito palette (distinguishable with the common colour-vision deficiencies)
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PAPER_COLOR = "#555555"
OPTIMUM_COLOR = "#D55E00"

RC = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,  # embed TrueType: text stays text in the PDF
    "svg.fonttype": "none",
    "figure.constrained_layout.use": True,
}


@contextmanager
def figure_style() -> Iterator[None]:
    with matplotlib.rc_context(RC):
        yield


def save(fig: "plt.Figure", pdf: Path, png: Path) -> None:
    """PDF + PNG twins, each written atomically; the figure is closed afterwards."""
    import io

    for path, fmt in ((pdf, "pdf"), (png, "png")):
        buffer = io.BytesIO()
        # fixed metadata: the PDF does not change when nothing in it changed
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
        data = buffer.getvalue()
        atomic_write_bytes(path, lambda f, data=data: f.write(data))
    plt.close(fig)
