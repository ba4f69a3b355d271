"""`wstal prepare`: make the dataset a training reads, in the pickle-free wstal format.

Synthetic data is generated per data variant from `SynthConfig` + `SCALE_PRESETS[scale]` +
the variant's knobs (catalog). A real dataset (THUMOS'14, ActivityNet 1.2) is prepared per
feature source (`wstal.data.sources`), once, whatever the data variants that use it:

* `wtalc-i3d`: the W-TALC reduced-format features `.npy` + annotation folder, validated (a
  missing or corrupt file fails here, in one line, not in the middle of training) and
  rewritten as one memory-mappable array, one video at a time (peak memory about the
  features once, not twice);
* `cmcs-unt`, `cmcs-i3d`: the CMCS authors' layout (`wstal.data.cmcs_layout`): an annotation
  file and an index of the per-video feature files, which are read in place, not copied.

The output folder appears only when complete (written beside it, then renamed), so a killed
job leaves no dataset that a training job could take for finished.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from wstal.data.records import DATASET_NAMES
from wstal.data.sources import SOURCES, FeatureSource
from wstal.errors import ConfigError, DataError
from wstal.registry import Registry

DATASETS = DATASET_NAMES
# the subset a real dataset trains on: a W-TALC folder of another dataset is refused by it
TRAIN_SUBSETS = {"thumos14": "validation", "activitynet12": "training"}
# scale=smoke checks the plumbing in minutes: on real data it keeps as many videos per subset as the
# synthetic smoke preset has, which the methods' smoke configs are sized for (RSKP's memory-bank
# warm-up counts epochs: with 200 training videos it would start after the last smoke step)
SMOKE_VIDEOS_PER_SUBSET = 40


def videos_per_subset(args: argparse.Namespace) -> int | None:
    if args.videos_per_subset is not None:
        if args.videos_per_subset < 1:
            raise ConfigError(f"--videos-per-subset must be at least 1, got {args.videos_per_subset}")
        return args.videos_per_subset
    return SMOKE_VIDEOS_PER_SUBSET if args.scale == "smoke" else None


def first_videos(dataset, count: int | None):
    """Keep the first `count` videos of each subset, in file order (None: all)."""
    if count is None:
        return dataset
    kept, seen = [], {}
    for video in dataset.videos:
        seen[video.subset] = seen.get(video.subset, 0) + 1
        if seen[video.subset] <= count:
            kept.append(video)
    dataset.videos = kept
    dataset.meta["videos_per_subset"] = count
    return dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--scale", default=None, choices=("smoke", "default", "paper"),
                        help="synthetic: the generator preset (required); real data: smoke keeps "
                             f"{SMOKE_VIDEOS_PER_SUBSET} videos per subset, otherwise all")
    parser.add_argument("--data-variant", default=None,
                        help="synthetic data: data variant name in the catalog (e.g. i3d, unt); on real data it "
                             "stands for its real_source")
    parser.add_argument("--source", default=None, choices=tuple(SOURCES),
                        help="real data: the feature source to prepare (wtalc-i3d: W-TALC .npy + annotation "
                             "folder; cmcs-unt / cmcs-i3d: the CMCS feature folder + official annotations + meta)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (wstal format)")
    parser.add_argument("--features", type=Path, default=None,
                        help="real data: W-TALC features .npy (wtalc-i3d) or the CMCS feature folder (cmcs-*)")
    parser.add_argument("--annotations", type=Path, default=None,
                        help="real data: W-TALC annotation folder (or the root holding <Name>-Annotations/); "
                             "cmcs-*: the folder of the official per-class annotation txt files")
    parser.add_argument("--meta", type=Path, default=None,
                        help="cmcs-*: the folder holding thumos14-{val,test}-meta.mat")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="load pickles with NumPy's unrestricted loader (runs code in the file!)")
    parser.add_argument("--videos-per-subset", type=int, default=None,
                        help="real data: keep the first N videos of each subset (default: all; at --scale smoke "
                             f"{SMOKE_VIDEOS_PER_SUBSET}, the synthetic smoke size)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic generator seed (default 0)")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: config/catalog.yaml)")


# ------------------------------------------------------------------ synthetic


def synthetic_dataset(scale: str, knobs: dict, seed: int, variant: str):
    from wstal.data.synthetic import generate, make_config

    dataset = generate(make_config(scale, knobs, seed=seed))
    dataset.meta["data_variant"] = variant
    return dataset


def save_atomically(dataset, out: Path) -> None:
    """Write the dataset in the wstal format; `out` is complete or absent."""
    from wstal.data.io import save_dataset

    write_atomically(out, lambda tmp: save_dataset(dataset, tmp, fmt="wstal"))


def write_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` into a sibling temp folder, then rename it to `out` (temp folders of killed earlier runs
    are removed; a write error is one line)."""
    from wstal.utils.atomic import atomic_write_dir

    atomic_write_dir(out, write)


# ------------------------------------------------------------------ real feature sources

# layout name -> preparer(args, source, tmp_out) -> one-line description of what was written
PREPARERS: Registry[Callable[[argparse.Namespace, FeatureSource, Path], str]] = Registry("feature layout")


