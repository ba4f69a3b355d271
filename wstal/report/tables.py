"""Tables: LaTeX (booktabs), a Markdown twin and an HTML fragment, from a `TableView`.

A `TableView` is what a table shows and nothing else; building it from the catalog and the
tidy results table is `wstal.report.build`'s job, so rendering stays testable on hand-made
views. Three layouts (`TableView.mode`):

* `absolute` (real data, or no reference row): per column the paper's number, ours (mean ± std
  over seeds) and Δ = ours − paper; paper columns without any number are left out;
* `effects` (synthetic data): absolute numbers cannot match real-data ones, so per column the
  paper's effect (row − its reference row) beside ours (the difference over seeds with its
  one-sided 95% bounds), with the absolute numbers for orientation;
* `matrix` (no paper numbers, e.g. table8): one block per reference row (a model), the reference's
  mean ± std and every other row's difference from it with its bounds.
Markdown and HTML rows name their experiment, inference variant and protocol, linked to the
catalog entry, and link the run's resolved config.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

from tabulate import tabulate

from wstal.metrics import metric_label
from wstal.report.aggregate import SeedStats
from wstal.report.verdicts import Difference, Verdict, verdict_rule
from wstal.report.views import RowView, TableView


@dataclass
class Block:
    """One rendered grid: an optional title, headers, and rows of cell texts."""

    title: str
    headers: list[str]
    rows: list[list[str]]


Link = Callable[[str, str], str]  # (escaped text, href) -> cell


def _fmt(value: float | None, digits: int, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) < 0.5 * 10**-digits:
        value = 0.0  # no "-0.0"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _effect(diff: Difference | None, digits: int) -> str:
    if diff is None:
        return "–"
    test = "paired" if diff.test == "paired t" else "Welch"
    return (f"{_fmt(diff.d, digits, True)} [{_fmt(diff.lower, digits, True)}, {_fmt(diff.upper, digits, True)}]"
            f" {test}")


def _has_paper(view: TableView, metric: str) -> bool:
    return any(row.paper.get(metric) is not None for row in view.rows)


def _ours(view: TableView, row: RowView, metric: str) -> str:
    stats = row.ours.get(metric, SeedStats(()))
    return _fmt(stats.mean, 2) if metric in row.exact else stats.format(view.digits)


def _metric_cells(view: TableView, row: RowView, metric: str) -> tuple[list[str], list[str]]:
    """(headers, cells) of one metric for one row, by the view's mode."""
    label, digits = metric_label(metric), (2 if metric in row.exact else view.digits)
    paper = row.paper.get(metric)
    ours = row.ours.get(metric, SeedStats(()))
    if view.mode == "effects" and metric not in row.exact:
        heads, cells = [], []
        if _has_paper(view, metric):
            paper_effect = "ref" if row.is_reference else _fmt(row.paper_effects.get(metric), digits, True)
            heads += [f"{label} paper", f"{label} paper effect"]
            cells += [_fmt(paper, digits), paper_effect]
        our_effect = "ref" if row.is_reference else _effect(row.effects.get(metric), digits)
        return heads + [f"{label} ours", f"{label} our effect"], cells + [_ours(view, row, metric), our_effect]
    if not _has_paper(view, metric):
        return [f"{label} ours"], [_ours(view, row, metric)]
    diff = None if paper is None or not ours.values else ours.mean - paper
    return [f"{label} paper", f"{label} ours", "Δ"], [_fmt(paper, digits), _ours(view, row, metric),
                                                      _fmt(diff, digits, True)]


def _run_cells(row: RowView, esc: Callable[[str], str], link: Link) -> list[str]:
    label = link(esc(row.label), row.run.row_href) if row.run else esc(row.label)
    if row.run is None:
        return [label, "–", "–", "–", "–"]
    run = row.run
    return [label, link(esc(run.experiment), run.experiment_href), esc(run.variant), esc(run.protocol),
            link("config", run.config_href) if run.config_href else "–"]


RUN_HEADERS = ["row", "experiment", "inference variant", "protocol", "run config"]


def blocks(view: TableView, esc: Callable[[str], str] = str, link: Link | None = None) -> list[Block]:
    """The table's grids; `link=None` leaves out the run columns (LaTeX)."""
    def lead(row: RowView) -> list[str]:
        return _run_cells(row, esc, link) if link else [esc(row.label)]

    lead_headers = RUN_HEADERS if link else ["row"]
    if view.mode == "matrix":
        return _matrix(view, esc, lead, lead_headers)
    headers = lead_headers + [h for m in view.metrics for h in _metric_cells(view, view.rows[0], m)[0]]
    body = [lead(row) + [esc(c) for m in view.metrics for c in _metric_cells(view, row, m)[1]] for row in view.rows]
    return [Block("", headers, body)]


def _matrix(view: TableView, esc, lead, lead_headers) -> list[Block]:
    groups: dict[str, list[RowView]] = {}
    for row in view.rows:
        key = row.label if row.is_reference or row.reference is None else row.reference
        groups.setdefault(key, []).append(row)
    out = []
    for reference, rows in groups.items():
        body = []
        for row in rows:
            cells = [_ours(view, row, m) if row.is_reference or row.reference is None
                     else _effect(row.effects.get(m), view.digits) for m in view.metrics]
            body.append(lead(row) + [esc(c) for c in cells])
        title = f"{reference}: mean ± std; other rows: difference from it [one-sided 95% bounds]"
        out.append(Block(esc(title), lead_headers + [metric_label(m) for m in view.metrics], body))
    return out


def _setting(view: TableView) -> str:
    if not view.dataset:
        return ""
    seeds = f", {view.seeds} seed{'s' if view.seeds != 1 else ''}" if view.seeds else ""
    return f"Ours: dataset {view.dataset}, scale {view.scale}{seeds}; mean ± std over seeds."


