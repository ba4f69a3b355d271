"""tables/summary.md: every artifact and claim with its verdict, the setting, and the catalog's choices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tabulate import tabulate

from wstal.catalog import Catalog
from wstal.report.build import judgements
from wstal.report.paths import Layout
from wstal.report.results import ResultsTable, artifact_results
from wstal.report.verdicts import Judgement, Verdict, verdict_rule


def render_summary(catalog: Catalog, layout: Layout, seeds: Sequence[int], artifacts: Sequence[str],
                   results: ResultsTable | None = None) -> str:
    results = results if results is not None else artifact_results(catalog, layout, seeds, artifacts)
    judged: dict[str, list[Judgement]] = {name: judgements(catalog, catalog.artifact(name), layout, seeds, results)
                                          for name in artifacts}
    counts = Counter(j.verdict for js in judged.values() for j in js)
    lines = [
        "# Summary: claims and verdicts",
        "",
        (f"Dataset **{layout.dataset}**, scale **{layout.scale}**, seeds {', '.join(map(str, seeds))}. "
         f"Claims: {sum(counts.values())} — holds {counts[Verdict.HOLDS]}, does not hold {counts[Verdict.FAILS]}, "
         f"inconclusive {counts[Verdict.INCONCLUSIVE]}. Every number: `{layout.metrics_table}`."),
        "",
        verdict_rule(catalog.margin),
        "",
        "## Artifacts",
        "",
    ]
    rows = []
    for name in artifacts:
        art = catalog.artifact(name)
        verdicts = Counter(j.verdict for j in judged[name])
        status = ", ".join(f"{v.value} {verdicts[v]}" for v in Verdict if verdicts[v]) or "no claims"
        rows.append([name, art.source, art.kind, art.caption.split(". ")[0].rstrip("."), status])
    lines += [tabulate(rows, headers=["artifact", "source", "kind", "content", "claims"], tablefmt="github"), ""]
    lines += ["## Claims", ""]
    claim_rows = [[name, j.claim.text, j.claim.check, j.claim.metric or catalog.artifact(name).metric or "",
                   j.verdict.value, j.detail, j.would_take or ""]
                  for name in artifacts for j in judged[name]]
    if claim_rows:
        lines += [tabulate(claim_rows, headers=["artifact", "claim", "check", "metric", "verdict", "detail",
                                                "what would decide it"], tablefmt="github", disable_numparse=True), ""]
    else:
        lines += ["(no claims in the selected artifacts)", ""]
    lines += ["## Choices made where the papers are silent", ""]
    selected = set(artifacts)
    choice_rows = [[c.id, c.choice, c.reason, ", ".join(c.artifacts) or "all"]
                   for c in catalog.choices.values() if not c.artifacts or selected & set(c.artifacts)]
    lines += [tabulate(choice_rows, headers=["id", "choice", "reason", "artifacts"], tablefmt="github"), ""]
    return "\n".join(lines)
