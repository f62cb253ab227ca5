"""The package's layering: the import-linter contract, no import cycles, no upward
imports hidden inside functions, and every top-level module placed in a layer.

The layers are declared once, in ``[tool.importlinter]`` of pyproject.toml, and
explained in docs/architecture.md.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "biasaudit"

#: Imports of the package's own modules that may stay inside a function. None today.
ALLOWED_FUNCTION_IMPORTS: set[tuple[str, str]] = set()


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]


def _layers() -> list[list[str]]:
    layers = _contract()["contracts"][0]["layers"]
    return [[m.strip() for m in layer.split("|")] for layer in layers]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("biasaudit", exclude_type_checking_imports=True)


def test_the_layers_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = sorted(m for m in graph.modules if m.startswith("biasaudit"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if not w.startswith("biasaudit"):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_the_package_modules(graph: grimp.ImportGraph) -> None:
    # The package's __init__ imports its public API from every layer; a module
    # importing the package root would close a cycle, so that is checked too.
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    g = grimp.ImportGraph()
    for name in ("biasaudit.a", "biasaudit.b", "biasaudit.c"):
        g.add_module(name)
    g.add_import(importer="biasaudit.a", imported="biasaudit.b")
    g.add_import(importer="biasaudit.b", imported="biasaudit.a")
    g.add_import(importer="biasaudit.b", imported="biasaudit.c")
    assert _cycles(g) == [["biasaudit.a", "biasaudit.b"]]


def _function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.level == 0:
                names = [sub.module or ""]
            elif isinstance(sub, ast.Import):
                names = [a.name for a in sub.names]
            else:
                continue
            out += [(sub.lineno, n) for n in names if n.split(".")[0] == "biasaudit"]
    return out


def test_no_package_import_is_hidden_inside_a_function() -> None:
    """Function-level imports stay only for optional heavy dependencies (duckdb, dask, ...)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for line, name in _function_imports(path):
            if (module, name) not in ALLOWED_FUNCTION_IMPORTS:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == []


def test_every_top_level_module_is_in_a_layer() -> None:
    placed = {m for layer in _layers() for m in layer}
    children = {
        f"biasaudit.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert sorted(children - placed) == []
    assert sorted(placed - children) == []


def test_the_contract_counts_function_level_imports(graph: grimp.ImportGraph) -> None:
    """grimp records an import inside a function like any other (the contract sees it)."""
    details = graph.get_import_details(
        importer="biasaudit.cli", imported="biasaudit.cli._reports"
    ) or graph.get_import_details(importer="biasaudit.cli", imported="biasaudit.audit")
    assert details
    assert _contract()["exclude_type_checking_imports"] is True
