"""The restricted unpickler: plain data loads (incl. Python 2 pickles), code never runs."""

from __future__ import annotations

import fractions
import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

from wstal.data.safe_pickle import UnsafePickleError, load_npy, safe_unpickle
from wstal.errors import DataError


def _save(path: Path, array: np.ndarray) -> Path:
    np.save(path, array, allow_pickle=True)
    return path


def _objects(*items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


class _SystemCall:
    """Pickles to `os.system(command)`: what a booby-trapped feature file does."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _EvalCall:
    def __init__(self, source: str):
        self.source = source

    def __reduce__(self):
        return (eval, (self.source,))


class _Py2Pickler(pickle._Pickler):
    """Writes `str`/`bytes` as Python 2 byte strings (SHORT_BINSTRING/BINSTRING), as Python 2 did."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_string(self, obj):
        raw = obj.encode("ascii") if isinstance(obj, str) else bytes(obj)
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_string
    dispatch[str] = _save_py2_string


def _save_py2(path: Path, array: np.ndarray) -> Path:
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False, "shape": array.shape})
    _Py2Pickler(buffer, protocol=2).dump(array)
    path.write_bytes(buffer.getvalue())
    return path


def test_plain_object_array_round_trips(tmp_path):
    original = _objects([[1.5, 2.0], [3.0, 4.25]], ["Billiards", "Diving"], b"raw", (1, 2), {"k": [1]},
                        np.float64(0.5), np.int64(7), np.arange(6, dtype=np.float32).reshape(2, 3), {1, 2})
    loaded = load_npy(_save(tmp_path / "plain.npy", original))
    assert loaded.shape == original.shape and loaded.dtype == object
    assert loaded[0] == [[1.5, 2.0], [3.0, 4.25]] and loaded[1] == ["Billiards", "Diving"] and loaded[2] == b"raw"
    assert loaded[3] == (1, 2) and loaded[4] == {"k": [1]} and loaded[8] == {1, 2}
    assert loaded[5] == 0.5 and type(loaded[5]) is np.float64 and loaded[6] == 7
    np.testing.assert_array_equal(loaded[7], original[7])
    assert loaded[7].dtype == np.float32


def test_plain_numeric_and_string_arrays_do_not_unpickle(tmp_path):
    for array in (np.arange(12.0).reshape(3, 4), np.array([b"validation", b"test"]), np.array(["a", "bc"]),
                  np.asfortranarray(np.arange(6).reshape(2, 3)), np.zeros((0, 2))):
        np.save(tmp_path / "a.npy", array)
        loaded = load_npy(tmp_path / "a.npy")
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == array.dtype and loaded.flags.writeable


def test_system_call_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = _save(tmp_path / "evil.npy", _objects(np.zeros(3), _SystemCall(f"touch {marker}")))
    with pytest.raises(UnsafePickleError) as info:
        load_npy(path)
    message = str(info.value)
    assert not marker.exists()
    assert "\n" not in message and str(path) in message
    assert f"{os.system.__module__}.system" in message
    assert "--trust-pickle" in message and "trust_pickle: true" in message


@pytest.mark.parametrize("payload", [
    _EvalCall("__import__('os').getpid()"),
    fractions.Fraction(1, 3),  # harmless but not plain data: refused all the same
])
def test_other_globals_are_refused(tmp_path, payload):
    with pytest.raises(UnsafePickleError, match="refused to unpickle global"):
        load_npy(_save(tmp_path / "x.npy", _objects(payload)))


def test_trust_pickle_loads_exotic_but_benign_files(tmp_path):
    path = _save(tmp_path / "fraction.npy", _objects(fractions.Fraction(1, 3)))
    assert load_npy(path, trust_pickle=True)[0] == fractions.Fraction(1, 3)


class _ArraySubclass(np.ndarray):
    pass


def test_ndarray_subclasses_are_refused(tmp_path):
    with pytest.raises(UnsafePickleError, match="_ArraySubclass"):
        load_npy(_save(tmp_path / "sub.npy", _objects(np.zeros(2).view(_ArraySubclass))))
    # _reconstruct itself only builds plain ndarrays, whatever type the pickle passes
    crafted = b"\x80\x03cnumpy.core.multiarray\n_reconstruct\ncnumpy\ndtype\nK\x00\x85C\x01b\x87R."
    with pytest.raises(DataError, match="not numpy.ndarray"):
        safe_unpickle(crafted, source="mem")


def test_codecs_encode_only_rebuilds_latin1_bytes():
    protocol2_bytes = pickle.dumps([b"\xff\x00abc"], protocol=2)  # uses _codecs.encode(..., 'latin1')
    assert b"_codecs" in protocol2_bytes
    assert safe_unpickle(protocol2_bytes, source="mem") == [b"\xff\x00abc"]
    rot13 = b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R."
    with pytest.raises(DataError, match="corrupt pickle"):
        safe_unpickle(rot13, source="mem")


def test_python2_pickles_load_as_numpy_does(tmp_path):
    features = _objects(np.arange(8, dtype=np.float32).reshape(4, 2) / 3, np.full((2, 2), -1.5, np.float64))
    path = _save_py2(tmp_path / "py2_features.npy", features)
    assert b"\x55" in path.read_bytes()  # SHORT_BINSTRING opcodes: Python 2 strings
    loaded = load_npy(path, encoding="latin1")
    reference = np.load(path, allow_pickle=True, encoding="latin1")
    for got, ref, want in zip(loaded, reference, features):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, ref)
        assert got.dtype == want.dtype
    # ASCII (numpy's default) cannot decode raw float buffers: a DataError, as np.load raises UnicodeError
    with pytest.raises(DataError, match="corrupt pickle"):
        load_npy(path, encoding="ASCII")
    labels = _save_py2(tmp_path / "py2_labels.npy", _objects(["Billiards"], ["CliffDiving", "Diving"]))
    assert list(load_npy(labels)) == [["Billiards"], ["CliffDiving", "Diving"]]
    assert list(load_npy(labels, encoding="bytes")) == [[b"Billiards"], [b"CliffDiving", b"Diving"]]


def test_real_annotation_files_load_without_flag(shared_data):
    paths = sorted(shared_data.glob("*/*-Annotations/*.npy"))
    assert len(paths) >= 20
    for path in paths:
        ours = load_npy(path)
        theirs = np.load(path, allow_pickle=True)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, path
        assert ours.tolist() == theirs.tolist(), path


@pytest.mark.parametrize("data,problem", [
    (b"", "corrupt pickle"),
    (pickle.dumps([1, 2, 3])[:-3], "corrupt pickle"),
    (b"\x80\x02cposix\nsystem\nq\x00.", "refused to unpickle global 'posix.system'"),
])
def test_bad_pickles_are_one_line_errors(data, problem):
    with pytest.raises(DataError, match=problem) as info:
        safe_unpickle(data, source="feature.npy")
    assert "\n" not in str(info.value) and str(info.value).startswith("feature.npy: ")


def test_object_npy_holding_a_non_array(tmp_path):
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    pickle.dump({"not": "an array"}, buffer, protocol=3)
    (tmp_path / "dict.npy").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match="not a NumPy array"):
        load_npy(tmp_path / "dict.npy")


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_npy(tmp_path / "absent.npy")
    np.save(tmp_path / "a.npy", np.zeros(2))
    with pytest.raises(DataError, match="encoding"):
        load_npy(tmp_path / "a.npy", encoding="utf-8")
