"""Code checks run with the suite (CI calls only the README's test command).

ruff lints the package and tests with the rule set of `pyproject.toml`; mypy checks the modules
whose types are complete; snakefmt and `snakemake --lint` keep the workflow layer clean.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TYPED_MODULES = [
    "wstal/metrics.py", "wstal/registry.py", "wstal/config_values.py", "wstal/errors.py", "wstal/utils",
    "wstal/evaluation", "wstal/localize", "wstal/data/records.py", "wstal/artifacts.py", "wstal/report/verdicts.py",
]


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `pip install -e \".[test]\"` brings it")
    return path


def test_ruff_is_clean():
    done = _run(_tool("ruff"), "check", "wstal", "tests")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_typed_modules_pass_mypy():
    done = _run(sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent", *TYPED_MODULES)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_snakefmt_is_clean():
    done = _run(_tool("snakefmt"), "--check", "Snakefile", "rules")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def test_snakemake_lint_is_clean():
    done = _run(_tool("snakemake"), "--lint", "--cores", "1")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
