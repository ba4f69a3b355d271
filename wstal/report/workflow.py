"""What the Snakefile needs from the package, without importing torch.

Parsing the Snakefile happens on every `snakemake` call (a dry run, a status check, each
cluster job), so this path stays light: the catalog is checked against the method classes
(which import torch) only when the catalog or the code that checks it changed since the
last successful check, recorded in a stamp file; the code digests come from
`wstal.report.sources` with an on-disk cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from wstal.catalog import Catalog, default_catalog_path, load_catalog, validate
from wstal.report.sources import SourceIndex

STATE_DIR = Path(".snakemake") / "wstal"  # next to Snakemake's own state in the working directory


def coerce_seeds(config: dict[str, Any]) -> dict[str, Any]:
    """Seed lists from `snakemake --config seeds=[0,1]` arrive as strings: make them integers.

    Snakemake parses `--config` values with YAML's BaseLoader (every scalar a string), so
    `seeds=[0,1]` is `['0', '1']` and `seeds=0,1` is `'0,1'`. Both become `[0, 1]`; a value
    that is not a list of non-negative integers is left for the schema to reject.
    """
    def coerce(value: Any) -> Any:
        if isinstance(value, str) and value.replace(",", "").replace(" ", "").isdigit():
            value = [v for v in value.split(",") if v.strip()]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, (list, tuple)):
            return [int(v) if isinstance(v, str) and v.strip().isdigit() else v for v in value]
        return value

    if config.get("seeds") is not None:
        config["seeds"] = coerce(config["seeds"])
    by_scale = config.get("seeds_by_scale")
    if isinstance(by_scale, dict):
        for scale in list(by_scale):
            by_scale[scale] = coerce(by_scale[scale])
    return config


def workflow_catalog(index: SourceIndex, state_dir: Path = STATE_DIR, path: Path | None = None) -> Catalog:
    """The catalog, fully validated, importing the method classes only after a change.

    The stamp holds a digest of the catalog text and of the checking code (catalog,
    methods, synthetic knobs, protocols); while it matches, the structural checks that
    need no torch are enough.
    """
    path = Path(path) if path is not None else default_catalog_path()
    catalog = load_catalog(path, check_methods=False)
    key = hashlib.sha256(path.read_bytes()).hexdigest() + " " + index.digest("catalog")
    stamp = Path(state_dir) / "catalog-checked"
    try:
        if stamp.read_text(encoding="utf-8") == key:
            return catalog
    except OSError:
        pass
    validate(catalog, check_methods=True)  # ConfigError (one line) on a bad override or variant
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}")
        tmp.write_text(key, encoding="utf-8")
        os.replace(tmp, stamp)
    except OSError:
        pass  # a read-only folder only costs the full check next time
    return catalog
