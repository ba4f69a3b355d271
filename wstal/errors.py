"""One exception type for everything a user can get wrong.

The CLI prints a `WstalError` as a single line (`wstal: error: ...`) and exits with
status 2; anything else is a bug and keeps its traceback. Messages name the file (or
experiment, or option) and the problem, so that the user can act without reading code.
"""

from __future__ import annotations

from pathlib import Path


class WstalError(Exception):
    """A problem with the user's input, files or configuration."""


class DataError(WstalError):
    """A data file is missing, corrupt, or inconsistent with its annotations."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path is not None else problem)


class ConfigError(WstalError):
    """An unknown experiment, method, override key or an invalid config value."""


class TrainingDiverged(WstalError):
    """The loss became NaN/Inf; the last good checkpoint is kept."""
