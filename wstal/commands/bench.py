"""`wstal bench step [--method cmcs|rskp|all] [--width default|paper|all] [--device cpu|cuda]`, `wstal bench jobs`.

`step` times one training step of ours (packed and per-video) against the released code's
per-video loop, interleaved in one run, and prints a Markdown table of medians and
speed-ups (`wstal.bench.step`). `--out` also writes the measurements as JSON.
`jobs` sums the CPU time of a finished workflow's training and evaluation jobs per family
and method, from the run records (`wstal.bench.jobs`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.errors import ConfigError
from wstal.utils.atomic import atomic_write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=sorted(BENCHES),
                        help="step: time one training step; jobs: CPU per job family of a finished workflow")
    parser.add_argument("--method", default="all", help="cmcs, rskp or all (default)")
    parser.add_argument("--width", default="all", help="default (the CPU scale), paper (2048-d) or all (default)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="timed steps per contender (median reported)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the video lengths and features")
    parser.add_argument("--out", type=Path, default=None, help="also write the measurements to this JSON file")
    parser.add_argument("--results", type=Path, default=Path("results"), help="jobs: results root (default results)")
    parser.add_argument("--dataset", default="synthetic", help="jobs: dataset of the runs (default synthetic)")
    parser.add_argument("--scale", default="default", help="jobs: scale of the runs (default default)")


def run(args: argparse.Namespace) -> int:
    return BENCHES[args.what](args)


def run_jobs(args: argparse.Namespace) -> int:
    from wstal.bench.jobs import format_costs, job_costs

    costs = job_costs(args.results / args.dataset / args.scale)
    if not costs:
        raise ConfigError(f"{args.results / args.dataset / args.scale}: no finished run records a CPU time")
    print(format_costs(costs))
    if args.out is not None:
        atomic_write_json(args.out, {"rows": [vars(c) for c in costs]})
    return 0


def run_step(args: argparse.Namespace) -> int:
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


BENCHES = {"step": run_step, "jobs": run_jobs}
