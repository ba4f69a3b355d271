"""`generate(config) -> Dataset`: sample every video's timeline, render its features, record what was planted.

Randomness: the prototypes come from `default_rng([seed, 7919])`, video i of a subset from
`default_rng([seed, subset_id, i])`, so the same seed gives byte-identical arrays and changing
`num_test` does not change the training videos.

`Dataset.meta` holds `generator`, `knobs` (the whole `SynthConfig`), `groups` and
`discriminative_phase` per class, and `planted`: per video, snippet-index runs `[first, end)`
of `context` (static context), `weak` (attenuated instances), `ambiguous` and
`discriminative` (the discriminative phase of each instance). Analyses (HN precision,
completeness of detections) read these; `planted_mask` turns them into boolean masks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from wstal.data.records import Dataset, Video, validate_dataset
from wstal.data.synthetic.config import SNIPPET_SECONDS, SynthConfig
from wstal.data.synthetic.prototypes import Prototypes, build_prototypes
from wstal.data.synthetic.render import ACTION, AMBIGUOUS, CONTEXT, interval_snippets, render
from wstal.data.synthetic.timeline import Timeline, sample_timeline
from wstal.utils.runs import runs

TRAIN_SUBSET, TEST_SUBSET = "validation", "test"
SUBSET_STREAM = {TRAIN_SUBSET: 1, TEST_SUBSET: 2}
PLANTED_KINDS = ("context", "weak", "ambiguous", "discriminative")


def class_names(num_classes: int) -> tuple[str, ...]:
    width = len(str(num_classes - 1))
    return tuple(f"Action{c:0{width}d}" for c in range(num_classes))


def planted_mask(dataset: Dataset, video: Video, what: str) -> np.ndarray:
    """Boolean [T] mask of one planted phenomenon (`context`, `weak`, `ambiguous`, `discriminative`)."""
    if what not in PLANTED_KINDS:
        raise ValueError(f"unknown planted kind {what!r}; known: {PLANTED_KINDS}")
    mask = np.zeros(video.num_snippets, dtype=bool)
    for first, end in dataset.meta["planted"][video.name][what]:
        mask[first:end] = True
    return mask


def build_video(timeline: Timeline, config: SynthConfig, protos: Prototypes, rng: np.random.Generator,
                segments: np.ndarray | None = None, segment_labels: np.ndarray | None = None,
                labels: tuple[int, ...] | None = None, ambiguous: np.ndarray | None = None) \
        -> tuple[Video, dict[str, list[list[int]]]]:
    """Render one timeline into a `Video` and its planted runs; GT defaults to the timeline's own."""
    features, motion, kind, phase = render(timeline, config, protos, rng)
    weak = np.zeros(kind.shape, dtype=bool)
    labels_at = np.full(kind.shape, -1)
    for interval in timeline.instances:
        idx = interval_snippets(interval, kind.size)
        labels_at[idx] = interval.label
        weak[idx] |= interval.weak
    is_action = kind == ACTION
    disc = np.zeros(kind.shape, dtype=bool)
    disc[is_action] = phase[is_action] == protos.discriminative_phase[labels_at[is_action]]
    masks = {"context": kind == CONTEXT, "weak": weak & is_action, "ambiguous": kind == AMBIGUOUS,
             "discriminative": disc}
    planted = {what: [list(run) for run in runs(mask)] for what, mask in masks.items()}
    video = Video(
        name=timeline.name, subset=timeline.subset, duration=timeline.duration, features=features,
        segments=segments if segments is not None else
        np.array([[i.start, i.end] for i in timeline.instances], dtype=np.float64).reshape(-1, 2),
        segment_labels=segment_labels if segment_labels is not None else
        np.array([i.label for i in timeline.instances], dtype=np.int64),
        labels=labels if labels is not None else timeline.classes,
        ambiguous=ambiguous if ambiguous is not None else
        np.array([[i.start, i.end] for i in timeline.ambiguous], dtype=np.float64).reshape(-1, 2),
        motion=motion,
    )
    return video, planted


def generator_meta(config: SynthConfig, protos: Prototypes, planted: dict) -> dict:
    return {
        "generator": "wstal.data.synthetic",
        "knobs": dataclasses.asdict(config),
        "groups": protos.group.tolist(),
        "discriminative_phase": protos.discriminative_phase.tolist(),
        "planted": planted,
    }


def generate(config: SynthConfig) -> Dataset:
    """The synthetic THUMOS-shaped benchmark for `config` (validated records, motion filled in)."""
    config = config.validated()
    protos = build_prototypes(config)
    videos: list[Video] = []
    planted: dict[str, dict[str, list[list[int]]]] = {}
    for subset, count in ((TRAIN_SUBSET, config.num_train), (TEST_SUBSET, config.num_test)):
        for i in range(count):
            rng = np.random.default_rng([config.seed, SUBSET_STREAM[subset], i])
            name = f"video_{subset}_{i + 1:07d}"
            timeline = sample_timeline(config, rng, name, subset, with_ambiguous=subset == TEST_SUBSET)
            video, planted[name] = build_video(timeline, config, protos, rng)
            videos.append(video)
    dataset = Dataset(name="synthetic", classes=class_names(config.num_classes), videos=videos,
                      snippet_seconds=SNIPPET_SECONDS, feature_kind=config.feature_kind,
                      train_subset=TRAIN_SUBSET, test_subset=TEST_SUBSET,
                      meta=generator_meta(config, protos, planted))
    return validate_dataset(dataset, source="synthetic generator")
