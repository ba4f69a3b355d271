"""Test fixtures: hand-made metrics files laid out like a workflow's results (never real results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wstal.catalog import load_catalog
from wstal.report.paths import Layout
from wstal.utils.atomic import atomic_write_json

TIOUS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
CLASSES = [f"Class{c:02d}" for c in range(20)]
SEEDS = (0, 1, 2)


def fake_metrics(rng: np.random.Generator, level: float, protocol: str = "fixture", phases: bool = False) -> dict:
    """A metrics.json-shaped dict: per-class AP (in %) whose class mean is `map` (in %); with `phases`, the
    phase coverage synthetic runs report."""
    per_class = {}
    for name in CLASSES:
        base = np.clip(level / 100 + rng.normal(0, 0.08), 0.01, 0.99)
        per_class[name] = [float(100 * np.clip(base * (1.0 - 0.12 * k), 0.0, 1.0)) for k in range(len(TIOUS))]
    maps = [float(np.mean([v[k] for v in per_class.values()])) for k in range(len(TIOUS))]
    disc, rest = (float(v) for v in rng.uniform(30.0, 90.0, size=2))
    coverage = {"disc": disc, "rest": rest, "balance": rest - disc} if phases else None
    return {"protocol": protocol, "tiou": TIOUS, "map": maps, "average": float(np.mean(maps[:5])),
            "phase_coverage": coverage,
            "per_class": per_class, "averages": {"avg5": float(np.mean(maps[:5])), "avg7": float(np.mean(maps))},
            "classification_map": 80.0, "best_on_test": None,
            "provenance": {"git_commit": "evalcommit", "train_commits": ["traincommit"]},
            "timing": {"train_wall_s": 12.5, "iterations_per_s": 8.0, "peak_memory_mb": 100.0, "eval_wall_s": 1.5,
                       "eval_peak_memory_mb": 90.0}}


def write_fake_results(root: Path, dataset: str = "synthetic", scale: str = "fixture", seeds=SEEDS) -> Layout:
    catalog = load_catalog(check_methods=False)
    layout = Layout(dataset, scale, results=root / "results", tables=root / "tables", figures=root / "figures")
    for i, (experiment, variant, protocol) in enumerate(catalog.runs()):
        level = 25 + (hash((experiment, variant)) % 1000) / 40  # 25..50, varies by run
        for seed in seeds:
            rng = np.random.default_rng([i, seed])
            atomic_write_json(layout.metrics(experiment, seed, variant, protocol),
                              fake_metrics(rng, level, protocol or "fixture", phases=dataset == "synthetic"))
    models = {name: {"macs": macs} for name, macs in
              [("wtalc", 423_526_400), ("co2net", 2_789_421_056), ("rskp_main", 439_726_080),
               ("rskp_intra", 476_960_896), ("rskp_inter", 512_936_912), ("cmcs", 1_000_000)]}
    atomic_write_json(layout.macs, {"models": models, "rskp_inter_note": {"text": "fixture note on +inter."}})
    return layout


@pytest.fixture
def fake_results(tmp_path: Path) -> Layout:
    return write_fake_results(tmp_path)
