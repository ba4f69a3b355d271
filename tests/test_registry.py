"""Registries and the one "did you mean" hint (also used by the catalog's lookups)."""

from __future__ import annotations

import pytest

from wstal.errors import ConfigError
from wstal.registry import Registry, did_you_mean


def test_did_you_mean_names_the_closest_or_nothing():
    assert did_you_mean("tyo", ["toy", "rskp"]) == " (did you mean 'toy'?)"
    assert did_you_mean("zzz", ["toy", "rskp"]) == ""
    assert did_you_mean("toy", []) == ""


def test_registry_lookup_error_carries_the_hint_and_the_known_names():
    reg: Registry[int] = Registry("thing")
    reg.register("alpha")(1)
    with pytest.raises(ConfigError, match=r"unknown thing 'alpah' \(did you mean 'alpha'\?\); known: alpha"):
        reg.get("alpah")
