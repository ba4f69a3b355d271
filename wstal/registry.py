"""Small name -> object registries (methods, protocols, datasets, artifacts).

A registry replaces if-chains: `@METHODS.register("cmcs")` makes a method known to
the CLI, the catalog validator and the training loop at once.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Callable, Generic, Iterable, Iterator, TypeVar

from wstal.errors import ConfigError

T = TypeVar("T")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest known name, or "" when none is close."""
    hint = get_close_matches(name, list(known), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


class Registry(Generic[T]):
    """A named mapping whose lookups fail with a helpful message."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            suggestion = did_you_mean(name, self._items)
            known = ", ".join(sorted(self._items)) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r}{suggestion}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
