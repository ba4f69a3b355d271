"""The repository is self-contained: code, configs and docs cite only files inside it.

Method and protocol descriptions live in docs/ (docs/methods/cmcs.md, docs/methods/rskp.md,
docs/evaluation.md); nothing shipped may point at notes or data outside the checkout. Tests are
exempt: they may read real annotation files from a sibling folder and name it when they skip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECKED = ("wstal", "rules", "config", "docs", "profiles", "README.md", "Snakefile")
FORBIDDEN = ("../shared", "shared/specs", "shared/data", "design.md", "specs/")


def _files() -> list[Path]:
    """Tracked and new (not ignored) files of the checked paths; a plain walk outside a git checkout."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *CHECKED],
                                cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
        return [REPO / name for name in listed if (REPO / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for name in CHECKED:
            path = REPO / name
            found.extend([path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()])
        return [p for p in found if "__pycache__" not in p.parts]


def offending_lines(files: list[Path], root: Path = REPO) -> list[str]:
    hits = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files (images) cannot cite anything
        for number, line in enumerate(text.splitlines(), 1):
            if any(word in line for word in FORBIDDEN):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()[:120]}")
    return hits


def test_no_reference_outside_the_repository():
    files = _files()
    assert any(p.name == "catalog.yaml" for p in files) and any(p.suffix == ".py" for p in files)
    assert offending_lines(files) == []


def test_the_check_sees_a_reference(tmp_path):
    (tmp_path / "x.py").write_text('"""See ../shared/specs/cmcs.md §4."""\n')
    (tmp_path / "ok.md").write_text("See docs/methods/cmcs.md §4; the shared head.\n")
    files = [tmp_path / "x.py", tmp_path / "ok.md"]
    assert offending_lines(files, tmp_path) == ['x.py:1: """See ../shared/specs/cmcs.md §4."""']
