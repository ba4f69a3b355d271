"""Which `wstal/` source files a job depends on (its static import closure).

Snakemake's `code` trigger sees only the rule's own shell/run code, not the modules a
`wstal` command imports. The workflow therefore declares, as inputs of each job family,
the package files that the command can import: a change in the CMCS model re-runs CMCS
training, while a change in a figure's colours (wstal/report/) never retrains anything.
The closure is found by parsing imports (also those inside functions), without importing.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PACKAGE = "wstal"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _module_file(module: str, package_dir: Path) -> Path | None:
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    """Modules named by `import x` / `from x import y` anywhere in the file (incl. relative ones)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
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
            found.update(_string_constants(node))
        elif isinstance(node, (ast.Tuple, ast.List)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value.startswith(PACKAGE + ".")
            for e in node.elts
        ) and node.elts:
            found.update(e.value for e in node.elts)  # module-name lists fed to import_module (builtin.py)
    return {m for m in found if m.split(".")[0] == PACKAGE}


def _string_constants(call: ast.Call) -> set[str]:
    return {a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}


def import_closure(roots: tuple[str, ...], package_dir: Path = PACKAGE_DIR,
                   exclude: tuple[str, ...] = ()) -> list[Path]:
    """Sorted source files of `roots` and every `wstal` module they import, transitively.

    Parent packages' `__init__.py` are included (Python runs them on import). Modules in
    `exclude` (and their submodules) are not followed: a CMCS run does not depend on the
    RSKP model although `methods/builtin.py` imports both.
    """
    return list(_closure(tuple(roots), package_dir, tuple(exclude)))


@lru_cache(maxsize=None)
def _closure(roots: tuple[str, ...], package_dir: Path, exclude: tuple[str, ...] = ()) -> tuple[Path, ...]:
    seen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in seen or any(module == e or module.startswith(e + ".") for e in exclude):
            continue
        path = _module_file(module, package_dir)
        if path is None:
            continue
        seen[module] = path
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports(path, module))
    return tuple(sorted(set(seen.values())))


def job_sources(command: str, method: str | None = None, methods: tuple[str, ...] = (),
                package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Source files a `wstal <command>` job depends on (absolute paths: the workflow may run elsewhere).

    With `method`, the other built-in methods' modules (`wstal.methods.<name>` and
    `wstal.methods.<name>_*`) are excluded, so that editing one method re-runs only its jobs.
    """
    exclude = tuple(f"{PACKAGE}.methods.{m}" for m in methods if m != method)
    exclude += tuple(f"{PACKAGE}.methods.{path.stem}" for m in exclude
                     for path in (package_dir / "methods").glob(m.rsplit(".", 1)[1] + "_*"))
    roots = (f"{PACKAGE}.cli", f"{PACKAGE}.commands.{command}")
    if method is not None:
        roots += (f"{PACKAGE}.methods.{method}",)
    return [str(p) for p in import_closure(roots, package_dir, exclude)]
