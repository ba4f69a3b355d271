"""Where things happen in a video: duration, classes, instances, context and ambiguous intervals.

A timeline is sampled in seconds (rounded to 0.1 s like the THUMOS'14 annotations) before any
feature is rendered. Instances are drawn until the video's action coverage is reached; each
instance may carry a static context interval on either side (probability `context` per side)
and moves with it as one block; test videos may also get ambiguous intervals (own blocks).
Blocks are laid out in random order with random background gaps between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wstal.data.synthetic.config import SynthConfig
from wstal.data.synthetic.prototypes import class_groups

COVERAGE_CONCENTRATION = 4.0  # Beta(a, b) with a + b = 4: real per-video coverage spans ~0.07..0.66 (p10..p90)
SAME_GROUP_COOCCURRENCE = 0.75  # a second class comes from the first class's group this often
SECONDARY_SHARE = 0.35  # share of a multi-label video's instances that belong to its second class
CONTEXT_SIGMA = 0.4  # log-normal sigma of context lengths
CONTEXT_MIN_S = 2.0  # CMCS keeps only static runs >= 2 s
TIME_RESOLUTION_S = 0.1  # THUMOS'14 annotations have 0.1 s precision


@dataclass(frozen=True)
class Interval:
    start: float  # seconds
    end: float
    label: int
    weak: bool = False


@dataclass
class Timeline:
    name: str
    subset: str
    duration: float
    classes: tuple[int, ...]
    instances: list[Interval] = field(default_factory=list)
    context: list[Interval] = field(default_factory=list)
    ambiguous: list[Interval] = field(default_factory=list)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, low: float, high: float) -> float:
    return float(np.clip(median * np.exp(sigma * rng.standard_normal()), low, high))


def sample_classes(config: SynthConfig, rng: np.random.Generator) -> tuple[int, ...]:
    """One class, or two with probability `multilabel` (usually related ones, like CricketBowling+Shot)."""
    first = int(rng.integers(config.num_classes))
    if rng.random() >= config.multilabel:
        return (first,)
    group = class_groups(config.num_classes, config.group_size)
    siblings = [c for c in range(config.num_classes) if group[c] == group[first] and c != first]
    others = [c for c in range(config.num_classes) if c != first]
    pool = siblings if siblings and rng.random() < SAME_GROUP_COOCCURRENCE else others
    return (first, int(rng.choice(pool)))


def sample_timeline(config: SynthConfig, rng: np.random.Generator, name: str, subset: str,
                    with_ambiguous: bool) -> Timeline:
    duration = round(_lognormal(rng, config.duration_median_s, config.duration_sigma,
                                config.duration_min_s, config.duration_max_s), 1)
    classes = sample_classes(config, rng)
    a = COVERAGE_CONCENTRATION * config.coverage
    coverage = rng.beta(max(a, 1e-3), max(COVERAGE_CONCENTRATION - a, 1e-3))
    inst_cap = min(config.instance_max_s, 0.5 * duration)

    def instance_length() -> float:
        return _lognormal(rng, config.instance_median_s, config.instance_sigma, config.instance_min_s,
                          max(inst_cap, config.instance_min_s))

    def context_length() -> float:
        return _lognormal(rng, config.context_median_s, CONTEXT_SIGMA, CONTEXT_MIN_S, 4 * config.context_median_s)

    # Instances until the coverage is reached (at least one per class of the video).
    lengths: list[float] = []
    while not lengths or len(lengths) < len(classes) or sum(lengths) < coverage * duration:
        lengths.append(instance_length())
    labels = [classes[0]] * len(lengths)
    if len(classes) > 1:
        labels = [classes[1] if rng.random() < SECONDARY_SHARE else classes[0] for _ in lengths]
        for needed, slot in zip(classes, rng.permutation(len(lengths))[: len(classes)]):
            if needed not in labels:
                labels[int(slot)] = needed
    weak = rng.random(len(lengths)) < config.weak

    # Blocks: (kind, length, label, weak) items laid out contiguously; context sticks to its instance.
    blocks: list[list[tuple[str, float, int, bool]]] = []
    for length, label, is_weak in zip(lengths, labels, weak):
        left = [("context", context_length(), label, False)] if rng.random() < config.context else []
        right = [("context", context_length(), label, False)] if rng.random() < config.context else []
        blocks.append([*left, ("instance", length, label, bool(is_weak)), *right])
    if with_ambiguous and rng.random() < config.ambiguous:
        for _ in range(1 + int(rng.poisson(1.7))):  # real: 99 intervals in 37 videos
            blocks.append([("ambiguous", instance_length(), int(rng.choice(classes)), True)])

    # Keep what fits in 95% of the video (one instance always stays, shortened if it must).
    # One instance block, then the ambiguous blocks (so their share of test videos follows `ambiguous`),
    # then the rest in random order; keep what fits in 95% of the video.
    order = [int(i) for i in rng.permutation(len(blocks))]
    order.sort(key=lambda i: (i != len(lengths) - 1, blocks[i][0][0] != "ambiguous"))
    budget = 0.95 * duration
    kept, used = [], 0.0
    for i in order:
        size = sum(item[1] for item in blocks[i])
        if used + size <= budget:
            kept.append(blocks[i])
            used += size
    if not any(item[0] == "instance" for block in kept for item in block):
        # Even the first instance block is too long: keep its instance alone, shortened if it must.
        instance = next(item for item in blocks[len(lengths) - 1] if item[0] == "instance")
        kept = [[(instance[0], min(instance[1], 0.5 * duration), instance[2], instance[3])]]
        used = kept[0][0][1]

    gaps = rng.dirichlet(np.ones(len(kept) + 1)) * (duration - used)
    timeline = Timeline(name, subset, duration, classes)
    t = float(gaps[0])
    for block, gap in zip(kept, gaps[1:]):
        for kind, length, label, is_weak in block:
            start, end = _snap(t), _snap(t + length)
            end = min(max(end, start + TIME_RESOLUTION_S), duration)
            interval = Interval(start, end, label, is_weak)
            {"instance": timeline.instances, "context": timeline.context, "ambiguous": timeline.ambiguous}[kind] \
                .append(interval)
            t += length
        t += float(gap)
    # The weak labels are the classes that actually have an instance.
    timeline.classes = tuple(sorted({i.label for i in timeline.instances}))
    return timeline


def _snap(t: float) -> float:
    return round(round(t / TIME_RESOLUTION_S) * TIME_RESOLUTION_S, 1)
