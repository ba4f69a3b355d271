"""One rule for turning an override value into the type of the option it sets.

Catalog YAML gives typed values (ints where floats are meant, lists for tuples); the command
line (`wstal synth --set knob=value`) gives strings. Both go through `coerce`, so a method
option and a generator knob accept the same spellings. The option's current value fixes the
type. A bool takes only true/false (a YAML boolean, or the string "true"/"false" in any case),
never 0/1: a number must not switch an option by accident.
"""

from __future__ import annotations

import math
from typing import Any

from wstal.errors import ConfigError

BOOL_STRINGS = {"true": True, "false": False}


def coerce(current: Any, value: Any, key: str, where: str) -> Any:
    """`value` converted to the type of `current` (the default), or a one-line ConfigError."""
    if isinstance(value, str) and current is not None and not isinstance(current, str):
        value = _from_string(current, value)
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true/false, got {value!r}")
        return value
    if isinstance(current, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(float(value)):  # `.nan` / `.inf` in YAML: a run with them "succeeds" with garbage
            raise ConfigError(f"{where}: {key} must be a finite number, got {value!r}")
        return float(value)
    if isinstance(current, int) and isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(current, tuple) and isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(current, str) and isinstance(value, str):
        return value
    if current is None or type(current) is type(value):
        return value
    raise ConfigError(f"{where}: {key} expects {type(current).__name__}, got {value!r}")


def _from_string(current: Any, text: str) -> Any:
    """A command-line string read as the option's type; left as is when it does not parse (then rejected)."""
    text = text.strip()
    if isinstance(current, bool):
        return BOOL_STRINGS.get(text.lower(), text)
    for kind in (int, float):
        if isinstance(current, kind):
            try:
                return kind(text)
            except ValueError:
                return text
    return text
