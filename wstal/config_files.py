"""Where the shipped configuration files are: the checkout's `config/`, else the wheel's copy.

The repository keeps one copy of each file (`config/catalog.yaml`, `config/config.yaml`,
`config/schema.yaml`). A wheel build copies them into `wstal/_config/` (see `setup.py`), so
a package installed without `-e` still finds its catalog and workflow defaults.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_CONFIG = PACKAGE_DIR.parent / "config"  # editable install or PYTHONPATH=<checkout>
PACKAGED_CONFIG = PACKAGE_DIR / "_config"  # installed wheel
SHIPPED = ("catalog.yaml", "config.yaml", "schema.yaml")


def shipped_config(name: str) -> Path:
    """`config/<name>` of the checkout if there is one, else the copy inside the installed package.

    When neither exists the checkout path is returned, so the "not found" error names the
    file a user would look for.
    """
    for folder in (CHECKOUT_CONFIG, PACKAGED_CONFIG):
        if (folder / name).is_file():
            return folder / name
    return CHECKOUT_CONFIG / name
