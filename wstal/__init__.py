"""wstal-repro: a reproducibility harness for weakly supervised temporal action localization."""

__version__ = "0.1.0"
