"""The generator's knobs (`SynthConfig`), the scale presets and `--set knob=value` parsing.

Every planted phenomenon has one knob, and that knob at 0 removes the phenomenon, so that
the gain of the paper mechanism that targets it can be shown to vanish with it
(figure11 of the catalog). Knob names are a public interface (catalog experiments and
`wstal synth --set` use them): do not rename.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, Mapping

from wstal.config_values import coerce
from wstal.data.records import SNIPPET_SECONDS as SNIPPET_SECONDS  # re-exported to the generator modules
from wstal.errors import ConfigError

FEATURE_KINDS = ("i3d", "unt")


@dataclass
class SynthConfig:
    """Knobs of the synthetic THUMOS-shaped benchmark (defaults = `paper` scale, THUMOS'14 sizes)."""

    # --- sizes ---------------------------------------------------------------------------------
    num_classes: int = 20  # THUMOS'14 has 20 detection classes
    num_train: int = 200  # training ("validation") videos, as THUMOS'14
    num_test: int = 212  # test videos, as the reduced THUMOS'14 test set
    stream_dim: int = 1024  # feature width per stream (D = 2 * stream_dim, RGB | flow), I3D = 1024
    feature_kind: str = "i3d"  # "i3d": RGB also carries motion; "unt": RGB = appearance only (CMCS Fig. 1)

    # --- timeline (THUMOS'14 statistics, data/thumos14/README.md and the annotation files) -------
    duration_median_s: float = 155.0  # video length: log-normal, median of val+test (150.5 / 161.7 s)
    duration_sigma: float = 0.88  # log-normal sigma of the video length (real: 0.92 val / 0.84 test)
    duration_min_s: float = 9.0  # shortest video (real: 8.9 s)
    duration_max_s: float = 1700.0  # longest video (real: 1673 s)
    coverage: float = 0.3  # mean share of a video's time inside GT instances (real mean 0.30 / 0.32)
    instance_median_s: float = 3.0  # instance length: log-normal, median (real 2.9 / 3.2 s)
    instance_sigma: float = 0.83  # log-normal sigma of the instance length (real 0.83)
    instance_min_s: float = 0.2  # shortest instance (real 0.2 s)
    instance_max_s: float = 120.0  # longest instance (real 118.1 s)

    # --- planted phenomena ------------------------------------------------------------------------
    phases: int = 3  # phases per action instance, each with its own motion prototype (1 = no phases)
    completeness: float = 1.0  # 0..1: how much of the class-specific signal the non-discriminative phases lose
    #   (replaced by a prototype shared with the related classes); 0 = all phases equally discriminative.
    #   This is what makes a MIL classifier localise only part of an instance (CMCS multi-branch target).
    group_size: int = 4  # related classes (sharing non-discriminative phases, co-occurring) per group
    context: float = 0.3  # 0..1: probability per instance side of a static context interval next to it:
    #   class appearance in RGB, no motion, low `motion` (the target of CMCS hard negatives); 0 = none
    context_median_s: float = 4.0  # length of a context interval (log-normal, sigma 0.4, >= 2 s so it
    #   survives CMCS's 2 s median filter and short-run removal)
    multilabel: float = 0.15  # share of videos with two classes (real: 13.5% val / 16% test by segments)
    ambiguous: float = 0.175  # share of test videos with ambiguous intervals (real: 37 of 212 = 17.5%):
    #   partial, weak actions listed in `Video.ambiguous`, not in the GT
    weak: float = 0.2  # share of instances whose class signal is attenuated to `weak_amplitude`
    #   (hard alone, recoverable from the class's representative snippets: the RSKP target); 0 = none
    weak_amplitude: float = 0.4  # class-signal gain of weak instances and ambiguous intervals
    style: float = 0.5  # per-video perturbation of every class prototype (intra-class variation across
    #   videos: what makes within-video representatives differ from other videos'); 0 = identical
    rgb_motion: float = 0.7  # gain of the motion (phase) signal in RGB for feature_kind="i3d" (unt: 0)
    appearance: float = 1.0  # gain of the class appearance prototype in RGB (actions and context)
    actor: float = 0.0  # gain of an action-only RGB component (the person performing, shared by all classes):
    #   real action frames show the actor in the venue, static context the venue only; 0 = action RGB
    #   equals its context's (then a context-vs-action cue exists in flow only)
    venue: float = 0.0  # 0..1: share of the RGB class appearance that is the venue of the class's group,
    #   seen in every snippet of the video (background included): what one still frame shows (UNT RGB)
    #   then names the group, not the class, and not whether the action is happening; 0 = the appearance
    #   is class-specific and shown with the action and its context only
    signal: float = 1.0  # gain of every class-specific action signal (motion phases)
    background: float = 1.0  # gain of the generic background scenes / camera motion
    noise: float = 1.0  # isotropic noise; scaled with sqrt(stream_dim / 64) so difficulty does not
    #   depend on the feature width (a matched filter's SNR stays constant)
    seed: int = 0  # everything is derived from it: same seed => byte-identical arrays

    def validated(self) -> "SynthConfig":
        """Return self after checking every range; a bad value is a one-line ConfigError."""
        if self.feature_kind not in FEATURE_KINDS:
            raise ConfigError(f"synthetic knob feature_kind={self.feature_kind!r}: expected one of {FEATURE_KINDS}")
        positive_ints = ("num_classes", "num_train", "num_test", "stream_dim", "phases", "group_size")
        for name in positive_ints:
            if getattr(self, name) < 1:
                raise ConfigError(f"synthetic knob {name}={getattr(self, name)}: must be >= 1")
        if self.num_classes < 2:
            raise ConfigError(f"synthetic knob num_classes={self.num_classes}: must be >= 2")
        for name in ("completeness", "context", "multilabel", "ambiguous", "weak", "coverage", "venue"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"synthetic knob {name}={value}: must be within [0, 1]")
        if self.coverage >= 0.95:
            raise ConfigError(f"synthetic knob coverage={self.coverage}: must be < 0.95 (videos need background)")
        for name in ("duration_median_s", "duration_min_s", "instance_median_s", "instance_min_s",
                     "context_median_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"synthetic knob {name}={getattr(self, name)}: must be > 0")
        if self.duration_max_s < self.duration_min_s:
            raise ConfigError(f"synthetic knobs duration_max_s={self.duration_max_s} < duration_min_s")
        if self.instance_max_s < self.instance_min_s:
            raise ConfigError(f"synthetic knobs instance_max_s={self.instance_max_s} < instance_min_s")
        for name in ("duration_sigma", "instance_sigma", "weak_amplitude", "style", "rgb_motion", "appearance",
                     "actor", "signal", "background", "noise"):
            if getattr(self, name) < 0:
                raise ConfigError(f"synthetic knob {name}={getattr(self, name)}: must be >= 0")
        return self


# Overrides of the defaults per scale. `paper` = THUMOS'14 sizes and lengths with 1024-d streams.
SCALE_PRESETS: dict[str, dict] = {
    # CI: the whole smoke DAG (~55 runs) trains in minutes on 2 cores.
    "smoke": {"num_train": 40, "num_test": 40, "stream_dim": 32, "duration_median_s": 40.0,
              "duration_sigma": 0.35, "duration_min_s": 15.0, "duration_max_s": 100.0},
    # CPU default: ~100 snippets per video, so a few hundred optimiser steps take ~10 s on one core.
    # Five times THUMOS'14's 212 test videos (choice synthetic-test-size): a test set is cheap to
    # score, and at 1060 the paired seed spread of 11 of 12 RSKP comparisons fell by 17-52%.
    "default": {"stream_dim": 64, "duration_median_s": 64.0, "duration_sigma": 0.5,
                "duration_min_s": 15.0, "duration_max_s": 256.0, "num_test": 1060},
    "paper": {},
}


def knob_names() -> list[str]:
    return [f.name for f in dataclasses.fields(SynthConfig)]


def make_config(scale: str = "default", overrides: Mapping[str, object] | None = None,
                seed: int | None = None) -> SynthConfig:
    """Defaults, then `SCALE_PRESETS[scale]`, then `overrides` (strings are converted), then `seed`."""
    if scale not in SCALE_PRESETS:
        raise ConfigError(f"unknown synthetic scale {scale!r}; known: {', '.join(SCALE_PRESETS)}")
    values = dict(SCALE_PRESETS[scale])
    defaults = SynthConfig()
    for name, raw in (overrides or {}).items():
        if name not in knob_names():
            raise ConfigError(f"unknown synthetic knob {name!r}; knobs: {', '.join(knob_names())}")
        values[name] = coerce(getattr(defaults, name), raw, name, "synthetic knob")
    if seed is not None:
        values["seed"] = int(seed)
    return SynthConfig(**values).validated()


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["context=0", "noise=1.5"]` -> `{"context": "0", "noise": "1.5"}` (`--set` on the CLI)."""
    parsed: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set {item!r}: expected knob=value; knobs: {', '.join(knob_names())}")
        parsed[name.strip()] = value.strip()
    return parsed
