"""The `wstal` command.

Each subcommand lives in `wstal/commands/<name>.py` with two functions:
`add_arguments(parser)` and `run(args) -> int`. Modules are imported only when their
command runs, so `wstal --help` is fast and one command's imports never slow another.
A `WstalError` is printed as one line (`wstal: error: ...`, exit 2): errors go in front
of the user, not into a log.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from wstal import __version__
from wstal.errors import WstalError

# name -> one-line help; implementation in wstal/commands/<name>.py
COMMANDS: dict[str, str] = {
    "synth": "generate the synthetic THUMOS-shaped benchmark (or --describe it)",
    "convert": "convert a dataset between the reduced (pickled) and the pickle-free format",
    "prepare": "validate a dataset and link/convert it into results/data/<name>",
    "catalog": "list artifacts, experiments and what each needs; validate the catalog",
    "train": "train one experiment with one seed",
    "evaluate": "evaluate a run (--run) or a prediction file (--predictions)",
    "planted": "where an evaluated synthetic run's detections fall, by planted phase, context and background",
    "import": "turn released checkpoints into a run folder (wstal import cmcs PATH --out RUN_DIR)",
    "macs": "count MACs of every model (FlopCounterMode, FLOPs / 2)",
    "table": "render a table (LaTeX + Markdown) from run metrics",
    "figure": "render a figure (PDF + PNG) from run metrics",
    "summary": "write tables/summary.md (every claim with its verdict) and results/<dataset>/<scale>/metrics.csv",
    "collect": "write results/<dataset>/<scale>/metrics.csv: the tidy table of every evaluated run",
    "golden": "compare smoke-DAG numbers with tests/golden/smoke.json, or update it",
    "bench": "time one training step: ours (packed, per video) vs the released code's per-video loop",
}


# commands whose module name differs from the command ("import" is a Python keyword)
MODULES: dict[str, str] = {"import": "import_cmcs"}


def _module_name(command: str) -> str:
    return "wstal.commands." + MODULES.get(command, command.replace("-", "_"))


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wstal", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            importlib.import_module(_module_name(name)).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    if selected not in COMMANDS:
        selected = None
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    try:
        module = importlib.import_module(_module_name(args.command))
        return int(module.run(args) or 0)
    except WstalError as exc:
        print(f"wstal: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system refused (full, read-only, permissions) somewhere not wrapped
        if exc.errno is None:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"wstal: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wstal: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
