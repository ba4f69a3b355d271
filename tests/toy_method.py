"""A tiny method and dataset for testing the loop, run folders and the catalog.

Registered as `toy` when imported (tests only, never by the package). It uses every
source of randomness a real method may use (torch dropout, `ctx.rng`), so determinism
and resume tests exercise the loop's seeding for real. Knobs make it misbehave on
purpose: `nan_at_step` (divergence guard) and `sleep_per_step` (kill tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from wstal.data.records import Dataset, Detection, Video
from wstal.methods.base import METHODS, Method, StepContext, TrainConfig


@dataclass
class ToyConfig:
    hidden: int = 8
    dropout: float = 0.2
    noise: float = 0.05  # feature noise drawn from ctx.rng
    optimizer: str = "adam"  # "sgd": plain SGD, makes an update a closed-form check
    nan_at_step: int = -1  # make the loss NaN at this step
    sleep_per_step: float = 0.0  # seconds, to give a kill test time to strike
    threshold: float = 0.5
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=12, batch_videos=3, lr=1e-2,
                                                                  checkpoint_every=2))


class ToyModel(nn.Module):
    def __init__(self, dim: int, classes: int, hidden: int, dropout: float):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.embed = nn.Linear(dim, hidden)
        self.cls = nn.Linear(hidden, classes)
        self.register_buffer("seen", torch.zeros(()))  # non-parameter state that must survive a resume

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cls(torch.relu(self.embed(self.drop(x))))  # [T, C]


class Toy(Method):
    name = "toy"
    Config = ToyConfig
    SCALES = {"smoke": {"train.steps": 6}, "default": {}, "paper": {"train.steps": 40}}
    VARIANTS = {"default": {}, "strict": {"threshold": 0.7}}
    PROTOCOL = "activitynet"
    TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5)

    def build_model(self) -> nn.Module:
        c = self.config
        return ToyModel(self.dataset.feature_dim, self.dataset.num_classes, c.hidden, c.dropout)

    def build_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(model.parameters(), lr=self.config.train.lr)
        return super().build_optimizer(model)

    def train_items(self) -> list:
        return list(self.dataset.train_videos)

    def loss(self, model: nn.Module, item: Video, ctx: StepContext) -> dict[str, torch.Tensor]:
        if self.config.sleep_per_step:
            time.sleep(self.config.sleep_per_step / self.config.train.batch_videos)
        feats = item.features + self.config.noise * ctx.rng.standard_normal(item.features.shape)
        x = torch.as_tensor(feats, dtype=torch.float32, device=ctx.device)
        logits = model(x).mean(0)
        target = torch.zeros(self.dataset.num_classes, device=ctx.device)
        target[list(item.labels)] = 1.0
        cls = nn.functional.binary_cross_entropy_with_logits(logits, target)
        reg = 1e-3 * sum((p ** 2).sum() for p in model.parameters())
        total = cls + reg
        if ctx.step == self.config.nan_at_step:
            total = total * float("nan")
        return {"total": total, "cls": cls, "reg": reg}

    def after_step(self, model: nn.Module, ctx: StepContext) -> None:
        model.seen += 1

    def infer(self, model: nn.Module, video: Video, variant: str) -> dict[str, np.ndarray]:
        x = torch.as_tensor(video.features, dtype=torch.float32, device=next(model.parameters()).device)
        cas = torch.sigmoid(model(x)).cpu().numpy()
        return {"cas": cas, "video_scores": cas.mean(0)}

    def localize(self, outputs: dict[str, np.ndarray], video: Video, variant: str) -> list[Detection]:
        threshold = self.VARIANTS[variant].get("threshold", self.config.threshold)
        cas = outputs["cas"]
        step = self.dataset.snippet_seconds
        found = []
        for c in range(cas.shape[1]):
            above = np.concatenate([[False], cas[:, c] > threshold, [False]])
            edges = np.flatnonzero(np.diff(above.astype(int)))
            for start, end in zip(edges[::2], edges[1::2]):
                found.append(Detection(video.name, c, float(cas[start:end, c].mean()), start * step, end * step))
        return found


if "toy" not in METHODS:  # imported twice (test module and --method-module) registers once
    METHODS.register("toy")(Toy)


def toy_dataset(seed: int = 0, train_videos: int = 10, test_videos: int = 6, classes: int = 3,
                dim: int = 6) -> Dataset:
    """Videos whose action snippets carry a class-specific direction in feature space."""
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((classes, dim)).astype(np.float32) * 2
    step = 0.64
    videos = []
    for i in range(train_videos + test_videos):
        subset = "validation" if i < train_videos else "test"
        length = int(rng.integers(12, 30))
        features = rng.standard_normal((length, dim)).astype(np.float32) * 0.5
        label = int(rng.integers(classes))
        start = int(rng.integers(0, length - 6))
        end = start + int(rng.integers(3, 6))
        features[start:end] += prototypes[label]
        videos.append(Video(
            name=f"toy_{subset}_{i:02d}", subset=subset, duration=length * step, features=features,
            segments=np.array([[start * step, end * step]]), segment_labels=np.array([label]),
            labels=(label,), motion=np.abs(rng.standard_normal(length)).astype(np.float32),
        ))
    return Dataset(name="toy", classes=tuple(f"class{c}" for c in range(classes)), videos=videos,
                   snippet_seconds=step)


TOY_CATALOG = """\
version: 1
data_variants:
  plain: {knobs: {}}
experiments:
  toy_base: {method: toy, data_variant: plain, overrides: {}}
  toy_small: {method: toy, data_variant: plain, overrides: {hidden: 4}, note: smaller}
  toy_slow: {method: toy, data_variant: plain, overrides: {sleep_per_step: 0.25, "train.steps": 16,
                                                           "train.checkpoint_every": 1}}
artifacts:
  tableT:
    kind: table
    source: test
    paper: ours
    caption: toy
    metric: AVG5
    columns: [AVG5, mAP@0.5]
    rows:
      - {label: Base, experiment: toy_base, paper: {AVG5: 10.0}}
      - {label: Strict, experiment: toy_base, variant: strict, paper: {AVG5: 9.0, mAP@0.5: 3}}
      - {label: Small, experiment: toy_small, protocol: snippet}
    claims:
      - {text: base beats small, check: "Base > Small"}
      - {text: strict about base, check: "Strict ~= Base", metric: mAP@0.5}
    choices: [c1]
  figureT:
    kind: figure
    source: test
    paper: ours
    caption: toy figure
    metric: AVG5
    columns: [AVG5]
    rows:
      - {label: h8, experiment: toy_base, series: hidden, x: 8}
      - {label: h4, experiment: toy_small, series: hidden, x: 4}
    claims:
      - {text: 8 is best, check: "h8 best-in hidden"}
choices:
  - {id: c1, choice: a choice, reason: a reason, artifacts: [tableT]}
"""


def write_toy_catalog(folder, text: str = TOY_CATALOG):
    from pathlib import Path

    path = Path(folder) / "catalog.yaml"
    path.write_text(text)
    return path
