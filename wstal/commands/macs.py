"""`wstal macs [--out results/macs.json]`: MACs of W-TALC, CO2-Net, RSKP branches and CMCS (table7).

Counted with FlopCounterMode on the real modules for a 100-snippet video (I3D excluded);
the JSON also carries the note on the paper's +inter 0.90 G (see `wstal.macs`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.errors import ConfigError
from wstal.utils.atomic import atomic_write_json


MAX_SNIPPETS = 100_000  # 18 h of video at 16/25 s per snippet; the count is linear in T beyond that


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("results/macs.json"), help="output JSON")
    parser.add_argument("--snippets", type=int, default=100, help="video length T in snippets (paper: 100)")


def run(args: argparse.Namespace) -> int:
    import torch

    from wstal.macs import macs_report

    if not 1 <= args.snippets <= MAX_SNIPPETS:
        raise ConfigError(f"--snippets {args.snippets}: must be from 1 to {MAX_SNIPPETS} (a video of T snippets; "
                          f"the paper counts T = 100)")
    torch.set_num_threads(1)
    report = macs_report(args.snippets)
    atomic_write_json(args.out, report)
    for name, entry in report["models"].items():
        paper = f" (paper {entry['paper_gmacs']:.2f} G)" if "paper_gmacs" in entry else ""
        print(f"{name:12s} {entry['macs']:>14,d} MACs = {entry['gmacs']:.3f} G{paper}")
    print(report["rskp_inter_note"]["text"])
    print(f"wrote {args.out}")
    return 0
