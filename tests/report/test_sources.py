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


def test_digest_ignores_comments_docstrings_and_formatting(tmp_path: Path):
    from wstal.report.sources import SourceIndex

    pkg = tmp_path / "wstal"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    mod = pkg / "a.py"
    mod.write_text('"""Doc."""\n\ndef f(x):\n    """What f does."""\n    return x + 1\n')
    before = SourceIndex(pkg).closure(("wstal.a",))
    digest = SourceIndex(pkg).entry("wstal.a", mod)["digest"]
    mod.write_text('# comment\n"""Other doc."""\n\n\ndef f( x ):  # why\n    """Reworded."""\n    return (x + 1)\n')
    assert SourceIndex(pkg).entry("wstal.a", mod)["digest"] == digest
    mod.write_text('def f(x):\n    return x + 2\n')
    assert SourceIndex(pkg).entry("wstal.a", mod)["digest"] != digest
    assert [m for m, _ in before] == ["wstal", "wstal.a"]


def test_digest_cache_is_keyed_by_file_stamp(tmp_path: Path):
    from wstal.report.sources import SourceIndex

    pkg = tmp_path / "wstal"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("X = 1\n")
    cache = tmp_path / "cache.json"
    first = SourceIndex(pkg, cache)
    digest = first.entry("wstal.a", pkg / "a.py")["digest"]
    first.save()
    assert cache.is_file()
    (pkg / "a.py").write_text("X = 22\n")  # new size: the cached entry is stale
    assert SourceIndex(pkg, cache).entry("wstal.a", pkg / "a.py")["digest"] != digest


def test_family_digests_separate_methods_and_presentation():
    from wstal.report.sources import SourceIndex

    index = SourceIndex()
    prepare = {m for m, _ in index.family_closure("prepare")}
    assert not any(m.startswith(("wstal.methods", "wstal.report", "wstal.train")) for m in prepare)
    for family in ("table", "summary", "figure"):
        modules = {m for m, _ in index.family_closure(family)}
        assert not any(m.startswith(("wstal.methods", "wstal.train", "wstal.run", "wstal.data.")) for m in modules)
    assert "wstal.methods.rskp" in {m for m, _ in index.family_closure("figure-qualitative", "rskp", ("cmcs", "rskp"))}
    assert index.digest("train", "cmcs", ("cmcs", "rskp")) != index.digest("train", "rskp", ("cmcs", "rskp"))


def test_seeds_from_the_command_line_become_integers():
    from wstal.report.workflow import coerce_seeds

    config = {"seeds": ["0", "1"], "seeds_by_scale": {"smoke": "0,2", "default": [0, 1], "paper": ["x"]}}
    coerce_seeds(config)
    assert config["seeds"] == [0, 1]
    assert config["seeds_by_scale"] == {"smoke": [0, 2], "default": [0, 1], "paper": ["x"]}  # "x": the schema says no
    assert coerce_seeds({"seeds": None})["seeds"] is None


def test_catalog_full_check_runs_once_per_change(tmp_path: Path, monkeypatch):
    import wstal.report.workflow as workflow
    from wstal.catalog import DEFAULT_CATALOG
    from wstal.report.sources import SourceIndex

    calls = []
    real = workflow.validate
    monkeypatch.setattr(workflow, "validate", lambda c, check_methods: calls.append(c) or real(c, check_methods))
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(DEFAULT_CATALOG.read_text())
    index = SourceIndex()
    workflow.workflow_catalog(index, tmp_path / "state", catalog)
    workflow.workflow_catalog(index, tmp_path / "state", catalog)
    assert len(calls) == 1  # the stamp matched: no torch import on the second parse
    catalog.write_text(DEFAULT_CATALOG.read_text() + "\n# edited\n")
    workflow.workflow_catalog(index, tmp_path / "state", catalog)
    assert len(calls) == 2
