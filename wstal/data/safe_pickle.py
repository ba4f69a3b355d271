"""Read `.npy` files without ever running code from them.

The W-TALC reduced format stores annotations and features as pickled NumPy object
arrays, and `np.load(..., allow_pickle=True)` executes whatever a pickle asks for
(`os.system`, `eval`, ...). Feature files come from cloud drives linked in paper
READMEs, so this module parses the `.npy` header itself and unpickles object arrays
with a `pickle.Unpickler` whose `find_class` admits only plain data: containers and
numbers are pickle opcodes anyway; the only globals allowed are NumPy's array/dtype/
scalar reconstructors, a latin-1-only `_codecs.encode` (how Python 3 pickles `bytes`
under protocol 2) and `set`/`frozenset`/`complex`/`OrderedDict`. Anything else is
refused with a one-line `UnsafePickleError` naming the file and the global.

`trust_pickle=True` (CLI `--trust-pickle`, config `trust_pickle: true`) falls back to
NumPy's unrestricted loader for exotic files the user vouches for.

Python 2 pickles (all the published annotation files) hold `str` as byte strings;
`encoding` decides how they come back, exactly as in `np.load`: "ASCII" (numpy's
default; names come out as `str`), "latin1" (needed for Python 2 pickles of numeric
arrays, whose raw buffers are byte strings) or "bytes".
"""

from __future__ import annotations

import ast
import collections
import io
import os
import pickle
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from wstal.errors import DataError

TRUST_HINT = "pass --trust-pickle (config trust_pickle: true) only if you trust this file"
ENCODINGS = ("ASCII", "latin1", "bytes")
_MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 10_000  # NumPy's own default cap (`max_header_size`): literal_eval of more is a DoS


class UnsafePickleError(DataError):
    """A pickle asked for a global outside the plain-data whitelist."""

    def __init__(self, path: str | Path | None, global_name: str):
        self.global_name = global_name
        super().__init__(
            path,
            f"refused to unpickle global {global_name!r} (only plain data is loaded without trust); {TRUST_HINT}",
        )


def _numpy_core(submodule: str) -> Any:
    """`numpy._core.<sub>` (NumPy 2) or `numpy.core.<sub>` (NumPy 1), without deprecation warnings."""
    import importlib

    for prefix in ("numpy._core", "numpy.core"):
        try:
            return importlib.import_module(f"{prefix}.{submodule}")
        except ImportError:
            continue
    raise ImportError(f"cannot import NumPy core module {submodule!r}")  # pragma: no cover


def _latin1_encode(text: Any, encoding: str = "latin1", errors: str = "strict") -> bytes:
    """`_codecs.encode` limited to what pickle uses it for: rebuilding `bytes` from latin-1 text."""
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1", "iso-8859-1"):
        raise pickle.UnpicklingError(f"_codecs.encode called with {type(text).__name__} and {encoding!r}")
    return text.encode("latin-1", errors="strict")


