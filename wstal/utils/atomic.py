"""Atomic writes: a result file is either complete or absent, never half written.

Everything the harness takes as a result (checkpoints, metrics, predictions, tables,
datasets) goes through these helpers: write to a temporary file in the same folder,
fsync, then `os.replace`, which is atomic on POSIX. Three promises on top of that:

* a failed write (full disk, read-only folder, permission) is one `DataError`
  `PATH: cannot write (reason)`, and the temp file is removed;
* the final file gets the mode a plain `open()` would give (0666 minus the umask),
  not mkstemp's 0600, so a group on a shared cluster can read datasets and results;
* a temp file is named `.tmp-<name>.<host>.<pid>.<random>`: one left by a process
  that was killed (SIGKILL cannot clean up) is removed by the next write of the same
  file on the same host, once its process is gone. Temp files of live processes and
  of other hosts (shared file systems) are never touched.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Callable

from wstal.errors import DataError

TEMP_PREFIX = ".tmp-"


def write_error(path: str | Path, exc: OSError) -> DataError:
    """`PATH: cannot write (No space left on device)`: one line, whatever raised it."""
    reason = exc.strerror or (errno.errorcode.get(exc.errno, "") if exc.errno else "") or str(exc)
    return DataError(path, f"cannot write ({reason})")


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (no race with threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tag() -> str:
    host = socket.gethostname().replace(".", "_").replace(os.sep, "_") or "host"
    return f"{host}.{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    return True


def stale_temp_paths(folder: Path, name: str) -> list[Path]:
    """Temp files/folders of `name` left in `folder` by dead processes of this host."""
    host = _tag().rsplit(".", 1)[0]
    prefix = f"{TEMP_PREFIX}{name}.{host}."
    stale = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid_text = entry.name[len(prefix):].split(".", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(int(pid_text)):
            stale.append(entry)
    return stale


def remove_stale_temps(folder: Path, name: str) -> None:
    for entry in stale_temp_paths(folder, name):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                pass


def make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DataError(path.parent, "cannot write: exists and is not a folder") from None
    except OSError as exc:
        raise write_error(path.parent, exc) from None
    if not path.parent.is_dir():
        raise DataError(path.parent, "cannot write: exists and is not a folder")


def atomic_write_bytes(path: str | Path, writer: Callable[[io.BufferedWriter], object]) -> Path:
    """Call `writer(file)` on a temp file next to `path`, then rename it into place."""
    path = Path(path)
    if path.is_dir():
        raise DataError(path, "cannot write: a folder is in the way")
    make_parent(path)
    remove_stale_temps(path.parent, path.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.{_tag()}.", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, lambda f: f.write(text.encode("utf-8")))


def atomic_write_json(path: str | Path, data: Any) -> Path:
    text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False, default=_json_default) + "\n"
    return atomic_write_text(path, text)


def atomic_write_dir(out: str | Path, writer: Callable[[Path], object]) -> Path:
    """Fill a sibling temp folder with `writer(folder)`, then rename it to `out`: complete or absent.

    An existing `out` is replaced only after the new one is complete. A failure removes
    the temp folder; one left by a killed process is removed by the next call.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(out, "output path exists and is not a folder")
    make_parent(out)
    remove_stale_temps(out.parent, out.name)
    tmp = out.parent / f"{TEMP_PREFIX}{out.name}.{_tag()}"
    old = out.parent / f"{TEMP_PREFIX}{out.name}.{_tag()}.old"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        try:
            tmp.mkdir()
            writer(tmp)
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
        except OSError as exc:
            raise write_error(out, exc) from None
        except DataError as exc:  # name the final path, not the hidden temp folder
            if exc.path is not None and (exc.path == tmp or tmp in exc.path.parents):
                raise DataError(out / exc.path.relative_to(tmp), exc.problem) from None
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out


def _json_default(obj: Any) -> Any:
    """Serialise NumPy scalars/arrays and paths that end up in results."""
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")
