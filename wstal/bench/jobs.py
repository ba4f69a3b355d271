"""What the workflow's jobs cost: CPU seconds per job family, from the run records.

Every training writes its process's CPU time (imports included) into `train_summary.json`
and every evaluation into `evaluation.json` (`process_cpu_s`), so the cost of a finished DAG
can be read back without Snakemake's `benchmark:` sampling, which itself cost Snakemake
about half a second of CPU per sampled job.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from wstal.errors import ConfigError

@dataclass(frozen=True)
class FamilyCost:
    family: str  # train/<method> or evaluate/<method>
    jobs: int
    cpu_s: float  # sum over jobs
    mean_s: float


def _read(path: Path) -> dict | None:
    """A run record, or None when it is missing or unreadable (an unfinished or foreign run)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def job_costs(runs_root: Path) -> list[FamilyCost]:
    """Per (job family, method): jobs with a CPU record under `runs_root/<experiment>/seed<k>/`."""
    if not runs_root.is_dir():
        raise ConfigError(f"{runs_root}: no such results folder (run the workflow first)")
    found: dict[str, list[float]] = {}
    for path in sorted(runs_root.glob("*/seed*/train_summary.json")):
        summary = _read(path)
        if summary is None:
            continue
        timing = summary.get("timing")
        evaluation = _read(path.parent / "evaluation.json") or {}
        method = summary.get("method", "?")
        for family, cpu in (("train", _seconds(timing.get("process_cpu_s")) if isinstance(timing, dict) else None),
                            ("evaluate", _seconds(evaluation.get("process_cpu_s")))):
            if cpu is not None:
                found.setdefault(f"{family}/{method}", []).append(cpu)
    return [FamilyCost(key, len(v), sum(v), statistics.fmean(v)) for key, v in sorted(found.items())]


def format_costs(costs: list[FamilyCost]) -> str:
    lines = ["| job family | jobs | CPU, sum | CPU per job |", "|---|---|---|---|"]
    lines += [f"| {c.family} | {c.jobs} | {c.cpu_s:,.0f} s | {c.mean_s:.2f} s |" for c in costs]
    total = sum(c.cpu_s for c in costs)
    lines.append(f"| all of these | {sum(c.jobs for c in costs)} | {total:,.0f} s | |")
    return "\n".join(lines)
