"""The workflow settings a report command needs (dataset, scale, seeds, folders).

Defaults come from `config/config.yaml`, the file Snakemake reads, so `wstal table 3`
typed by hand renders what `snakemake` would; options override them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import yaml

from wstal.config_files import shipped_config
from wstal.errors import ConfigError
from wstal.report.paths import Layout

DEFAULT_CONFIG = shipped_config("config.yaml")


def add_setting_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, help="workflow config (default: config/config.yaml)")
    parser.add_argument("--dataset", help="dataset name (default: from the config)")
    parser.add_argument("--scale", help="smoke | default | paper (default: from the config)")
    parser.add_argument("--seeds", help="comma-separated seeds (default: the config's seeds for the scale)")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results root (default: results)")
    parser.add_argument("--tables", type=Path, default=Path("tables"), help="tables folder (default: tables)")
    parser.add_argument("--figures", type=Path, default=Path("figures"), help="figures folder (default: figures)")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog (default: config/catalog.yaml)")


@dataclass(frozen=True)
class Settings:
    layout: Layout
    seeds: tuple[int, ...]
    catalog_path: Path | None


def read_config(path: Path | None) -> dict:
    path = path or DEFAULT_CONFIG
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: workflow config not found (pass --config)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping")
    return data


def parse_seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise ConfigError(f"--seeds {text!r}: expected comma-separated integers, e.g. 0,1,2") from None
    if not seeds:
        raise ConfigError("--seeds: at least one seed is needed")
    return seeds


def settings_from_args(args: argparse.Namespace) -> Settings:
    from wstal.report.build import seeds_for

    config = read_config(args.config)
    dataset = args.dataset or config.get("dataset")
    scale = args.scale or config.get("scale")
    if not dataset or not scale:
        raise ConfigError("dataset and scale must be given (options or config)")
    if args.seeds:
        seeds = parse_seeds(args.seeds)
    else:
        try:
            seeds = tuple(seeds_for({**config, "scale": scale}))
        except KeyError:
            raise ConfigError(f"{args.config or DEFAULT_CONFIG}: no seeds for scale {scale!r} (pass --seeds)") from None
    layout = Layout(dataset, scale, results=args.results, tables=args.tables, figures=args.figures)
    return Settings(layout, seeds, args.catalog)


def load_settings_catalog(settings: Settings):
    from wstal.catalog import load_catalog

    # report commands need no method classes: rendering must work while a method is being edited
    return load_catalog(settings.catalog_path, check_methods=False)


def artifact_name(text: str, kind: str) -> str:
    """`3` or `table3` -> `table3`."""
    text = text.strip()
    return f"{kind}{text}" if text.isdigit() else text
