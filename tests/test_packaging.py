"""Packaging: one version, `python -m wstal`, and the catalog found in a non-editable install."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wstal
from wstal import config_files
from wstal.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_version_flag_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"wstal {wstal.__version__}"


def test_pyproject_reads_the_version_from_the_package():
    text = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'attr = "wstal.__version__"' in text
    assert "\nversion =" not in text.split("[tool.setuptools.dynamic]")[0]


def test_python_dash_m_runs_the_cli():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-m", "wstal", "--version"], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == f"wstal {wstal.__version__}"


def test_shipped_config_falls_back_to_the_packaged_copy(tmp_path, monkeypatch):
    packaged = tmp_path / "_config"
    packaged.mkdir()
    (packaged / "catalog.yaml").write_text("x: 1\n")
    monkeypatch.setattr(config_files, "CHECKOUT_CONFIG", tmp_path / "no-checkout")
    monkeypatch.setattr(config_files, "PACKAGED_CONFIG", packaged)
    assert config_files.shipped_config("catalog.yaml") == packaged / "catalog.yaml"
    # neither: the checkout path, so that the error names the file a user looks for
    assert config_files.shipped_config("config.yaml") == tmp_path / "no-checkout" / "config.yaml"


def test_checkout_config_wins_and_setup_ships_every_file():
    for name in config_files.SHIPPED:
        assert config_files.shipped_config(name) == REPO / "config" / name
    line = next(ln for ln in (REPO / "setup.py").read_text().splitlines() if ln.startswith("SHIPPED = "))
    assert ast.literal_eval(line.split("=", 1)[1].split("#")[0].strip()) == config_files.SHIPPED


@pytest.mark.slow
def test_wheel_install_finds_catalog_outside_the_repo(tmp_path):
    """Build a wheel from a copy of the sources, install it (no -e) in a fresh venv, run from elsewhere."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_config")
    shutil.copytree(REPO / "wstal", src / "wstal", ignore=ignore)
    shutil.copytree(REPO / "config", src / "config", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(REPO / name, src / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, env=env, capture_output=True)
    wheel = next((tmp_path / "dist").glob("wstal_repro-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, env=env,
                   capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import wstal, wstal.catalog as c; print(wstal.__file__); "
                            "print(c.DEFAULT_CATALOG)"], cwd=elsewhere, env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    assert where[0].startswith(str(venv)) and where[1].startswith(str(venv))  # the wheel's copy, not the repo's
    out = subprocess.run([str(venv / "bin" / "wstal"), "catalog"], cwd=elsewhere, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "table1" in out.stdout
    version = subprocess.run([str(python), "-m", "wstal", "--version"], cwd=elsewhere, env=env, capture_output=True,
                             text=True, check=True)
    assert version.stdout.strip() == f"wstal {wstal.__version__}"
