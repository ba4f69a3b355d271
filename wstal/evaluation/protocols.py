"""The five named evaluation protocols of docs/evaluation.md §3, as data.

(Plus two readings of the original kit's recall levels, `th14-11pt-nearest` and
`th14-11pt-octave`, next to the kit's own MATLAB levels of `th14-11pt`.)

A protocol is a bundle of switches (time unit, matching rule, overlap measure, ≥ vs >,
AP rule, Ambiguous handling, what a class without predictions does). Every reported
number names its protocol, and the result JSON repeats the switches, so a number can
always be traced to the rules that produced it. A new protocol is one more
`PROTOCOLS.register(...)` entry (or `dataclasses.replace` of an existing one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from typing import Callable

import numpy as np

from wstal.evaluation.matching import OVERLAPS, detection_driven, gt_driven
from wstal.evaluation.precision import AP_RULES
from wstal.registry import Registry


@dataclass(frozen=True)
class Protocol:
    """Switches of one evaluation protocol (values are keys of the registries below)."""

    name: str
    unit: str  # UNITS: "seconds" | "snippets"
    matching: str  # MATCHERS: "best" | "first" | "gt-driven"
    overlap: str  # OVERLAPS: "tiou" | "th14"
    strict: bool  # True: overlap > θ (THUMOS kit); False: ≥ θ
    ap: str  # AP_RULES: "interpolated" | "non-interpolated" | "11-point" (| "-nearest" | "-octave" levels)
    ambiguous: str  # AMBIGUOUS_RULES: "ignore" | "delete-touching" | "drop-unmatched"
    missing_class: str  # MISSING_CLASS_RULES: "zero-ap" | "zero-map"
    description: str = ""

    def switches(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("name", "description")}

    def validate(self) -> "Protocol":
        for registry, key in ((UNITS, self.unit), (MATCHERS, self.matching), (OVERLAPS, self.overlap),
                              (AP_RULES, self.ap), (AMBIGUOUS_RULES, self.ambiguous),
                              (MISSING_CLASS_RULES, self.missing_class)):
            registry.get(key)  # ConfigError with "did you mean" on a typo
        return self


# ----------------------------------------------------------------------------- time units

Unit = Callable[[np.ndarray, float], np.ndarray]
UNITS: Registry[Unit] = Registry("time unit")


@UNITS.register("seconds")
def _seconds(times: np.ndarray, snippet_seconds: float) -> np.ndarray:
    return times


@UNITS.register("snippets")
def to_snippet_grid(times: np.ndarray, snippet_seconds: float) -> np.ndarray:
    """Seconds -> snippet index as the W-TALC family does: round(t * 25 / 16), half to even.

    The factor is written as the fraction b / a of the snippet length a / b (16/25 s ->
    t * 25 / 16, 0.4 s -> t * 5 / 2) and evaluated as `t * b / a`, the same IEEE
    operations as Python's `round(t * 25 / 16)`. Applied to both ends of GT, Ambiguous
    intervals and predictions, the result [i0, i1) is end-exclusive; a prediction made
    from snippets i0..i1 and written as [i0 * a/b, (i1 + 1) * a/b] seconds maps back
    to exactly [i0, i1 + 1), the interval RSKP/FAC-Net evaluate.
    """
    grid = Fraction(snippet_seconds).limit_denominator(10_000)
    return np.round(times * grid.denominator / grid.numerator)


# ----------------------------------------------------------------------------- matching

Matcher = Callable[..., np.ndarray]
MATCHERS: Registry[Matcher] = Registry("matching rule")
MATCHERS.register("best")(lambda *a, **kw: detection_driven(*a, best=True, **kw))
MATCHERS.register("first")(lambda *a, **kw: detection_driven(*a, best=False, **kw))
MATCHERS.register("gt-driven")(gt_driven)


# ----------------------------------------------------------------------------- ambiguous


@dataclass(frozen=True)
class AmbiguousRule:
    """`delete_before`: predictions removed before matching; `drop_unmatched`: unmatched ones dropped after."""

    delete_before: bool
    drop_unmatched: bool


AMBIGUOUS_RULES: Registry[AmbiguousRule] = Registry("ambiguous rule")
AMBIGUOUS_RULES.register("ignore")(AmbiguousRule(False, False))
# CO2-Net / FAC-Net / RSKP / W-TALC: every prediction sharing a snippet with an Ambiguous interval of its video.
AMBIGUOUS_RULES.register("delete-touching")(AmbiguousRule(True, False))
# THUMOS kit: unmatched detections overlapping an Ambiguous interval are neither TP nor FP.
AMBIGUOUS_RULES.register("drop-unmatched")(AmbiguousRule(False, True))


# ----------------------------------------------------------------------------- missing class

MISSING_CLASS_RULES: Registry[str] = Registry("missing-class rule")
MISSING_CLASS_RULES.register("zero-ap")("a class with GT but no predictions has AP 0 and counts in the mean")
MISSING_CLASS_RULES.register("zero-map")("if any class with GT has no predictions, the whole mAP is 0 at every θ")


# ----------------------------------------------------------------------------- the five protocols

PROTOCOLS: Registry[Protocol] = Registry("protocol")


def _register(protocol: Protocol) -> Protocol:
    return PROTOCOLS.register(protocol.name)(protocol.validate())


_register(Protocol(
    "activitynet", unit="seconds", matching="best", overlap="tiou", strict=False, ap="interpolated",
    ambiguous="ignore", missing_class="zero-ap",
    description="ActivityNet official eval_detection.py: seconds, best free GT with tIoU >= θ, all-points AP"))
SNIPPET = _register(Protocol(
    "snippet", unit="snippets", matching="best", overlap="tiou", strict=False, ap="interpolated",
    ambiguous="delete-touching", missing_class="zero-map",
    description="FAC-Net/RSKP detectionMAP (CO2-Net rules): snippet grid, Ambiguous deletion, all-points AP"))
_register(replace(
    SNIPPET, name="wtalc", matching="first", ap="non-interpolated",
    description="legacy W-TALC detectionMAP: snippet grid, first GT in list order, non-interpolated AP"))
TH14 = _register(Protocol(
    "th14", unit="seconds", matching="gt-driven", overlap="th14", strict=True, ap="non-interpolated",
    ambiguous="drop-unmatched", missing_class="zero-ap",
    description="THUMOS'14 Matlab kit (TH14evalDet_Updated): GT-driven, overlap > θ, non-interpolated AP"))
# The original kit (TH14eventdetpr) = th14 with 11-point AP at MATLAB's recall levels; the two
# suffixed names are the other readings of its levels (docs/evaluation-11pt.md).
for suffix, description in (
        ("", "original THUMOS'14 kit (TH14eventdetpr): as th14 with 11-point interpolated AP "
             "at MATLAB's 0:0.1:1 recall levels (docs/evaluation-11pt.md)"),
        ("-nearest", "as th14-11pt with the recall levels at the doubles nearest to k/10"),
        ("-octave", "as th14-11pt with GNU Octave's 0:0.1:1 recall levels (k * 0.1)")):
    _register(replace(TH14, name=f"th14-11pt{suffix}", ap=f"11-point{suffix}", description=description))
del suffix, description

# Every protocol name, for argparse choices and the workflow's wildcard constraints.
PROTOCOL_NAMES: tuple[str, ...] = tuple(PROTOCOLS)
