"""Reading a JSON file a user handed us: one place for the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wstal.errors import DataError


def read_json(path: str | Path, missing: str) -> Any:
    """Parse `path`; a missing, unreadable or malformed file (even one nested too deep for
    Python's parser) is a DataError naming the file, never a traceback."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, missing) from None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError covers JSON and UTF-8 decoding
        raise DataError(path, f"not a readable JSON file ({exc})") from None
