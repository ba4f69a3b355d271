"""Timeline -> snippet features [T, 2*Ds] (RGB | flow) and per-snippet motion intensity.

Every snippet gets a background scene (RGB) and camera motion (flow), then the signal of
what happens there, then isotropic noise:

| snippet   | RGB                                                   | flow                        | motion |
|-----------|-------------------------------------------------------|-----------------------------|--------|
| action    | appearance * A_c + rgb_motion * R_{c,phase} (I3D only) + actor * P | signal * M_{c,phase} | high |
| weak / ambiguous | the same, times weak_amplitude                 | the same, times weak_amplitude | high |
| context   | appearance * A_c (same as the action: static venue)   | camera motion damped (static) | ~0   |
| background| scene only                                            | camera motion               | varied |

With `venue` v > 0 the appearance term becomes sqrt(1 - v) * A_c and every snippet of the video
(background too) adds sqrt(v) * V_g, the venue of the group of its classes: one still frame then
tells the group, not the class, nor whether the action is happening (UNT RGB, CMCS Fig. 1).

Motion intensity is log-normal: actions around 1, static context around 0.03, background
around 0.35 with a wide spread, drawn independently per snippet, so CMCS's 25th-percentile
threshold + 2 s median filter + short-run removal keeps mostly the (contiguous) context runs
and not the scattered low-motion background snippets.
"""

from __future__ import annotations

import numpy as np

from wstal.data.records import snippet_span
from wstal.data.synthetic.config import SNIPPET_SECONDS, SynthConfig
from wstal.data.synthetic.prototypes import Prototypes, styled
from wstal.data.synthetic.timeline import Interval, Timeline

BACKGROUND, ACTION, CONTEXT, AMBIGUOUS = 0, 1, 2, 3
SCENE_PIECE_SNIPPETS = 25.0  # mean length of a background scene / camera-motion piece
SCENES_PER_VIDEO = 3
STATIC_CAMERA_GAIN = 0.15  # camera motion left in static context snippets
MOTION_LOG_MEAN = {BACKGROUND: np.log(0.35), ACTION: np.log(1.0), CONTEXT: np.log(0.03), AMBIGUOUS: np.log(0.8)}
MOTION_LOG_SIGMA = {BACKGROUND: 0.6, ACTION: 0.3, CONTEXT: 0.4, AMBIGUOUS: 0.3}


def num_snippets(duration: float) -> int:
    return max(2, int(duration / SNIPPET_SECONDS))


def interval_snippets(interval: Interval, total: int) -> np.ndarray:
    """Snippets whose centre lies in [start, end); a too-short interval gets the snippet at its midpoint."""
    idx = np.arange(*snippet_span(interval.start, interval.end, SNIPPET_SECONDS, total))
    if idx.size == 0:
        mid = min(int((interval.start + interval.end) / 2 / SNIPPET_SECONDS), total - 1)
        idx = np.array([mid])
    return idx


def phase_of_snippets(count: int, phases: int, rng: np.random.Generator) -> np.ndarray:
    """Split an instance into `phases` consecutive phases of random (roughly equal) proportions."""
    bounds = np.cumsum(rng.dirichlet(np.full(phases, 4.0)))
    position = (np.arange(count) + 0.5) / count
    return np.minimum(np.searchsorted(bounds, position), phases - 1)


def render(timeline: Timeline, config: SynthConfig, protos: Prototypes, rng: np.random.Generator) \
        -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (features [T, 2Ds] float32, motion [T] float32, kind [T] int8, phase [T] int8 (-1 outside))."""
    total, ds = num_snippets(timeline.duration), config.stream_dim
    kind = np.zeros(total, dtype=np.int8)
    phase = np.full(total, -1, dtype=np.int8)

    # Who owns each snippet: actions and ambiguous intervals win over context at block borders.
    context_idx = []
    for interval in timeline.context:
        idx = interval_snippets(interval, total)
        kind[idx] = CONTEXT
        context_idx.append(idx)
    signal_idx = []
    for interval, snippet_kind in [*((i, ACTION) for i in timeline.instances),
                                   *((i, AMBIGUOUS) for i in timeline.ambiguous)]:
        idx = interval_snippets(interval, total)
        kind[idx] = snippet_kind
        signal_idx.append((interval, idx))

    # Background: a few scenes per video, in pieces; the camera stands still in static context.
    rgb = np.zeros((total, ds))
    flow = np.zeros((total, ds))
    scenes = rng.choice(len(protos.scene_rgb), size=SCENES_PER_VIDEO, replace=False)
    t = 0
    while t < total:
        length = 1 + int(rng.geometric(1.0 / SCENE_PIECE_SNIPPETS))
        rgb[t:t + length] = config.background * protos.scene_rgb[scenes[rng.integers(SCENES_PER_VIDEO)]]
        flow[t:t + length] = config.background * protos.scene_flow[scenes[rng.integers(SCENES_PER_VIDEO)]]
        t += length
    flow[kind == CONTEXT] *= STATIC_CAMERA_GAIN

    # This video's version of its classes' prototypes.
    appearance, flow_phase, rgb_phase = {}, {}, {}
    labels = {i.label for i in (*timeline.instances, *timeline.context, *timeline.ambiguous)}
    for c in sorted(labels):
        appearance[c] = styled(protos.appearance[c], config.style, rng)
        flow_phase[c] = styled(protos.flow_phase[c], config.style, rng)
        rgb_phase[c] = styled(protos.rgb_phase[c], config.style, rng)
    rgb_motion = config.rgb_motion if config.feature_kind == "i3d" else 0.0
    # The venue takes share `venue` of the appearance energy and is seen all video long (no rng draw,
    # and a gain of exactly 1 at venue 0, so that the default output stays byte-identical).
    own_appearance = config.appearance * np.sqrt(1.0 - config.venue)
    if config.venue:
        groups = sorted({int(protos.group[c]) for c in labels})
        rgb += config.appearance * np.sqrt(config.venue / len(groups)) * protos.venue[groups].sum(axis=0)

    for interval, idx in zip(timeline.context, context_idx):
        idx = idx[kind[idx] == CONTEXT]
        rgb[idx] += own_appearance * appearance[interval.label]
    for interval, idx in signal_idx:
        gain = config.weak_amplitude if interval.weak else 1.0
        phases = phase_of_snippets(idx.size, config.phases, rng)
        c = interval.label
        phase[idx] = phases
        rgb[idx] += gain * (own_appearance * appearance[c] + rgb_motion * config.signal * rgb_phase[c][phases])
        if config.actor:  # skipped at 0 so that the default output stays byte-identical
            rgb[idx] += gain * config.actor * protos.actor
        flow[idx] += gain * config.signal * flow_phase[c][phases]

    noise_std = config.noise * np.sqrt(ds / 64.0)
    features = np.concatenate([rgb, flow], axis=1)
    features += noise_std * rng.standard_normal(features.shape)
    features *= 1.0 / np.sqrt(1.0 + noise_std**2)  # keeps the per-dimension std near 1 whatever the width
    features = features.astype(np.float32)

    log_mean = np.array([MOTION_LOG_MEAN[k] for k in range(4)])[kind]
    log_sigma = np.array([MOTION_LOG_SIGMA[k] for k in range(4)])[kind]
    motion = np.exp(log_mean + log_sigma * rng.standard_normal(total)).astype(np.float32)
    return features, motion, kind, phase
