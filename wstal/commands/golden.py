"""`wstal golden`: compare the smoke run's numbers with tests/golden/smoke.json (or `--update` it).

Exit status 1 when a number moved (with the list of what moved), 0 when all match.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wstal.report.settings import add_setting_arguments, load_settings_catalog, settings_from_args

DEFAULT_GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden" / "smoke.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser)
    parser.set_defaults(scale="smoke")
    parser.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN,
                        help="golden file (default tests/golden/smoke.json)")
    parser.add_argument("--update", action="store_true", help="rewrite the golden file from the current results")


def run(args: argparse.Namespace) -> int:
    from wstal.report.aggregate import read_json
    from wstal.report.build import all_numbers, is_qualitative
    from wstal.report.golden import compare, golden_document, report
    from wstal.utils.atomic import atomic_write_json

    settings = settings_from_args(args)
    catalog = load_settings_catalog(settings)
    layout = settings.layout
    artifacts = [name for name, art in catalog.artifacts.items() if not is_qualitative(art)]
    current = golden_document(all_numbers(catalog, layout, settings.seeds, artifacts), layout.dataset,
                              layout.scale, settings.seeds)
    if args.update:
        atomic_write_json(args.golden, current)
        count = sum(len(cols) for rows in current["numbers"].values() for cols in rows.values())
        print(f"golden: wrote {count} numbers of {len(current['numbers'])} artifacts to {args.golden}")
        return 0
    moved = compare(read_json(args.golden, "golden"), current)
    print(report(moved, args.golden))
    return 1 if moved else 0
