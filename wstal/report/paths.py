"""Where every workflow file lives (docs/architecture.md "Run folders"), in one place.

The Snakemake rules, `wstal table/figure/summary/golden` and the tests all build paths
here, so a layout change is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Paths of one (dataset, scale) setting under a results root."""

    dataset: str
    scale: str
    results: Path = Path("results")
    tables: Path = Path("tables")
    figures: Path = Path("figures")

    def data_dir(self, data_key: str) -> Path:
        """Prepared data: `data_key` is a data variant (synthetic) or a feature source (real), `Catalog.data_key`."""
        return self.results / "data" / self.dataset / self.scale / data_key

    def run_dir(self, experiment: str, seed: int) -> Path:
        return self.results / self.dataset / self.scale / experiment / f"seed{seed}"

    def train_done(self, experiment: str, seed: int) -> Path:
        """Written last by `wstal train`: the marker of a finished training run."""
        return self.run_dir(experiment, seed) / "train_summary.json"

    def evaluated(self, experiment: str, seed: int) -> Path:
        """Written last by `wstal evaluate --run`: every variant and protocol of the run is scored."""
        return self.run_dir(experiment, seed) / "evaluation.json"

    def metrics(self, experiment: str, seed: int, variant: str, protocol: str | None = None) -> Path:
        name = "metrics.json" if protocol is None else f"metrics-{protocol}.json"
        return self.run_dir(experiment, seed) / variant / name

    def predictions(self, experiment: str, seed: int, variant: str) -> Path:
        return self.run_dir(experiment, seed) / variant / "predictions.json"

    @property
    def macs(self) -> Path:
        return self.results / "macs.json"

    def table(self, artifact: str, suffix: str = ".tex") -> Path:
        return self.tables / f"{artifact}{suffix}"

    def figure(self, artifact: str, suffix: str = ".pdf") -> Path:
        return self.figures / f"{artifact}{suffix}"

    def artifact_outputs(self, artifact: str, kind: str) -> list[Path]:
        if kind == "table":
            return [self.table(artifact, ".tex"), self.table(artifact, ".md"), self.table(artifact, ".html")]
        return [self.figure(artifact, ".pdf"), self.figure(artifact, ".png")]

    @property
    def summary(self) -> Path:
        return self.tables / "summary.md"

    @property
    def metrics_table(self) -> Path:
        """The tidy table of every evaluated run of this setting (`wstal collect`, `wstal summary`)."""
        return self.results / self.dataset / self.scale / "metrics.csv"
