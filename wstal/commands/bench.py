"""`wstal bench step [--method cmcs|rskp|all] [--width default|paper|all] [--device cpu|cuda]`.

Times one training step of ours (packed and per-video) against the released code's
per-video loop, interleaved in one run, and prints a Markdown table of medians and
speed-ups (`wstal.bench.step`). `--out` also writes the measurements as JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.errors import ConfigError
from wstal.utils.atomic import atomic_write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["step"], help="what to time (step: one training step)")
    parser.add_argument("--method", default="all", help="cmcs, rskp or all (default)")
    parser.add_argument("--width", default="all", help="default (the CPU scale), paper (2048-d) or all (default)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="timed steps per contender (median reported)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the video lengths and features")
    parser.add_argument("--out", type=Path, default=None, help="also write the measurements to this JSON file")


def run(args: argparse.Namespace) -> int:
    import torch

    from wstal.bench.step import METHODS, WIDTHS, bench_step, format_table

    methods = METHODS if args.method == "all" else (args.method,)
    widths = WIDTHS if args.width == "all" else (args.width,)
    if args.threads < 1:
        raise ConfigError(f"--threads {args.threads}: must be >= 1")
    if args.device not in ("cpu", "cuda") and not args.device.startswith("cuda:"):
        raise ConfigError(f"--device {args.device!r}: use cpu or cuda")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available")
    torch.set_num_threads(args.threads)
    rows = []
    for method in methods:
        for width in widths:
            rows.append(bench_step(method, width, device, args.rounds, args.seed))
            print(format_table(rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(format_table(rows))
    if args.out is not None:
        atomic_write_json(args.out, {"rows": rows})
        print(f"wrote {args.out}")
    return 0
