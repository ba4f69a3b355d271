"""Reading a JSON file a user handed us: one place for the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wstal.errors import DataError


class DuplicateKey(ValueError):
    """Two members of one JSON object share a key (the parser would keep only the last)."""


def unique_object(pairs: list[tuple[str, Any]]) -> dict:
    """`object_pairs_hook` that refuses duplicate keys instead of silently dropping the first value."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"duplicate key {key!r} (the first value would be silently dropped)")
            seen.add(key)
    return result


def loads_strict(text: str) -> Any:
    """`json.loads` that refuses duplicate keys (and raises ValueError for them)."""
    return json.loads(text, object_pairs_hook=unique_object)


def read_json(path: str | Path, missing: str) -> Any:
    """Parse `path`; a missing, unreadable or malformed file (even one nested too deep for
    Python's parser, or one with a duplicate key) is a DataError naming the file, never a traceback."""
    path = Path(path)
    try:
        return loads_strict(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, missing) from None
    except DuplicateKey as exc:
        raise DataError(path, str(exc)) from None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError covers JSON and UTF-8 decoding
        raise DataError(path, f"not a readable JSON file ({exc})") from None
