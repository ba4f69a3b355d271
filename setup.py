"""Build hook: the wheel carries a copy of `config/*.yaml` as `wstal/_config/` (see wstal/config_files.py).

All metadata lives in pyproject.toml. The repository keeps one copy of each YAML file;
editable installs read `config/` of the checkout and need no copy.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("catalog.yaml", "config.yaml", "schema.yaml")  # = wstal.config_files.SHIPPED


class build_py_with_config(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "wstal" / "_config"
        target.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            self.copy_file(str(Path("config") / name), str(target / name))


setup(cmdclass={"build_py": build_py_with_config})