def _reconstruct_ndarray(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """NumPy's `_reconstruct`, restricted to plain `ndarray` (no user subclasses)."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subtype {subtype!r} is not numpy.ndarray")
    return _numpy_core("multiarray")._reconstruct(subtype, shape, dtype)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    multiarray = _numpy_core("multiarray")
    numeric = _numpy_core("numeric")
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
        ("collections", "OrderedDict"): collections.OrderedDict,
    }
    for prefix in ("numpy.core", "numpy._core"):
        allowed[(f"{prefix}.multiarray", "_reconstruct")] = _reconstruct_ndarray
        allowed[(f"{prefix}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{prefix}.numeric", "_frombuffer")] = numeric._frombuffer
    for builtins_name in ("builtins", "__builtin__"):  # Python 3 and Python 2 spellings
        for name, obj in (("set", set), ("frozenset", frozenset), ("complex", complex)):
            allowed[(builtins_name, name)] = obj
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only whitelisted globals; everything else is refused."""

    def __init__(self, file: BinaryIO, *, source: str | Path | None, encoding: str = "ASCII"):
        super().__init__(file, encoding=encoding, fix_imports=True)
        self._source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(self._source, f"{module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(self._source, f"persistent id {str(pid)[:40]!r}")


# Every exception a malformed pickle or array state can raise inside pickle/NumPy.
_DECODE_ERRORS = (
    pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
    UnicodeError, MemoryError, OverflowError, RecursionError, struct.error, ImportError, SystemError,
)


def safe_unpickle(data: bytes | BinaryIO, *, source: str | Path | None, encoding: str = "ASCII") -> Any:
    """Unpickle plain data from bytes or a binary file; any failure is a one-line DataError."""
    _check_encoding(encoding, source)
    handle = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        return RestrictedUnpickler(handle, source=source, encoding=encoding).load()
    except DataError:
        raise
    except _DECODE_ERRORS as exc:
        raise DataError(source, f"corrupt pickle data ({_one_line(exc)})") from None


def read_npy_header(handle: BinaryIO, source: str | Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Parse the `.npy` magic and header dict without NumPy's loader: (shape, fortran_order, dtype)."""
    magic = handle.read(8)
    if len(magic) < 8 or magic[:6] != _MAGIC:
        raise DataError(source, "not a .npy file (bad magic bytes)")
    major = magic[6]
    if major == 1:
        size_bytes, size_format = 2, "<H"
    elif major in (2, 3):
        size_bytes, size_format = 4, "<I"
    else:
        raise DataError(source, f"unsupported .npy format version {major}.{magic[7]}")
    raw_size = handle.read(size_bytes)
    if len(raw_size) < size_bytes:
        raise DataError(source, "truncated .npy header")
    (header_len,) = struct.unpack(size_format, raw_size)
    if header_len > MAX_HEADER_BYTES:
        raise DataError(source, f"malformed .npy header: {header_len} bytes long, NumPy's reader refuses more "
                                f"than {MAX_HEADER_BYTES}")
    raw_header = handle.read(header_len)
    if len(raw_header) < header_len:
        raise DataError(source, "truncated .npy header")
    try:
        header = ast.literal_eval(raw_header.decode("utf-8" if major == 3 else "latin1"))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as exc:
        raise DataError(source, f"unreadable .npy header ({_one_line(exc)})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise DataError(source, "malformed .npy header (expected keys descr, fortran_order, shape)")
    shape, fortran = header["shape"], header["fortran_order"]
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise DataError(source, f"malformed .npy header: bad shape {shape!r}")
    if not isinstance(fortran, bool):
        raise DataError(source, f"malformed .npy header: bad fortran_order {fortran!r}")
    try:
        dtype = npy_format.descr_to_dtype(header["descr"])
    except (TypeError, ValueError, KeyError, SyntaxError) as exc:
        raise DataError(source, f"malformed .npy header: bad dtype {header['descr']!r} ({_one_line(exc)})") from None
    return shape, fortran, dtype


def load_npy(path: str | Path, *, trust_pickle: bool = False, encoding: str = "ASCII") -> np.ndarray:
    """Load one `.npy` file; object arrays go through the restricted unpickler unless trusted."""
    path = Path(path)
    _check_encoding(encoding, path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except OSError as exc:
        raise DataError(path, f"cannot open ({exc.strerror or exc})") from None
    with handle:
        shape, fortran, dtype = read_npy_header(handle, path)
        if dtype.hasobject:
            array = _load_object_array(handle, path, trust_pickle, encoding)
        else:
            array = _load_plain_array(handle, path, shape, fortran, dtype)
    if array.shape != shape:
        raise DataError(path, f"array shape {array.shape} does not match the header's {shape}")
    return array


def _load_object_array(handle: BinaryIO, path: Path, trust_pickle: bool, encoding: str) -> np.ndarray:
    if trust_pickle:
        handle.seek(0)
        try:
            array = np.load(handle, allow_pickle=True, encoding=encoding)
        except _DECODE_ERRORS as exc:
            raise DataError(path, f"corrupt pickled array ({_one_line(exc)})") from None
    else:
        array = safe_unpickle(handle, source=path, encoding=encoding)
    if not isinstance(array, np.ndarray):
        raise DataError(path, f"pickle holds a {type(array).__name__}, not a NumPy array")
    return array


def _load_plain_array(
    handle: BinaryIO, path: Path, shape: tuple[int, ...], fortran: bool, dtype: np.dtype
) -> np.ndarray:
    count = 1
    for n in shape:
        count *= n
    nbytes = count * dtype.itemsize
    try:  # the header's claim against the bytes on disk, before allocating anything
        available = os.fstat(handle.fileno()).st_size - handle.tell()
    except (OSError, AttributeError, io.UnsupportedOperation):
        available = None
    if available is not None and nbytes > available:
        raise DataError(path, f"truncated .npy data: the header claims shape {shape} ({nbytes} bytes) but the "
                              f"file has {max(available, 0)} bytes of data")
    buffer = bytearray(nbytes)  # read straight into a writable buffer: no second copy
    got = handle.readinto(buffer) if nbytes else 0
    if got < nbytes:
        raise DataError(path, f"truncated .npy data ({got} of {nbytes} bytes)")
    flat = np.frombuffer(buffer, dtype=dtype, count=count) if count else np.zeros(0, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C")


def _check_encoding(encoding: str, source: str | Path | None) -> None:
    if encoding not in ENCODINGS:
        raise DataError(source, f"pickle encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
