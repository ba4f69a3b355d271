"""`wstal convert SRC DST`: move a dataset between the reduced (pickled) and the pickle-free format.

Typical use: convert downloaded W-TALC features once (`--trust-pickle` only if the
restricted unpickler refuses them and you trust the source), then point every run at
the pickle-free copy, which loads without unpickling anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.data.io import FORMATS, load_dataset, save_dataset_atomically


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", type=Path, help="dataset folder: wstal format, W-TALC annotation folder or root")
    parser.add_argument("dst", type=Path, help="output folder")
    parser.add_argument("--features", type=Path, default=None,
                        help="features .npy of a reduced-format SRC (default: features.npy in SRC if present, "
                             "else annotation-only)")
    parser.add_argument("--to", choices=FORMATS, default="wstal", help="output format (default: wstal)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="load pickles with NumPy's unrestricted loader (runs code in the file!)")


def run(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.src, args.features, trust_pickle=args.trust_pickle, check_crc=True)
    save_dataset_atomically(dataset, args.dst, fmt=args.to)
    snippets = sum(v.num_snippets for v in dataset.videos)
    what = f"{snippets} snippets x {dataset.feature_dim} features" if dataset.features_loaded else "annotations only"
    print(f"{args.src} -> {args.dst} ({args.to}): {len(dataset.videos)} videos, "
          f"{dataset.num_classes} classes, {what}")
    return 0
