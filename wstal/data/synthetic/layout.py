"""Synthetic features on a real annotation layout (`wstal synth --layout PATH`).

Durations, GT segments, labels, weak labels, subsets and ambiguous intervals come from a
reduced-format annotation folder (e.g. THUMOS'14's); only the features and the motion are
synthetic. The knobs act as in `generate`, except those the layout fixes (sizes, lengths,
`multilabel`, `ambiguous`): context intervals are placed in the free time next to the real
instances, weak instances are drawn among them, and each real ambiguous interval is rendered
as a weak action of one of the video's classes. A real GT end past the video's end is kept
in the GT and clipped only for rendering.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wstal.data.records import Dataset, Video, validate_dataset
from wstal.data.reduced import read_reduced
from wstal.data.synthetic.config import SNIPPET_SECONDS, SynthConfig
from wstal.data.synthetic.generate import build_video, generator_meta
from wstal.data.synthetic.prototypes import build_prototypes
from wstal.data.synthetic.render import interval_snippets, num_snippets
from wstal.data.synthetic.timeline import CONTEXT_MIN_S, CONTEXT_SIGMA, Interval, Timeline
from wstal.errors import ConfigError

LAYOUT_STREAM = 3


def _context_lengths(config: SynthConfig, rng: np.random.Generator) -> int:
    seconds = np.clip(config.context_median_s * np.exp(CONTEXT_SIGMA * rng.standard_normal()),
                      CONTEXT_MIN_S, 4 * config.context_median_s)
    return max(1, int(round(seconds / SNIPPET_SECONDS)))


def layout_timeline(video: Video, config: SynthConfig, rng: np.random.Generator) -> Timeline:
    """The real video's instances and ambiguous intervals plus sampled context and weak flags."""
    total = num_snippets(video.duration)
    timeline = Timeline(video.name, video.subset, video.duration, tuple(video.labels))
    occupied = np.zeros(total, dtype=bool)
    for (start, end), label in zip(video.segments, video.segment_labels):
        end = min(float(end), video.duration)
        if start >= end:
            continue
        interval = Interval(float(start), end, int(label), bool(rng.random() < config.weak))
        timeline.instances.append(interval)
        occupied[interval_snippets(interval, total)] = True
    classes = sorted(set(video.labels) | set(video.segment_labels.tolist()))
    for start, end in video.ambiguous:
        end = min(float(end), video.duration)
        if classes and start < end:
            interval = Interval(float(start), end, int(rng.choice(classes)), True)
            timeline.ambiguous.append(interval)
            occupied[interval_snippets(interval, total)] = True
    for interval in list(timeline.instances):
        idx = interval_snippets(interval, total)
        for side in (-1, 1):
            if rng.random() >= config.context:
                continue
            length = _context_lengths(config, rng)
            j = idx[0] - 1 if side < 0 else idx[-1] + 1
            taken = []
            while 0 <= j < total and not occupied[j] and len(taken) < length:
                taken.append(j)
                j += side
            if taken:
                first, last = min(taken), max(taken)
                occupied[first:last + 1] = True
                timeline.context.append(Interval(first * SNIPPET_SECONDS, (last + 1) * SNIPPET_SECONDS,
                                                 interval.label))
    return timeline


def generate_on_layout(config: SynthConfig, annotations: str | Path) -> Dataset:
    """Synthetic features for every video of a reduced-format annotation folder."""
    config = config.validated()
    layout = read_reduced(annotations)
    if not layout.videos:
        raise ConfigError(f"--layout {annotations}: the annotation folder lists no video")
    if layout.num_classes != config.num_classes:
        config = SynthConfig(**{**config.__dict__, "num_classes": layout.num_classes}).validated()
    protos = build_prototypes(config)
    videos, planted = [], {}
    for row, real in enumerate(layout.videos):
        rng = np.random.default_rng([config.seed, LAYOUT_STREAM, row])
        timeline = layout_timeline(real, config, rng)
        video, planted[real.name] = build_video(timeline, config, protos, rng, segments=real.segments,
                                                segment_labels=real.segment_labels, labels=tuple(real.labels),
                                                ambiguous=real.ambiguous)
        videos.append(video)
    meta = generator_meta(config, protos, planted)
    meta["layout"] = str(annotations)
    dataset = Dataset(name=f"synthetic-{layout.name}", classes=layout.classes, videos=videos,
                      snippet_seconds=SNIPPET_SECONDS, feature_kind=config.feature_kind,
                      train_subset=layout.train_subset, test_subset=layout.test_subset, meta=meta)
    return validate_dataset(dataset, source=f"synthetic features on {annotations}")
