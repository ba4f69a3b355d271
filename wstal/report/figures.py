"""Quantitative figures from run metrics: the series plots (sweeps, modality), per-class AP gains.

Which plot an artifact gets follows from its catalog entry, not from its name:
* metric `AP per class` -> per-class gain of the second row over the first (CMCS Fig. 3/4);
* rows with numeric `x` -> one line per series, mean ± std over seeds, seeds as dots;
* rows with categorical `x` -> grouped bars per series, seeds as dots;
* `plot: paired-gain` (figure11) -> one panel per series prefix ("context: ..."), whose series come
  in (without, with) pairs: the gain with - without per seed at each x, mean ± std and seeds as
  dots, against a zero line (a mechanism's gain should vanish where its knob is 0).
The paper's stated optimum (a `best-in` claim) is marked with a star and the paper's own
numbers, when the catalog has them, are drawn as grey hollow markers.
Qualitative figures (no metric) are in `wstal.report.qualitative`.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

from wstal.artifacts import Artifact, Row
from wstal.catalog import Catalog
from wstal.errors import ConfigError
from wstal.metrics import AVERAGES, COVERAGE, PER_CLASS
from wstal.report.aggregate import SeedStats
from wstal.report.build import is_qualitative, row_values
from wstal.report.results import read_results
from wstal.report.paths import Layout
from wstal.report.style import COLORS, COLUMN_WIDTH_IN, OPTIMUM_COLOR, PAPER_COLOR, figure_style, save


def _series(art: Artifact) -> "OrderedDict[str, list[Row]]":
    groups: OrderedDict[str, list[Row]] = OrderedDict()
    for row in art.rows:
        groups.setdefault(row.series or art.name, []).append(row)
    return groups


def _optima(art: Artifact) -> set[str]:
    return {c.lhs for c in art.claims if c.op == "best-in"}


def _is_numeric(rows: Sequence[Row]) -> bool:
    return all(isinstance(r.x, (int, float)) and not isinstance(r.x, bool) for r in rows)


def _setting_note(layout: Layout, seeds: Sequence[int]) -> str:
    return f"{layout.dataset}, {layout.scale}, {len(seeds)} seed{'s' if len(seeds) != 1 else ''}"


def render_figure(catalog: Catalog, artifact: str, layout: Layout, seeds: Sequence[int]) -> tuple[Path, Path]:
    art = catalog.artifact(artifact)
    if art.kind != "figure":
        raise ConfigError(f"{artifact} is a {art.kind}, not a figure (use `wstal table`)")
    pdf, png = layout.figure(artifact, ".pdf"), layout.figure(artifact, ".png")
    if is_qualitative(art):
        from wstal.report.qualitative import render_qualitative

        render_qualitative(catalog, art, layout, seeds, pdf, png)
        return pdf, png
    with figure_style():
        if art.metric == PER_CLASS:
            fig = _per_class_gain(art, layout, seeds)
        elif art.plot == "paired-gain":
            fig = _paired_gain_figure(art, layout, seeds)
        else:
            fig = _series_figure(art, layout, seeds)
        save(fig, pdf, png)
    return pdf, png


# ------------------------------------------------------------------ series plots


def _series_figure(art: Artifact, layout: Layout, seeds: Sequence[int]):
    import matplotlib.pyplot as plt

    metric = art.metric
    groups = _series(art)
    numeric = {name: rows for name, rows in groups.items() if _is_numeric(rows) and len(rows) > 1}
    # series whose x values share a meaning go in one panel; distinct numeric axes get their own panel
    panels = _panels(art, groups, numeric)
    width = COLUMN_WIDTH_IN if len(panels) == 1 else min(2 * COLUMN_WIDTH_IN, 3.3 * len(panels))
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 2.3), squeeze=False)
    optima = _optima(art)
    for ax, panel in zip(axes[0], panels):
        sweeps = [name for name in panel if name in numeric]
        if sweeps and all(name in numeric or len(groups[name]) == 1 for name in panel):
            ax.set_title(_panel_title(sweeps), fontsize=7.5)
            _line_panel(ax, [(name, groups[name]) for name in panel], art, layout, seeds, metric, optima, groups)
        else:
            _bar_panel(ax, [(name, groups[name]) for name in panel], layout, seeds, metric, optima)
        coverage = COVERAGE.get(metric)
        ax.set_ylabel(coverage.label if coverage else f"{metric} (%)")
        if coverage is not None and coverage.signed:
            ax.axhline(0.0, color="0.6", lw=0.6, zorder=1)
    fig.suptitle(f"{art.name}: {art.source} ({_setting_note(layout, seeds)})", fontsize=7.5)
    return fig


def _panel_title(sweeps: list[str]) -> str:
    prefixes = {name.split(":")[0] for name in sweeps if ":" in name}
    return prefixes.pop() if len(prefixes) == 1 else ", ".join(sweeps)


def _panels(art: Artifact, groups, numeric) -> list[list[str]]:
    """Numeric sweeps sharing a prefix ("context: Baseline", "context: Baseline + HN") share a panel,
    other sweeps get their own; categorical series share one bar panel; one-row series (a
    baseline) are drawn as reference lines in every sweep panel."""
    categorical = [name for name in groups if name not in numeric and len(groups[name]) > 1]
    singles = [name for name in groups if len(groups[name]) == 1]
    by_prefix: OrderedDict[str, list[str]] = OrderedDict()
    for name in numeric:
        by_prefix.setdefault(name.split(":")[0] if ":" in name else name, []).append(name)
    panels = [names + singles for names in by_prefix.values()]
    if categorical or not panels:
        panels.insert(0, categorical + (singles if not by_prefix else []) or list(groups))
    return panels


def _seed_dots(ax, x: float, stats: SeedStats, color: str, jitter: float) -> None:
    if stats.n > 1:
        offsets = np.linspace(-jitter, jitter, stats.n)
        ax.scatter(x + offsets, stats.values, s=5, color=color, alpha=0.45, linewidths=0, zorder=3)


def _line_panel(ax, series, art, layout, seeds, metric, optima, groups) -> None:
    xs_all = sorted({float(r.x) for _, rows in series if _is_numeric(rows) and len(rows) > 1 for r in rows})
    span = (max(xs_all) - min(xs_all)) if len(xs_all) > 1 else 1.0
    for i, (name, rows) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        if len(rows) == 1:  # a reference row: horizontal band of our mean ± std, paper dashed
            stats = row_values(layout, rows[0], metric, seeds)
            ax.axhline(stats.mean, color=color, lw=0.9, ls="-", label=f"{rows[0].label} (ours)")
            if stats.n > 1:
                ax.axhspan(stats.mean - stats.std, stats.mean + stats.std, color=color, alpha=0.12, lw=0)
            paper = rows[0].paper.get(metric)
            if paper is not None:
                ax.axhline(paper, color=PAPER_COLOR, lw=0.8, ls="--", label=f"{rows[0].label} (paper)")
            continue
        rows = sorted(rows, key=lambda r: float(r.x))
        xs = np.array([float(r.x) for r in rows])
        stats = [row_values(layout, r, metric, seeds) for r in rows]
        means = np.array([s.mean for s in stats])
        stds = np.array([s.std if s.n > 1 else 0.0 for s in stats])
        ax.errorbar(xs, means, yerr=stds, color=color, marker="o", capsize=2, label=_short(name), zorder=4)
        for x, s in zip(xs, stats):
            _seed_dots(ax, x, s, color, 0.012 * span)
        paper = [(float(r.x), r.paper[metric]) for r in rows if r.paper.get(metric) is not None]
        if paper:
            ax.plot(*zip(*paper), ls="none", marker="o", mfc="none", color=PAPER_COLOR, label=f"{_short(name)} (paper)")
        for r, m in zip(rows, means):
            if r.label in optima:
                ax.plot([float(r.x)], [m], marker="*", ms=10, color=OPTIMUM_COLOR, zorder=5, ls="none",
                        label=None if "paper's optimum" in ax.get_legend_handles_labels()[1] else "paper's optimum")
    ax.set_xlabel(art.x_label or "x")
    if xs_all and all(float(x).is_integer() and x > 0 for x in xs_all) and max(xs_all) / min(xs_all) >= 8:
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs_all)
        ax.set_xticklabels([f"{x:g}" for x in xs_all])
    else:
        ax.set_xticks(xs_all)
        ax.set_xticklabels([f"{x:g}" for x in xs_all])
    ax.legend(loc="best")


def _short(name: str) -> str:
    return name.split(":", 1)[1].strip() if ":" in name else name


def _bar_panel(ax, series, layout, seeds, metric, optima) -> None:
    categories = list(dict.fromkeys(str(r.x if r.x is not None else r.label) for _, rows in series for r in rows))
    n = len(series)
    width = 0.8 / n
    for i, (name, rows) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        for r in rows:
            cat = categories.index(str(r.x if r.x is not None else r.label))
            x = cat - 0.4 + width * (i + 0.5)
            stats = row_values(layout, r, metric, seeds)
            ax.bar(x, stats.mean, width * 0.9, color=color, alpha=0.85,
                   yerr=stats.std if stats.n > 1 else None, capsize=2, error_kw={"lw": 0.8},
                   label=name if r is rows[0] else None)
            _seed_dots(ax, x, stats, "black", width * 0.2)
            paper = r.paper.get(metric)
            if paper is not None:
                ax.plot([x], [paper], marker="_", ms=10, mew=1.5, color=PAPER_COLOR,
                        label="paper" if not ax.get_legend_handles_labels()[1].count("paper") else None)
            if r.label in optima:
                ax.plot([x], [stats.mean], marker="*", ms=9, color=OPTIMUM_COLOR, ls="none")
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=0)
    ax.legend(loc="best")


# ------------------------------------------------------------------ per-class gains (CMCS Fig. 3/4)


def _per_class_gain(art: Artifact, layout: Layout, seeds: Sequence[int]):
    import matplotlib.pyplot as plt

    if len(art.rows) != 2:
        raise ConfigError(f"{art.name}: a per-class gain figure needs exactly two rows (without, with)")
    average = next((c for c in art.columns if c in AVERAGES), "AVG5")
    base, full = art.rows
    results = read_results(None, layout, seeds, [(r.experiment, r.variant, r.protocol) for r in art.rows])
    gains_per_seed = []
    for seed in seeds:
        ap_base, ap_full = results.per_class(base, average, seed), results.per_class(full, average, seed)
        gains_per_seed.append({c: ap_full[c] - ap_base[c] for c in ap_full})
    classes = list(gains_per_seed[0])
    values = np.array([[g[c] for c in classes] for g in gains_per_seed])  # [seeds, classes]
    mean = values.mean(axis=0)
    std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
    fig, ax = plt.subplots(figsize=(2 * COLUMN_WIDTH_IN, 2.4))
    x = np.arange(len(classes))
    colors = [COLORS[2] if m >= 0 else COLORS[3] for m in mean]
    ax.bar(x, mean, 0.7, color=colors, yerr=std if len(values) > 1 else None, capsize=1.5, error_kw={"lw": 0.7})
    for k in range(len(values)):
        ax.scatter(x + (k - (len(values) - 1) / 2) * 0.12, values[k], s=4, color="black", alpha=0.4, zorder=3)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(classes, rotation=60, ha="right", fontsize=6)
    ax.set_ylabel(f"AP gain (points), {average} tIoUs")
    ours_base = row_values(layout, base, average, seeds).mean
    ours_full = row_values(layout, full, average, seeds).mean
    paper = (base.paper.get(average), full.paper.get(average))
    paper_text = f"; paper {paper[0]:.1f} → {paper[1]:.1f}" if None not in paper else ""
    ax.set_title(f"{art.name}: {full.label} vs {base.label}\nmean {average} ours {ours_base:.1f} → {ours_full:.1f}"
                 f"{paper_text} ({_setting_note(layout, seeds)})", fontsize=7.5)
    return fig


# ------------------------------------------------------------------ paired gains vs a knob (figure11)


def gain_panels(art: Artifact) -> "OrderedDict[str, list[tuple[list[Row], list[Row]]]]":
    """Panel prefix -> (without, with) row pairs, matched by x; a bad layout is a ConfigError."""
    panels: OrderedDict[str, list[str]] = OrderedDict()
    groups = _series(art)
    for name in groups:
        if ":" not in name:
            raise ConfigError(f"{art.name}: paired-gain series {name!r} needs a 'knob: label' name")
        panels.setdefault(name.split(":")[0].strip(), []).append(name)
    result: OrderedDict[str, list[tuple[list[Row], list[Row]]]] = OrderedDict()
    for prefix, names in panels.items():
        if len(names) % 2:
            raise ConfigError(f"{art.name}: panel {prefix!r} needs (without, with) series pairs, has {len(names)}")
        pairs = []
        for without, with_ in zip(names[::2], names[1::2]):
            a = sorted(groups[without], key=lambda r: float(r.x))
            b = sorted(groups[with_], key=lambda r: float(r.x))
            if [float(r.x) for r in a] != [float(r.x) for r in b]:
                raise ConfigError(f"{art.name}: series {without!r} and {with_!r} need the same x values")
            pairs.append((a, b))
        result[prefix] = pairs
    return result


def paired_gains(layout: Layout, without: Row, with_: Row, metric: str, seeds: Sequence[int]) -> np.ndarray:
    """with - without per seed (both rows trained with the same seed on the same data: a paired design)."""
    def value(row: Row, seed: int) -> float:
        return row_values(layout, row, metric, [seed]).values[0]

    return np.array([value(with_, s) - value(without, s) for s in seeds])


def _paired_gain_figure(art: Artifact, layout: Layout, seeds: Sequence[int]):
    import matplotlib.pyplot as plt

    panels = gain_panels(art)
    fig, axes = plt.subplots(1, len(panels), figsize=(min(2 * COLUMN_WIDTH_IN, 2.4 * len(panels)), 2.4),
                             squeeze=False)
    for ax, (prefix, pairs) in zip(axes[0], panels.items()):
        xs_all = sorted({float(r.x) for a, _ in pairs for r in a})
        span = (max(xs_all) - min(xs_all)) if len(xs_all) > 1 else 1.0
        ax.axhline(0, color="black", lw=0.6, ls="--", zorder=1)
        for i, (without, with_) in enumerate(pairs):
            color = COLORS[i % len(COLORS)]
            xs = np.array([float(r.x) for r in without])
            gains = [paired_gains(layout, a, b, art.metric, seeds) for a, b in zip(without, with_)]
            means = np.array([g.mean() for g in gains])
            stds = np.array([g.std(ddof=1) if g.size > 1 else 0.0 for g in gains])
            label = f"{_short(with_[0].series)} − {_short(without[0].series)}"
            ax.errorbar(xs, means, yerr=stds, color=color, marker="o", capsize=2, label=label, zorder=4)
            for x, g in zip(xs, gains):
                _seed_dots(ax, x, SeedStats(tuple(float(v) for v in g)), color, 0.015 * span)
        ax.set_title(f"{prefix} knob", fontsize=7.5)
        ax.set_xlabel(f"{prefix} (0 = phenomenon absent)")
        ax.set_xticks(xs_all)
        ax.set_xticklabels([f"{x:g}" for x in xs_all])
        ax.set_ylabel(f"gain in {art.metric} (points)")
        ax.legend(loc="best", fontsize=5.5)
    fig.suptitle(f"{art.name}: {art.source}, paired gain per seed ({_setting_note(layout, seeds)})", fontsize=7.5)
    return fig