def explanation(view: TableView) -> str:
    """What the numbers are (the caption's second half), by mode."""
    if view.mode == "effects":
        return ("On synthetic data our absolute numbers cannot be compared with the paper's real-data ones, so "
                "each row shows its effect: 'paper effect' = the paper's row − its reference row (ref); 'our "
                "effect' = our row − reference, mean difference over seeds with one-sided 95% bounds [lower, "
                "upper], paired t when the rows share seeds and data, else Welch.")
    if view.mode == "matrix":
        return ("No paper numbers: per reference row its mean ± std, and for every other row the mean "
                "difference from it with one-sided 95% bounds [lower, upper] (paired t over seeds when the rows "
                "share seeds and data, else Welch).")
    return "Δ = ours − paper." if view.dataset else ""


def _claim_rows(view: TableView, esc: Callable[[str], str]) -> list[list[str]]:
    return [[esc(j.claim.text or j.claim.check), esc(j.claim.check),
             esc(metric_label(j.claim.metric or view.metric or view.metrics[0])), j.verdict.value, esc(j.full_detail)]
            for j in view.judgements]


CLAIM_HEADERS = ["claim", "check", "metric", "verdict", "detail"]


def render_markdown(view: TableView) -> str:
    def link(text: str, href: str) -> str:
        return f"[{text}]({href.replace(' ', '%20')})"

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    parts = [f"**{view.artifact}**: {view.caption}", ""]
    if view.dataset:
        parts += [f"{_setting(view)} {explanation(view)}".strip(), ""]
    for block in blocks(view, esc, link):
        if block.title:
            parts += [f"*{block.title}*", ""]
        parts += [tabulate(block.rows, headers=block.headers, tablefmt="github", disable_numparse=True), ""]
    if view.judgements:
        parts += [tabulate(_claim_rows(view, esc), headers=CLAIM_HEADERS, tablefmt="github", disable_numparse=True),
                  "", verdict_rule(view.margin), ""]
    parts += [f"Note: {note}" for note in view.notes]
    return "\n".join(parts).rstrip() + "\n"


def render_html(view: TableView) -> str:
    """An HTML fragment (the report embeds it): the Markdown twin's tables, rows linked."""
    def link(text: str, href: str) -> str:
        return f'<a href="{html.escape(href, quote=True)}">{text}</a>'

    parts = [f"<p><b>{html.escape(view.artifact)}</b>: {html.escape(view.caption)}</p>"]
    if view.dataset:
        parts.append(f"<p>{html.escape(f'{_setting(view)} {explanation(view)}'.strip())}</p>")
    for block in blocks(view, html.escape, link):
        if block.title:
            parts.append(f"<p><i>{block.title}</i></p>")
        parts.append(tabulate(block.rows, headers=[html.escape(h) for h in block.headers], tablefmt="unsafehtml",
                              disable_numparse=True))
    if view.judgements:
        parts.append(tabulate(_claim_rows(view, html.escape), headers=CLAIM_HEADERS, tablefmt="unsafehtml",
                              disable_numparse=True))
        parts.append(f"<p>{html.escape(verdict_rule(view.margin))}</p>")
    parts += [f"<p>Note: {html.escape(note)}</p>" for note in view.notes]
    return "<!doctype html>\n<meta charset=\"utf-8\">\n" + "\n".join(parts) + "\n"


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    out = "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)
    return (out.replace("±", r"$\pm$").replace("Δ", r"$\Delta$").replace("α", r"$\alpha$")
            .replace("≥", r"$\geq$").replace("–", "--").replace("→", r"$\rightarrow$").replace("−", "-")
            .replace("∞", r"$\infty$"))


_VERDICT_MARK = {Verdict.HOLDS: r"\textbf{holds}", Verdict.FAILS: r"\textit{does not hold}",
                 Verdict.INCONCLUSIVE: "inconclusive"}


def render_latex(view: TableView) -> str:
    """A `table` float with booktabs rules; needs `\\usepackage{booktabs}`."""
    lines = [f"% {view.artifact}: generated by `wstal table`; do not edit (regenerate with snakemake)",
             r"\begin{table}[t]", r"\centering\small", r"\setlength{\tabcolsep}{3pt}"]
    grids = blocks(view, latex_escape)
    width = len(grids[0].headers)
    lines += [r"\begin{tabular}{l" + "r" * (width - 1) + "}", r"\toprule"]
    for i, block in enumerate(grids):
        if i:
            lines.append(r"\midrule")
        if block.title:
            lines.append(rf"\multicolumn{{{width}}}{{l}}{{\textit{{{block.title}}}}} \\")
        lines += [" & ".join(latex_escape(h) for h in block.headers) + r" \\", r"\midrule"]
        lines += [" & ".join(cells) + r" \\" for cells in block.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if view.judgements:
        lines += [r"\par\medskip", r"\begin{tabular}{lll}", r"\toprule", r"Claim & Verdict & Detail \\", r"\midrule"]
        for j in view.judgements:
            claim = latex_escape(j.claim.text or j.claim.check)
            lines.append(f"{claim} & {_VERDICT_MARK[j.verdict]} & {latex_escape(j.full_detail)} \\\\")
        lines += [r"\bottomrule", r"\end{tabular}"]
    caption = " ".join(p for p in (view.caption, _setting(view), explanation(view)) if p)
    if view.judgements:
        caption += " " + verdict_rule(view.margin)
    caption += "".join(f" {note}" for note in view.notes)
    lines += [rf"\caption{{{latex_escape(caption)}}}", rf"\label{{tab:{view.artifact}}}", r"\end{table}", ""]
    return "\n".join(lines)
