"""The signal dictionary: class appearance, phase motion and background prototypes.

All prototypes have i.i.d. N(0, 1) entries (norm ~ sqrt(stream_dim)); gains are applied
when snippets are rendered. Phase prototypes carry the completeness phenomenon: the
discriminative phase of a class is purely class-specific, the other phases mix the class's
own prototype with one shared by its related classes (its group), with weights
sqrt(1 - completeness) and sqrt(completeness), so their energy stays the same and only
their class-specificity drops. The class appearance (constant over the whole instance, and
in its context) is mixed the same way, with weight `APPEARANCE_SHARING * completeness`:
otherwise appearance alone would cover the full instance and no phase would stand out.
With completeness = 0 every phase, and the appearance, is equally class-specific.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wstal.data.synthetic.config import SynthConfig

NUM_BACKGROUND_SCENES = 12  # generic scenes (RGB) and camera motions (flow) shared by all classes
APPEARANCE_SHARING = 0.8  # share of the appearance energy common to a group when completeness = 1


@dataclass(frozen=True)
class Prototypes:
    """Dataset-level prototypes; a video perturbs them with its own style."""

    appearance: np.ndarray  # [C, Ds] class appearance (RGB)
    flow_phase: np.ndarray  # [C, P, Ds] phase motion signal (flow), completeness already mixed in
    rgb_phase: np.ndarray  # [C, P, Ds] motion-correlated RGB signal (used for I3D-like features)
    discriminative_phase: np.ndarray  # [C] index of each class's most discriminative phase
    group: np.ndarray  # [C] related-class group of each class
    scene_rgb: np.ndarray  # [B, Ds] background scenes
    scene_flow: np.ndarray  # [B, Ds] background camera motion
    actor: np.ndarray  # [Ds] the performing person's RGB look, common to every class (knob `actor`)
    venue: np.ndarray  # [G, Ds] the venue of each group of related classes (knob `venue`)


def class_groups(num_classes: int, group_size: int) -> np.ndarray:
    """Consecutive classes form groups of `group_size` related classes (like Cricket*, *Throw)."""
    return np.arange(num_classes) // group_size


def build_prototypes(config: SynthConfig) -> Prototypes:
    rng = np.random.default_rng([config.seed, 7919])  # a stream of its own: independent of the videos
    c, p, d = config.num_classes, config.phases, config.stream_dim
    group = class_groups(c, config.group_size)
    own_appearance = rng.standard_normal((c, d))
    own_flow = rng.standard_normal((c, p, d))
    own_rgb = rng.standard_normal((c, p, d))
    shared_flow = rng.standard_normal((int(group.max()) + 1, p, d))
    shared_rgb = rng.standard_normal((int(group.max()) + 1, p, d))
    discriminative = rng.integers(0, p, size=c)
    scene_rgb = rng.standard_normal((NUM_BACKGROUND_SCENES, d))
    scene_flow = rng.standard_normal((NUM_BACKGROUND_SCENES, d))
    shared_appearance = rng.standard_normal((int(group.max()) + 1, d))

    # Non-discriminative phases lose class-specificity, not energy.
    k = np.full((c, p), config.completeness)
    k[np.arange(c), discriminative] = 0.0
    if p == 1:
        k[:] = 0.0
    own_w, shared_w = np.sqrt(1.0 - k)[..., None], np.sqrt(k)[..., None]
    flow_phase = own_w * own_flow + shared_w * shared_flow[group]
    rgb_phase = own_w * own_rgb + shared_w * shared_rgb[group]
    # Related classes share their venue: appearance identifies the group, not the class.
    k_app = config.completeness * APPEARANCE_SHARING
    appearance = np.sqrt(1.0 - k_app) * own_appearance + np.sqrt(k_app) * shared_appearance[group]
    # A stream of its own, so that adding the actor left every other prototype unchanged.
    actor = np.random.default_rng([config.seed, 7919, 1]).standard_normal(d)
    venue = np.random.default_rng([config.seed, 7919, 2]).standard_normal((int(group.max()) + 1, d))
    return Prototypes(appearance, flow_phase, rgb_phase, discriminative, group, scene_rgb, scene_flow, actor, venue)


def styled(prototype: np.ndarray, style: float, rng: np.random.Generator) -> np.ndarray:
    """A video's version of a prototype: mixed with its own random direction, same expected energy."""
    if style == 0:
        return prototype
    return (prototype + style * rng.standard_normal(prototype.shape)) / np.sqrt(1.0 + style**2)
