"""The synthetic THUMOS-shaped benchmark: the CPU default dataset of the harness.

Why synthetic: the real THUMOS'14 I3D features are 2048-wide and long; the CPU default needs
short, narrow videos on which each paper mechanism has something to fix. So the generator
plants, each behind one knob (`SynthConfig`; 0 removes it):

* **incomplete-looking actions** (`phases`, `completeness`): an instance is a sequence of
  phases; one phase per class is purely class-specific, the others are shared with the
  related classes of its group. A MIL classifier fires on the discriminative phase only and
  localises a fraction of the instance (low tIoU): the target of CMCS's diverse branches.
* **static context** (`context`): intervals next to actions with the class's appearance in
  RGB but no motion (flow = damped camera motion, `motion` ~ 0.03): MIL takes them for the
  action (false positives, over-long detections); CMCS hard negatives, selected from
  `Video.motion`, teach them as background.
* **UNT-like vs I3D-like** (`feature_kind`, `venue`): UNT RGB is one still frame, appearance
  only, so RGB alone cannot tell action from context; I3D RGB also holds a motion-correlated
  phase signal. `venue` (default 0) moves that share of the appearance to the venue of the
  class's group, seen all video long: a frame then names the group, not the class, and not
  when the action happens (CMCS Fig. 1: UNT RGB alone is very low, early fusion preferred).
  `actor` (default 0) adds a performer component, shared by all classes, to action RGB only:
  real action frames show someone acting in the venue, static context the venue alone. At 0
  a context snippet's UNT RGB equals its action's, and hard negatives then teach the class
  appearance itself as background (the CMCS `unt*` data variants set it to 1).
* **weak instances and ambiguous intervals** (`weak`, `ambiguous`): attenuated class signal
  (hard alone) with the direction of the class's prototype, so knowledge propagated from the
  representative snippets of the class (RSKP, within and across videos) recovers them; a
  per-video `style` makes a video's own representatives closer than other videos'.
* **multi-label videos** (`multilabel`): two classes, usually related ones.

Sizes and lengths follow THUMOS'14 (`describe` prints both). Modules: `config` (knobs,
presets), `prototypes` (signal dictionary), `timeline` (where things happen), `render`
(features and motion), `generate` (the dataset), `describe` (statistics vs THUMOS'14).
"""

from wstal.data.synthetic.config import SCALE_PRESETS, SynthConfig, knob_names, make_config, parse_assignments
from wstal.data.synthetic.describe import THUMOS14_REFERENCE, describe
from wstal.data.synthetic.generate import generate, planted_mask

__all__ = ["SCALE_PRESETS", "SynthConfig", "THUMOS14_REFERENCE", "describe", "generate", "knob_names",
           "make_config", "parse_assignments", "planted_mask"]
