"""Job source dependencies: training depends on its method's code, never on presentation code."""

from __future__ import annotations

from pathlib import Path

from wstal.report.sources import import_closure, job_sources


def test_closure_follows_imports_inside_functions(tmp_path: Path):
    pkg = tmp_path / "wstal"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from wstal.sub import b\n")
    (pkg / "sub" / "b.py").write_text("from . import c\n")
    (pkg / "sub" / "c.py").write_text("import os\n")
    (pkg / "unused.py").write_text("")
    files = {p.relative_to(pkg).as_posix() for p in import_closure(("wstal.a",), pkg)}
    assert files == {"__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "sub/c.py"}


def test_training_sources_exclude_report_and_other_methods():
    root = str(Path(__file__).resolve().parents[2]) + "/"
    cmcs = [p.replace(root, "") for p in job_sources("train", "cmcs", ("cmcs", "rskp"))]
    assert "wstal/methods/cmcs.py" in cmcs and "wstal/train.py" in cmcs
    assert not any(p.startswith("wstal/report/") for p in cmcs)
    assert "wstal/methods/rskp.py" not in cmcs
    rskp = [p.replace(root, "") for p in job_sources("train", "rskp", ("cmcs", "rskp"))]
    assert "wstal/methods/rskp.py" in rskp and "wstal/methods/cmcs.py" not in rskp
    table = [p.replace(root, "") for p in job_sources("table")]
    assert "wstal/report/tables.py" in table and "wstal/train.py" not in table