@PREPARERS.register("wtalc")
def prepare_wtalc(args: argparse.Namespace, source: FeatureSource, out: Path) -> str:
    from wstal.data.io import load_dataset, save_dataset

    if args.meta is not None:
        raise ConfigError(f"--meta applies to the CMCS layout (cmcs-unt, cmcs-i3d), not --source {source.name}")
    features = args.features
    if not features.is_file():
        raise DataError(features, "features file not found")
    dataset = load_dataset(args.annotations, features, trust_pickle=args.trust_pickle, check_crc=True)
    if not dataset.features_loaded:
        raise DataError(features, "no features were loaded")
    if dataset.train_subset != TRAIN_SUBSETS[args.dataset]:
        raise DataError(args.annotations, f"trains on subset {dataset.train_subset!r}, but {args.dataset} trains on "
                                          f"{TRAIN_SUBSETS[args.dataset]!r} (annotations of another dataset?)")
    if dataset.feature_kind != source.feature_kind:
        raise DataError(features, f"holds {dataset.feature_kind!r} features, source {source.name} is "
                                  f"{source.feature_kind!r}")
    dataset.meta["source"] = source.name
    dataset = first_videos(dataset, videos_per_subset(args))
    save_dataset(dataset, out, fmt="wstal")
    snippets = sum(v.num_snippets for v in dataset.videos)
    return (f"{len(dataset.videos)} videos, {dataset.num_classes} classes, {snippets} snippets x "
            f"{dataset.feature_dim} features")


@PREPARERS.register("cmcs")
def prepare_cmcs(args: argparse.Namespace, source: FeatureSource, out: Path) -> str:
    try:
        from wstal.data.cmcs_layout import prepare_cmcs_source
    except ImportError:
        raise ConfigError(f"--source {source.name}: this wstal has no reader for the CMCS layout "
                          f"(wstal.data.cmcs_layout)") from None
    if args.meta is None:
        raise ConfigError(f"--source {source.name} needs --meta (the folder of thumos14-{{val,test}}-meta.mat)")
    if args.trust_pickle:
        raise ConfigError("--trust-pickle applies to the W-TALC file (wtalc-i3d); the CMCS layout has no pickles")
    for option, path in (("--features", args.features), ("--annotations", args.annotations), ("--meta", args.meta)):
        if not path.is_dir():
            raise DataError(path, f"{option}: folder not found")
    result = prepare_cmcs_source(source.feature_kind, args.features, args.annotations, args.meta, out)
    count = videos_per_subset(args)
    if count is not None:
        keep_first_indexed(out, count)
    return (f"{result['videos']} videos indexed ({result['snippets']} snippets x {result['crops']} crops, "
            f"{result['feature_bytes'] / 1e9:.2f} GB of features read in place, not copied)"
            + (f"; kept the first {count} per subset" if count is not None else ""))


def keep_first_indexed(folder: Path, count: int) -> None:
    """`first_videos` for a prepared CMCS folder: its annotations.json and its features.json index."""
    import json

    from wstal.data.cmcs_layout import INDEX_FILE
    from wstal.data.native import read_native, write_native
    from wstal.utils.atomic import atomic_write_json

    annotations = first_videos(read_native(folder), count)
    write_native(annotations, folder)
    index = json.loads((folder / INDEX_FILE).read_text(encoding="utf-8"))
    kept = {v.name for v in annotations.videos}
    index["videos"] = [entry for entry in index["videos"] if entry["name"] in kept]
    atomic_write_json(folder / INDEX_FILE, index)


def real_source(args: argparse.Namespace, catalog) -> FeatureSource:
    """The source to prepare: `--source`, or the real_source of `--data-variant`."""
    name = args.source
    if args.data_variant is not None:
        variant = catalog.data_variant(args.data_variant)
        if variant.real_source is None:
            raise ConfigError(f"data variant {variant.name!r} is synthetic-only (no real_source in {catalog.path}); "
                              f"on {args.dataset} prepare a --source ({', '.join(SOURCES)})")
        if name is not None and name != variant.real_source:
            raise ConfigError(f"--data-variant {variant.name} stands for source {variant.real_source} on real data, "
                              f"not --source {name}")
        name = variant.real_source
    if name is None:
        raise ConfigError(f"--dataset {args.dataset} needs --source ({', '.join(SOURCES)})")
    source = SOURCES.get(name)
    if args.dataset not in source.datasets:
        raise ConfigError(f"--source {name} exists for {', '.join(source.datasets)} only, not {args.dataset}")
    if args.features is None or args.annotations is None:
        raise ConfigError(f"--source {name} needs --features and --annotations ({source.description})")
    return source


def run(args: argparse.Namespace) -> int:
    from wstal.catalog import load_catalog

    catalog = load_catalog(args.catalog, check_methods=False)
    if args.dataset == "synthetic":
        if args.source or args.features or args.annotations or args.meta:
            raise ConfigError("--source/--features/--annotations/--meta apply to real datasets, "
                              "not --dataset synthetic")
        if args.data_variant is None or args.scale is None:
            raise ConfigError("--dataset synthetic needs --scale and --data-variant (a data variant of the catalog)")
        variant = catalog.data_variant(args.data_variant)
        dataset = synthetic_dataset(args.scale, dict(variant.knobs), args.seed, variant.name)
        save_atomically(dataset, args.out)
        snippets = sum(v.num_snippets for v in dataset.videos)
        print(f"{args.dataset} ({args.scale}, {variant.name}) -> {args.out}: {len(dataset.videos)} videos, "
              f"{dataset.num_classes} classes, {snippets} snippets x {dataset.feature_dim} features")
        return 0
    source = real_source(args, catalog)
    preparer = PREPARERS.get(source.layout)
    summary: list[str] = []
    write_atomically(args.out, lambda tmp: summary.append(preparer(args, source, tmp)))
    print(f"{args.dataset} ({source.name}) -> {args.out}: {summary[0]}")
    return 0
