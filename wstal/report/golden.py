"""The CI regression: the smoke DAG's numbers against tests/golden/smoke.json.

Every reproduced number (mAP-derived columns per artifact row and seed; MACs per model) is
compared with the committed golden file. Tolerances:

* mAP columns: MAP_TOLERANCE = 0.01 points. Same-seed runs are bit-identical on the CPU
  (the loop re-seeds per step and the tests check it), so a correct change in presentation
  code moves nothing; 0.01 points (the values are printed to 0.1) only absorbs last-bit
  float differences between CPU instruction sets. Anything larger is a behaviour change.
* MACs: exact (integer counts of the same modules, no randomness).

A change that is meant to move numbers is accepted by regenerating the file with
`wstal golden --update` after a smoke run, and committing it with the change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from wstal.report.build import Number

MAP_TOLERANCE = 0.01
FORMAT = "wstal-golden"
VERSION = 1


def golden_document(numbers: Iterable[Number], dataset: str, scale: str, seeds: Iterable[int]) -> dict:
    table: dict[str, dict[str, dict[str, list[float]]]] = {}
    for n in numbers:
        table.setdefault(n.artifact, {}).setdefault(n.row, {})[n.column] = [round(float(v), 6) for v in n.values]
    return {"format": FORMAT, "version": VERSION,
            "setting": {"dataset": dataset, "scale": scale, "seeds": list(seeds)},
            "tolerance": {"map_points": MAP_TOLERANCE, "macs": 0},
            "update_command": "snakemake --cores all --config scale=smoke && wstal golden --update",
            "numbers": table}


@dataclass(frozen=True)
class Moved:
    artifact: str
    row: str
    column: str
    expected: Any
    actual: Any
    reason: str

    def format(self) -> str:
        where = f"{self.artifact} | {self.row} | {self.column}"
        return f"{where}: {self.reason}: expected {self.expected}, got {self.actual}"


def _flat(doc: dict) -> dict[tuple[str, str, str], list[float]]:
    return {(a, r, c): list(v) for a, rows in doc.get("numbers", {}).items()
            for r, cols in rows.items() for c, v in cols.items()}


def compare(expected: dict, actual: dict) -> list[Moved]:
    """What moved between two golden documents (empty: no regression)."""
    moved: list[Moved] = []
    if expected.get("setting") != actual.get("setting"):
        moved.append(Moved("-", "-", "setting", expected.get("setting"), actual.get("setting"),
                           "different dataset/scale/seeds"))
    tol = float(expected.get("tolerance", {}).get("map_points", MAP_TOLERANCE))
    exp, act = _flat(expected), _flat(actual)
    for key in sorted(set(exp) | set(act)):
        a, r, c = key
        if key not in act:
            moved.append(Moved(a, r, c, exp[key], None, "missing from this run"))
            continue
        if key not in exp:
            moved.append(Moved(a, r, c, None, act[key], "new (not in the golden file)"))
            continue
        e, v = exp[key], act[key]
        if len(e) != len(v):
            moved.append(Moved(a, r, c, e, v, "different number of seeds"))
        elif c == "MACs":
            if [int(x) for x in e] != [int(x) for x in v]:
                moved.append(Moved(a, r, c, e, v, "MACs changed (must be exact)"))
        else:
            worst = max((abs(x - y) if math.isfinite(x) and math.isfinite(y) else math.inf for x, y in zip(e, v)),
                        default=0.0)
            if worst > tol:
                moved.append(Moved(a, r, c, e, v, f"moved by {worst:.4f} points (tolerance {tol:g})"))
    return moved


def report(moved: list[Moved], golden_path: Path) -> str:
    if not moved:
        return f"golden: all numbers match {golden_path}"
    lines = [f"golden: {len(moved)} number(s) moved against {golden_path}:"]
    lines += ["  " + m.format() for m in moved]
    lines.append("If the change is intended: run the smoke DAG, then `wstal golden --update`, and commit the file.")
    return "\n".join(lines)
