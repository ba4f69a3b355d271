"""Localization is numpy-only: importing it must not pull in torch (nor the methods package)."""

from __future__ import annotations

import subprocess
import sys


def test_localize_imports_neither_torch_nor_methods():
    code = ("import sys, wstal.localize.cmcs, wstal.localize.rskp; "
            "bad = [m for m in ('torch', 'wstal.methods', 'wstal.methods.base') if m in sys.modules]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
