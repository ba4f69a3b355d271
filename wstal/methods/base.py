"""The contract between a method and the shared training loop / evaluator.

A method is a class registered with `@METHODS.register("name")`. It owns its model,
its training samples, its losses and its inference; the shared loop in `wstal.train`
owns seeding, the device, gradient accumulation, checkpoints, progress and timing.

Lifecycle (all in `wstal.train` / `wstal.run` / `wstal.run_evaluation`):

    method = get_method(name)(config, dataset)      # config: method.Config dataclass
    method.prepare()                                 # e.g. CMCS hard-negative pseudo videos
    model = method.build_model().to(device)
    optimizer = method.build_optimizer(model)
    for step in range(start, config.train.steps):    # one optimiser update per step
        items = next `config.train.batch_videos` items of the epoch-shuffled `method.train_items()`
        if config.train.batching == "packed" and method.packs_batches:
            method.batch_loss(model, items, ctx)["total"].sum().backward()   # one pass, [B] losses
        else:
            for item in items:
                losses = method.loss(model, item, ctx)    # ctx: step, epoch, rng, device
                losses["total"].backward()               # summed over the batch (the papers do this)
        optimizer.step(); method.after_step(model, ctx)
    outputs = method.infer(model, video, variant)    # model.eval(), torch.no_grad()
    detections = method.localize(outputs, video, variant)

State that is not a parameter but must survive a resume (RSKP's memory bank) lives in
registered buffers of the model, so it travels in `model.state_dict()`.

Configs are typed dataclasses; `Config` holds the paper's defaults (THUMOS'14), and
`SCALES[scale]` holds dotted-key overrides for `smoke` / `default` / `paper`.
Catalog experiments add their own dotted-key overrides on top; unknown keys are errors.
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from wstal.config_values import coerce
from wstal.data.records import Dataset, Detection, Video
from wstal.errors import ConfigError
from wstal.registry import Registry
from wstal.methods.adam import Adam


@dataclass
class TrainConfig:
    """Optimisation settings shared by every method."""

    steps: int = 4000  # optimiser updates
    batch_videos: int = 10  # videos whose summed loss makes one update (gradient accumulation)
    lr: float = 1e-4
    weight_decay: float = 0.0  # coupled L2 (Adam's weight_decay), as in both papers' code
    betas: tuple[float, float] = (0.9, 0.999)
    lr_decay_steps: tuple[int, ...] = ()  # lr x lr_decay_factor from each of these update indices on (CMCS ANet)
    lr_decay_factor: float = 0.1
    checkpoint_every: int = 0  # steps between checkpoints; 0 = only at the end
    eval_every: int = 0  # steps between labelled best-on-test evaluations; 0 = none
    # packed: the batch's videos go through one forward/backward pass (the method's `batch_loss`);
    # per_video: one pass per video, as the released code of both papers (same losses and gradients)
    batching: str = "packed"


@dataclass(frozen=True)
class StepContext:
    """What a method may know about where training is."""

    step: int
    epoch: int
    rng: np.random.Generator  # the only source of randomness besides torch's (re-seeded per step)
    device: torch.device


class Method(abc.ABC):
    """Base class of every WSTAL method (see module docstring for the lifecycle)."""

    name: ClassVar[str]
    Config: ClassVar[type]  # dataclass with a `train: TrainConfig` field
    SCALES: ClassVar[Mapping[str, Mapping[str, Any]]] = {"smoke": {}, "default": {}, "paper": {}}
    VARIANTS: ClassVar[Mapping[str, Mapping[str, Any]]] = {"default": {}}  # inference-only switches
    PROTOCOL: ClassVar[str] = "activitynet"  # evaluation protocol the paper used
    TIOUS: ClassVar[tuple[float, ...]] = (0.1, 0.2, 0.3, 0.4, 0.5)

    def __init__(self, config: Any, dataset: Dataset):
        self.config = config
        self.dataset = dataset

    def prepare(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Precompute what training needs from the dataset (called once before training)."""

    @abc.abstractmethod
    def build_model(self) -> nn.Module:
        """A fresh model for this dataset (feature width, class count)."""

    def build_optimizer(self, model: nn.Module) -> Adam | torch.optim.Optimizer:
        """Adam as in both released codes (ours: same update, without torch.optim's import cost)."""
        t = self.config.train
        return Adam(model.parameters(), lr=t.lr, betas=(t.betas[0], t.betas[1]), weight_decay=t.weight_decay)

    @abc.abstractmethod
    def train_items(self) -> list[Any]:
        """The training samples of one epoch (the loop shuffles them per epoch)."""

    @abc.abstractmethod
    def loss(self, model: nn.Module, item: Any, ctx: StepContext) -> dict[str, torch.Tensor]:
        """Losses of one training sample; key `total` is back-propagated."""

    def batch_loss(self, model: nn.Module, items: Sequence[Any], ctx: StepContext) -> dict[str, torch.Tensor]:
        """Losses of several samples in one pass (`train.batching: packed`), each value a vector [len(items)].

        An override must give, per item, what `loss` gives (up to summation order), drawing the
        same random numbers in the same order; `total.sum()` is back-propagated once. This
        default runs `loss` per item; the loop then prefers the per-video path (less memory).
        """
        per_item = [self.loss(model, item, ctx) for item in items]
        return {key: torch.stack([losses[key] for losses in per_item]) for key in per_item[0]}

    @property
    def packs_batches(self) -> bool:
        """True when the method has its own `batch_loss` (a packed pass worth taking)."""
        return type(self).batch_loss is not Method.batch_loss

    def after_step(self, model: nn.Module, ctx: StepContext) -> None:  # noqa: B027 - optional hook
        """Hook after each optimiser update (schedules, memory-bank initialisation)."""

    @abc.abstractmethod
    def infer(self, model: nn.Module, video: Video, variant: str) -> dict[str, np.ndarray]:
        """Test-time outputs of one video (CAS, video scores, ...), as NumPy arrays."""

    @abc.abstractmethod
    def localize(self, outputs: dict[str, np.ndarray], video: Video, variant: str) -> list[Detection]:
        """Detections of one video from its test-time outputs."""

    def video_scores(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """Video-level class scores [C] for classification mAP."""
        return outputs["video_scores"]


METHODS: Registry[type[Method]] = Registry("method")


def get_method(name: str) -> type[Method]:
    """Look a method up by name, importing the built-in methods first."""
    import wstal.methods.builtin  # noqa: F401  (registers cmcs, rskp, ...)

    return METHODS.get(name)


# ---------------------------------------------------------------- config overrides


def apply_overrides(config: Any, overrides: Mapping[str, Any], where: str) -> Any:
    """Return a copy of a (nested) dataclass config with dotted-key overrides applied.

    `{"train.steps": 100, "num_branches": 1}`; an unknown key or a value of the wrong
    type is a ConfigError naming `where` (the experiment or scale).
    """
    config = dataclasses.replace(config)
    for key, value in overrides.items():
        parts = key.split(".")
        target = config
        for part in parts[:-1]:
            child = getattr(target, part, None)
            if child is None or not dataclasses.is_dataclass(child):
                raise ConfigError(f"{where}: unknown config key {key!r}")
            child = dataclasses.replace(child)
            setattr(target, part, child)
            target = child
        leaf = parts[-1]
        names = {f.name: f for f in dataclasses.fields(target)}
        if leaf not in names:
            hint = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown config key {key!r} (keys here: {hint})")
        setattr(target, leaf, coerce(getattr(target, leaf), value, key, where))
    return config


def config_to_dict(config: Any) -> dict:
    """A JSON-ready dict of a dataclass config (stored in checkpoints and metrics)."""
    return dataclasses.asdict(config)


def config_from_dict(config_class: type, data: Mapping[str, Any], where: str) -> Any:
    """Rebuild a config from `config_to_dict` output (checkpoint loading)."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}{k}.", v)
        else:
            flat[prefix[:-1]] = value

    walk("", data)
    return apply_overrides(config_class(), flat, where)


__all__ = [
    "METHODS", "Method", "TrainConfig", "StepContext", "get_method",
    "apply_overrides", "config_to_dict", "config_from_dict",
]
