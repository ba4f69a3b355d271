"""`wstal bench step`: one training step of ours vs the released code's per-video loop, in one run.

A step = forward/backward over `batch_videos` videos plus one Adam update, on the same
videos (random features, lengths drawn from the synthetic benchmark's THUMOS'14-shaped
length distribution of the chosen width's scale) for three contenders:

* `released`: the released code's loop (`wstal.bench.released`), one video per pass;
* `per_video`: our method with `train.batching: per_video` (one pass per video);
* `packed`: our method with the default `train.batching: packed` (one pass per batch).

Rounds alternate the contenders, so machine load hits all three alike; the table shows
the median time per step and the speed-ups over the released loop measured in this run.
On the CPU the time is the process CPU time (robust to other jobs on the machine, one
torch thread) and glibc keeps freed memory as in `wstal train` (`keep_freed_memory`, for
all three); on CUDA it is the wall time between synchronisations.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from wstal.data.records import Dataset, Video
from wstal.data.synthetic.config import SCALE_PRESETS, SNIPPET_SECONDS, SynthConfig
from wstal.errors import ConfigError
from wstal.methods.base import StepContext, apply_overrides, get_method
from wstal.train import keep_freed_memory
from wstal.utils.seeding import step_rng

WIDTHS = ("default", "paper")
METHODS = ("cmcs", "rskp")
CONTENDERS = ("released", "per_video", "packed")
NUM_CLASSES = 20


@dataclass
class Case:
    """What one benchmark row trains: the method's config at a width, the batch's video lengths."""

    method: str
    width: str
    config: Any
    feature_dim: int
    lengths: list[int]


def video_lengths(width: str, count: int, seed: int) -> list[int]:
    """Snippet counts of `count` videos, durations drawn as the synthetic generator draws them at `width`."""
    knobs = SynthConfig(**SCALE_PRESETS[width])
    rng = np.random.default_rng(seed)
    seconds = knobs.duration_median_s * np.exp(knobs.duration_sigma * rng.standard_normal(count))
    seconds = np.clip(seconds, knobs.duration_min_s, knobs.duration_max_s)
    return [max(2, int(s / SNIPPET_SECONDS)) for s in seconds]


def make_case(method: str, width: str, seed: int) -> Case:
    """The method's config at the width's scale (`paper` = the paper's config, 2048-d THUMOS'14 input)."""
    if method not in METHODS:
        raise ConfigError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if width not in WIDTHS:
        raise ConfigError(f"--width {width!r}: choose one of {', '.join(WIDTHS)}")
    cls = get_method(method)
    config = apply_overrides(cls.Config(), cls.SCALES[width], f"{method} {width} scale")
    feature_dim = 2 * SynthConfig(**SCALE_PRESETS[width]).stream_dim
    return Case(method, width, config, feature_dim, video_lengths(width, config.train.batch_videos, seed))


def _dataset(case: Case, seed: int) -> Dataset:
    rng = np.random.default_rng(seed + 1)
    videos = []
    for i, t in enumerate(case.lengths):
        label = i % NUM_CLASSES
        videos.append(Video(f"v{i}", "validation", t * SNIPPET_SECONDS,
                            rng.standard_normal((t, case.feature_dim), dtype=np.float32),
                            np.array([[0.0, SNIPPET_SECONDS]]), np.array([label]), (label,)))
    return Dataset("bench", tuple(f"c{c}" for c in range(NUM_CLASSES)), videos)


def _ours(case: Case, dataset: Dataset, batching: str, device: torch.device) -> Callable[[], None]:
    config = apply_overrides(case.config, {"train.batching": batching}, "bench")
    method = get_method(case.method)(config, dataset)
    if case.method == "cmcs":
        from wstal.methods.cmcs import TrainSample

        items: list[Any] = [TrainSample(v.name, torch.from_numpy(v.features).to(device), v.labels[0], 1.0)
                            for v in dataset.videos]  # on the device already, as the peer's inputs
    else:
        items = list(range(len(dataset.videos)))
    model = method.build_model().to(device)
    model.train()
    optimizer = method.build_optimizer(model)
    ctx = StepContext(step=0, epoch=0, rng=step_rng(0, 0), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        if batching == "packed":
            method.batch_loss(model, items, ctx)["total"].sum().backward()
        else:
            for item in items:
                method.loss(model, item, ctx)["total"].backward()
        optimizer.step()

    return step


def _released(case: Case, dataset: Dataset, device: torch.device) -> Callable[[], None]:
    from wstal.bench import released

    cfg = case.config
    xs = [torch.from_numpy(v.features).to(device) for v in dataset.videos]
    labels = [v.labels[0] for v in dataset.videos]
    if case.method == "cmcs":
        model: torch.nn.Module = released.ReleasedCMCS(
            case.feature_dim, NUM_CLASSES + 1, cfg.embed_dim, cfg.num_branches, cfg.branch_channels,
            cfg.branch_kernel, cfg.attention_channels, cfg.dropout).to(device)

        def losses() -> None:
            for x, label in zip(xs, labels):
                released.released_cmcs_loss(model, x, label, 1.0, cfg.diversity_weight).backward()
    else:
        model = released.ReleasedRSKP(case.feature_dim, cfg.embed_dim, NUM_CLASSES, cfg.dropout,
                                      cfg.num_online, cfg.scale).to(device)
        targets = []
        for label in labels:
            y = torch.zeros(NUM_CLASSES + 1, device=device)
            y[label] = 1.0
            y_back = y.clone()
            y_back[-1] = 1.0
            targets.append((y, y_back))

        def losses() -> None:
            for x, (y, y_back) in zip(xs, targets):
                released.released_rskp_loss(model, x, y, y_back, cfg.em_iterations, cfg.walk_weight,
                                            cfg.temperature).backward()
    model.train()
    t = cfg.train
    optimizer = torch.optim.Adam(model.parameters(), lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        losses()
        optimizer.step()

    return step


def _timer(device: torch.device) -> Callable[[Callable[[], None]], float]:
    if device.type == "cuda":
        def timed(step: Callable[[], None]) -> float:
            torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            step()
            torch.cuda.synchronize(device)
            return time.perf_counter() - t0
    else:
        def timed(step: Callable[[], None]) -> float:
            t0 = time.process_time()
            step()
            return time.process_time() - t0
    return timed


def bench_step(method: str, width: str, device: torch.device, rounds: int = 5, seed: int = 0) -> dict:
    """Median seconds per step of each contender and the speed-ups over the released loop."""
    if rounds < 1:
        raise ConfigError(f"--rounds {rounds}: must be >= 1")
    case = make_case(method, width, seed)
    if device.type == "cpu":
        keep_freed_memory()  # as `wstal train` does; the released loop profits from it as much as ours
    dataset = _dataset(case, seed)
    torch.manual_seed(seed)
    steps = {"released": _released(case, dataset, device),
             "per_video": _ours(case, dataset, "per_video", device),
             "packed": _ours(case, dataset, "packed", device)}
    timed = _timer(device)
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for name in CONTENDERS:  # warm-up: allocator, MKL/cuBLAS handles, lazy inits
        steps[name]()
    for _ in range(rounds):
        for name in CONTENDERS:
            times[name].append(timed(steps[name]))
    median = {name: statistics.median(v) for name, v in times.items()}
    return {
        "method": method, "width": width, "device": str(device), "threads": torch.get_num_threads(),
        "batch_videos": len(case.lengths), "snippets": sum(case.lengths), "feature_dim": case.feature_dim,
        "clock": "wall (synchronised)" if device.type == "cuda" else "process CPU",
        "rounds": rounds, "seconds": median, "all_seconds": times,
        "speedup_packed": median["released"] / median["packed"],
        "speedup_per_video": median["released"] / median["per_video"],
    }


def format_table(rows: list[dict]) -> str:
    """A Markdown table of `bench_step` results."""
    lines = ["| method | width | batch (snippets) | released loop | ours, per video | ours, packed | "
             "speed-up packed | speed-up per video |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["seconds"]
        lines.append(f"| {r['method']} | {r['width']} ({r['feature_dim']}-d) | {r['batch_videos']} "
                     f"({r['snippets']}) | {1000 * s['released']:.1f} ms | {1000 * s['per_video']:.1f} ms | "
                     f"{1000 * s['packed']:.1f} ms | {r['speedup_packed']:.2f}x | {r['speedup_per_video']:.2f}x |")
    return "\n".join(lines)


__all__ = ["bench_step", "format_table", "make_case", "video_lengths", "WIDTHS", "METHODS", "CONTENDERS"]
