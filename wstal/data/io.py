"""One entry point for datasets on disk, whatever their format.

`load_dataset(path)` recognises the format from the folder contents, so commands and
configs take a path, not a format flag:

* `wstal`: a folder with `annotations.json` (+ `features.npz`), see `wstal.data.native`;
* `reduced`: a W-TALC annotation folder (`classlist.npy`, ...). Features come from
  `features=`; if not given, `features.npy` inside the folder is used when present
  (that is where `save_dataset(..., fmt="reduced")` puts them), else the dataset is
  annotation-only;
* `reduced` dataset root as the other codebases lay it out: a folder with exactly one
  `<Name>-Annotations/` sub-folder, features `<Name>-I3D-JOINTFeatures.npy` beside it;
* `cmcs`: a folder written by `wstal.data.cmcs_layout.prepare_cmcs_source` (`features.json`
  indexing CMCS's own per-video ten-crop files, + `annotations.json`); features load on demand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from wstal.data.cmcs_layout.prepare import INDEX_FILE as CMCS_INDEX
from wstal.data.native import ANNOTATIONS_FILE, read_native, write_native
from wstal.data.records import Dataset
from wstal.data.reduced import read_reduced, write_reduced
from wstal.errors import DataError
from wstal.registry import Registry

REDUCED_FEATURES = "features.npy"  # inside the annotation folder, when we write the reduced format
FORMATS = ("wstal", "reduced")

SAVERS: Registry[Callable[[Dataset, Path], object]] = Registry("dataset format")


@SAVERS.register("wstal")
def _save_wstal(dataset: Dataset, path: Path) -> None:
    write_native(dataset, path)


@SAVERS.register("reduced")
def _save_reduced(dataset: Dataset, path: Path) -> None:
    write_reduced(dataset, path, path / REDUCED_FEATURES if dataset.features_loaded else None)


def detect_format(path: str | Path) -> str:
    """`wstal`, `reduced` or `reduced-root`; a clear error when the folder is none of them."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "dataset path not found")
    if not path.is_dir():
        raise DataError(path, "expected a dataset folder (wstal format or a W-TALC annotation folder), got a file")
    if (path / CMCS_INDEX).is_file():  # before `wstal`: the folder also holds an annotations.json
        return "cmcs"
    if (path / ANNOTATIONS_FILE).is_file():
        return "wstal"
    if (path / "classlist.npy").is_file():
        return "reduced"
    if len(_annotation_subfolders(path)) == 1:
        return "reduced-root"
    raise DataError(path, f"unknown dataset format: no {ANNOTATIONS_FILE} (wstal format), no classlist.npy "
                          "(W-TALC annotation folder) and not one <Name>-Annotations/ sub-folder")


def load_dataset(path: str | Path, features: str | Path | None = None, *, trust_pickle: bool = False,
                 check_crc: bool = False) -> Dataset:
    """Read a dataset in any supported format (auto-detected) and validate it.

    `check_crc=True` verifies the zip CRCs of a wstal-format `features.npz` (bit rot in
    float data is otherwise a valid number): `convert` and `prepare` turn it on, training
    jobs reading a prepared copy do not pay for it.
    """
    path = Path(path)
    kind = detect_format(path)
    if kind == "cmcs":
        if features is not None:
            raise DataError(features, f"--features does not apply: {path} indexes CMCS-layout features")
        from wstal.data.cmcs_layout import read_prepared

        return read_prepared(path)
    if kind == "wstal":
        if features is not None:
            raise DataError(features, "--features applies to the reduced format only; "
                                      f"{path} is a wstal-format folder with its own features")
        return read_native(path, check_crc=check_crc)
    if kind == "reduced-root":
        annotations = _annotation_subfolders(path)[0]
        default = path / (annotations.name.removesuffix("-Annotations") + "-I3D-JOINTFeatures.npy")
    else:
        annotations = path
        default = path / REDUCED_FEATURES
    if features is None and default.is_file():
        features = default
    return read_reduced(annotations, features, trust_pickle=trust_pickle)


def save_dataset(dataset: Dataset, path: str | Path, fmt: str = "wstal") -> Path:
    """Write `dataset` to the folder `path` as `wstal` (default) or `reduced` (+ `features.npy`)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(path, "output path exists and is not a folder")
    if any(v.crops is not None for v in dataset.videos):  # the features stay in the CMCS layout, never copied
        raise DataError(path, f"dataset {dataset.name!r} indexes CMCS-layout features on disk; it cannot be saved "
                              "as another format (use the prepared folder itself)")
    SAVERS.get(fmt)(dataset, path)
    return path


def save_dataset_atomically(dataset: Dataset, path: str | Path, fmt: str = "wstal") -> Path:
    """`save_dataset`, but the folder appears only when complete (nothing partial on a full disk).

    A new, empty or dataset folder is written beside and renamed into place; into any
    other existing folder (the user's own files) the files are written one by one, each
    atomically, and nothing else in it is touched.
    """
    from wstal.utils.atomic import atomic_write_dir

    path = Path(path)
    if path.is_dir() and any(path.iterdir()) and not _is_dataset_folder(path):
        return save_dataset(dataset, path, fmt)
    return atomic_write_dir(path, lambda tmp: save_dataset(dataset, tmp, fmt))


def _is_dataset_folder(path: Path) -> bool:
    return (path / ANNOTATIONS_FILE).is_file() or (path / "classlist.npy").is_file()


def _annotation_subfolders(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*-Annotations") if (p / "classlist.npy").is_file())
