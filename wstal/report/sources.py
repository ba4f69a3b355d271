"""What `wstal/` code a workflow job depends on, as one digest per job family.

Snakemake's `code` trigger sees only a rule's own shell command, not the modules the
`wstal` command imports. Each rule therefore carries a `code` param: a digest of the
syntax trees (docstrings removed, `ast.dump` without line numbers) of the package
modules the job can import. Snakemake's params trigger re-runs a job when its digest
changes, so an edit that does not change what the code does (a comment, a docstring,
formatting) re-runs nothing, a CMCS edit re-runs CMCS trainings only, and a change in
a table's layout re-runs tables only.

The closure is found by parsing imports (also those inside functions), without importing.
Each family lists what it `ignores`: packages its command imports only to validate its
inputs (the catalog checks method overrides and synthetic knobs), which can make a job
fail but never change what it writes. Parsing every module costs about half a second,
so per-file results are cached on disk, keyed by size and mtime.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "wstal"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
CACHE_VERSION = 1


@dataclass(frozen=True)
class Family:
    """A job family: the modules its command runs and the packages it imports only to validate."""

    roots: tuple[str, ...]
    ignores: tuple[str, ...] = ()


# Validation-only imports of the catalog (`wstal.catalog.validate`): method classes and
# their overrides, synthetic knob ranges, feature-source names, protocol names.
_CATALOG_CHECKS = ("wstal.methods", "wstal.data.synthetic", "wstal.data.sources", "wstal.evaluation")
# The artifact grammar (tables, figures, claims): read by the report jobs only; the other jobs load
# it with the catalog, which validates it.
_ARTIFACTS = ("wstal.artifacts",)
FAMILIES: dict[str, Family] = {
    # data code only: the catalog gives the data variant's knobs
    "prepare": Family(("wstal.commands.prepare",), ignores=("wstal.methods", "wstal.evaluation") + _ARTIFACTS),
    # + the method's own modules (added by `job_digest`)
    "train": Family(("wstal.commands.train",), ignores=_ARTIFACTS),
    "evaluate": Family(("wstal.commands.evaluate",), ignores=_ARTIFACTS),
    # presentation: metrics files in, tables/figures out
    "table": Family(("wstal.commands.table",), ignores=_CATALOG_CHECKS),
    "summary": Family(("wstal.commands.summary",), ignores=_CATALOG_CHECKS),
    "figure": Family(("wstal.commands.figure",), ignores=_CATALOG_CHECKS + ("wstal.report.qualitative",)),
    # qualitative figures load a trained model: the method's code and the inference path count
    "figure-qualitative": Family(("wstal.commands.figure", "wstal.report.qualitative")),
    "macs": Family(("wstal.commands.macs",)),
    # the catalog's full check (wstal.report.workflow): method classes, knobs, protocols
    "catalog": Family(("wstal.catalog", "wstal.methods.builtin")),
}


def _module_file(module: str, package_dir: Path) -> Path | None:
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Modules named by `import x` / `from x import y` anywhere in the tree (incl. relative ones)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
        elif isinstance(node, (ast.Tuple, ast.List)) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value.startswith(PACKAGE + ".")
            for e in node.elts
        ):
            found.update(e.value for e in node.elts)  # module-name lists fed to import_module (builtin.py)
    return {m for m in found if m.split(".")[0] == PACKAGE}


class SourceIndex:
    """Imports and syntax digest of every parsed module, cached on disk by (size, mtime)."""

    def __init__(self, package_dir: Path = PACKAGE_DIR, cache: Path | None = None):
        self.package_dir = Path(package_dir)
        self.cache = Path(cache) if cache is not None else None
        self._entries: dict[str, dict] = self._load_cache()
        self._dirty = False
        self._closures: dict[tuple, tuple[tuple[str, Path], ...]] = {}

    def _load_cache(self) -> dict[str, dict]:
        if self.cache is None:
            return {}
        try:
            data = json.loads(self.cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION \
                or data.get("package_dir") != str(self.package_dir):
            return {}
        entries = data.get("files")
        return entries if isinstance(entries, dict) else {}

    def save(self) -> None:
        """Write the cache (atomically; a failure only costs a re-parse next time)."""
        if self.cache is None or not self._dirty:
            return
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache.with_name(f".{self.cache.name}.{os.getpid()}")
            tmp.write_text(json.dumps({"version": CACHE_VERSION, "package_dir": str(self.package_dir),
                                       "files": self._entries}), encoding="utf-8")
            os.replace(tmp, self.cache)
            self._dirty = False
        except OSError:
            pass

    def entry(self, module: str, path: Path) -> dict:
        """{"imports": [...], "digest": sha256 of the docstring-free AST} of one module file."""
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        key = str(path)
        cached = self._entries.get(key)
        if cached is not None and cached.get("stamp") == stamp and cached.get("module") == module:
            return cached
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
        imports = sorted(_imports(tree, module, path.name == "__init__.py"))
        digest = hashlib.sha256(ast.dump(_strip_docstrings(tree)).encode()).hexdigest()
        entry = {"module": module, "stamp": stamp, "imports": imports, "digest": digest}
        self._entries[key] = entry
        self._dirty = True
        return entry

    def closure(self, roots: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[tuple[str, Path], ...]:
        """Sorted (module, file) of `roots` and every `wstal` module they import, transitively.

        Parent packages' `__init__.py` are included (Python runs them on import). Modules in
        `exclude` (and their submodules) are not followed.
        """
        key = (tuple(roots), tuple(exclude))
        if key in self._closures:
            return self._closures[key]
        seen: dict[str, Path] = {}
        todo = list(roots)
        while todo:
            module = todo.pop()
            if module in seen or any(module == e or module.startswith(e + ".") for e in exclude):
                continue
            path = _module_file(module, self.package_dir)
            if path is None:
                continue
            seen[module] = path
            parts = module.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
            todo.extend(self.entry(module, path)["imports"])
        result = tuple(sorted(seen.items()))
        self._closures[key] = result
        return result

    def family_closure(self, family: str, method: str | None = None,
                       methods: tuple[str, ...] = ()) -> tuple[tuple[str, Path], ...]:
        """The modules a job of `family` (for `method`, if any) depends on.

        With `method`, its module is a root and the other built-in methods' modules
        (`wstal.methods.<name>` and `wstal.methods.<name>_*`) are excluded, so that editing
        one method re-runs only its jobs.
        """
        spec = FAMILIES[family]
        roots = (f"{PACKAGE}.cli",) + spec.roots
        if method is not None:
            roots += (f"{PACKAGE}.methods.{method}",)
        others = [m for m in methods if m != method] if method is not None else []
        exclude = spec.ignores + tuple(f"{PACKAGE}.methods.{m}" for m in others)
        exclude += tuple(f"{PACKAGE}.methods.{path.stem}" for m in others
                         for path in (self.package_dir / "methods").glob(m + "_*"))
        return self.closure(roots, exclude)

    def digest(self, family: str, method: str | None = None, methods: tuple[str, ...] = ()) -> str:
        """One hex digest of the family's closure: module names and their syntax trees."""
        h = hashlib.sha256()
        for module, path in self.family_closure(family, method, methods):
            h.update(f"{module} {self.entry(module, path)['digest']}\n".encode())
        return h.hexdigest()[:20]


def import_closure(roots: tuple[str, ...], package_dir: Path = PACKAGE_DIR,
                   exclude: tuple[str, ...] = ()) -> list[Path]:
    """Sorted source files of `roots` and every `wstal` module they import (no cache)."""
    return sorted(path for _, path in SourceIndex(package_dir).closure(tuple(roots), tuple(exclude)))


def job_sources(family: str, method: str | None = None, methods: tuple[str, ...] = (),
                package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Source files a job of `family` depends on (absolute paths)."""
    return sorted(str(p) for _, p in SourceIndex(package_dir).family_closure(family, method, methods))
