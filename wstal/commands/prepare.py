"""`wstal prepare`: make the dataset a data variant needs, in the pickle-free wstal format.

Synthetic data is generated from `SynthConfig` + `SCALE_PRESETS[scale]` + the data
variant's knobs (catalog); real datasets (THUMOS'14, ActivityNet 1.2) are loaded from
the given W-TALC files, validated (a missing or corrupt features file fails here, in
one line, not in the middle of training) and saved. The output folder appears only
when complete (written beside it, then renamed), so a killed job leaves no dataset
that a training job could take for finished.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.data.records import DATASET_NAMES
from wstal.errors import ConfigError, DataError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=DATASET_NAMES)
    parser.add_argument("--scale", required=True, choices=("smoke", "default", "paper"))
    parser.add_argument("--data-variant", required=True, help="data variant name in the catalog (e.g. i3d, unt)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (wstal format)")
    parser.add_argument("--features", type=Path, default=None, help="real data: W-TALC features .npy")
    parser.add_argument("--annotations", type=Path, default=None,
                        help="real data: W-TALC annotation folder (or the root holding <Name>-Annotations/)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="load pickles with NumPy's unrestricted loader (runs code in the file!)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic generator seed (default 0)")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: config/catalog.yaml)")


def synthetic_dataset(scale: str, knobs: dict, seed: int, variant: str):
    from wstal.data.synthetic import generate, make_config

    dataset = generate(make_config(scale, knobs, seed=seed))
    dataset.meta["data_variant"] = variant
    return dataset


def real_dataset(name: str, annotations: Path | None, features: Path | None, trust_pickle: bool,
                 knobs: dict, variant: str):
    from wstal.data.io import load_dataset

    if annotations is None or features is None:
        raise ConfigError(f"--dataset {name} needs --annotations and --features (the W-TALC files)")
    if not features.is_file():
        raise DataError(features, "features file not found")
    dataset = load_dataset(annotations, features, trust_pickle=trust_pickle, check_crc=True)
    if not dataset.features_loaded:
        raise DataError(features, "no features were loaded")
    extra = sorted(set(knobs) - {"feature_kind"})
    if extra:
        raise ConfigError(f"data variant {variant!r} sets synthetic knobs ({', '.join(extra)}) that real data "
                          f"({name}) cannot apply")
    wanted = knobs.get("feature_kind", dataset.feature_kind)
    if wanted != dataset.feature_kind:
        raise ConfigError(f"data variant {variant!r} needs {wanted!r} features but {features} holds "
                          f"{dataset.feature_kind!r} features")
    dataset.meta["data_variant"] = variant
    return dataset


def save_atomically(dataset, out: Path) -> None:
    """Write into a sibling temp folder, then rename: `out` is complete or absent (temp folders of
    killed earlier runs are removed; a write error is one line)."""
    from wstal.data.io import save_dataset
    from wstal.utils.atomic import atomic_write_dir

    atomic_write_dir(out, lambda tmp: save_dataset(dataset, tmp, fmt="wstal"))


def run(args: argparse.Namespace) -> int:
    from wstal.catalog import load_catalog

    catalog = load_catalog(args.catalog, check_methods=False)
    variant = catalog.data_variant(args.data_variant)
    knobs = dict(variant.knobs)
    if args.dataset == "synthetic":
        if args.features or args.annotations:
            raise ConfigError("--features/--annotations apply to real datasets, not --dataset synthetic")
        dataset = synthetic_dataset(args.scale, knobs, args.seed, variant.name)
    else:
        dataset = real_dataset(args.dataset, args.annotations, args.features, args.trust_pickle, knobs,
                               variant.name)
    save_atomically(dataset, args.out)
    snippets = sum(v.num_snippets for v in dataset.videos)
    print(f"{args.dataset} ({args.scale}, {variant.name}) -> {args.out}: {len(dataset.videos)} videos, "
          f"{dataset.num_classes} classes, {snippets} snippets x {dataset.feature_dim} features")
    return 0
