"""The one override coercer: same rules for catalog YAML values and command-line strings."""

from __future__ import annotations

import pytest

from wstal.config_values import coerce
from wstal.data.synthetic.config import make_config
from wstal.errors import ConfigError
from wstal.methods.base import TrainConfig, apply_overrides


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), ("true", True), ("FALSE", False),
                                             (" True ", True)])
def test_bool_takes_true_false_only(value, expected):
    assert coerce(False, value, "flag", "here") is expected


@pytest.mark.parametrize("value", [1, 0, "1", "0", "yes", 1.0, None])
def test_bool_rejects_numbers_and_other_words(value):
    with pytest.raises(ConfigError, match="here: flag must be true/false"):
        coerce(False, value, "flag", "here")


def test_numbers_tuples_and_strings():
    assert coerce(1.0, 2, "x", "w") == 2.0 and isinstance(coerce(1.0, 2, "x", "w"), float)
    assert coerce(1.0, "2.5", "x", "w") == 2.5
    assert coerce(3, "4", "n", "w") == 4
    assert coerce((1, 2), [3, 4], "t", "w") == (3, 4)
    assert coerce("a", "b", "s", "w") == "b"
    assert coerce(None, [1], "o", "w") == [1]
    for current, bad in [(3, 2.5), (3, True), (3, "4.5"), (1.0, True), (1.0, "x"), ("a", 3), ((1,), "1,2")]:
        with pytest.raises(ConfigError, match="w: k expects"):
            coerce(current, bad, "k", "w")


def test_methods_and_generator_share_the_rule():
    """A method option and a generator knob accept and reject the same spellings."""
    assert apply_overrides(TrainConfig(), {"steps": "7"}, "exp").steps == 7
    assert make_config("smoke", {"num_classes": "7"}).num_classes == 7
    assert make_config("smoke", {"num_classes": 7}).num_classes == 7
    for bad in ("7.5", 7.5, True):
        with pytest.raises(ConfigError, match="num_classes expects int"):
            make_config("smoke", {"num_classes": bad})
        with pytest.raises(ConfigError, match="steps expects int"):
            apply_overrides(TrainConfig(), {"steps": bad}, "exp")
