"""WSTAL methods, registered by name in `METHODS` (see `wstal.methods.base`)."""

from wstal.methods.base import METHODS, Method, TrainConfig, get_method

__all__ = ["METHODS", "Method", "TrainConfig", "get_method"]
