"""The import graph keeps the engine room's shape (docs/architecture.md): arrows point down only.

- no module of a domain package imports a face (``cockpit``, ``web``, ``disclosure``, ``api``, ``cli``,
  ``urls``, ``synthetic``);
- the foundation (``core``, ``ledgers``, ``rulebook``, ``workdays``, ``analytics``, ``domains``,
  ``jobs``) imports no domain and no face;
- the packages import each other without a circle;
- an import inside a function says why in a comment (on its line or the line above).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = SRC / "getpower"
FACES = {"cockpit", "web", "disclosure", "api", "cli", "urls", "synthetic"}
FOUNDATION = {"core", "ledgers", "rulebook", "workdays", "analytics", "domains", "jobs"}
DOMAINS = {"grid", "outages", "connections", "arrears", "filings", "reliability", "capacity", "complaints",
           "planned", "scan", "quality"}

pytestmark = pytest.mark.engine  # reads files only


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def target_of(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".")
        if MODULES[module].name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - node.level + 1]
        package = ".".join(base + ([node.module] if node.module else []))
    else:
        package = node.module or ""
    return [f"{package}.{a.name}" if f"{package}.{a.name}" in MODULES else package for a in node.names]


def owner(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def package(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def imports() -> list[tuple[str, str, int, bool]]:
    """(module, imported module, line, inside a function)."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inner = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                 for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in target_of(module, node):
                    if target.startswith("getpower"):
                        dest = owner(target)
                        if dest and dest != module:
                            found.append((module, dest, node.lineno, id(node) in inner))
    return found


IMPORTS = imports()


def test_domains_never_import_a_face():
    wrong = [f"{m}:{line} imports {d}" for m, d, line, _ in IMPORTS
             if package(m) in DOMAINS and package(d) in FACES]
    assert wrong == []


def test_the_foundation_imports_no_domain_and_no_face():
    wrong = [f"{m}:{line} imports {d}" for m, d, line, _ in IMPORTS
             if package(m) in FOUNDATION and package(d) in DOMAINS | FACES]
    assert wrong == []


def test_no_import_circle_between_packages():
    edges: dict[str, set[str]] = defaultdict(set)
    for m, d, _, _ in IMPORTS:
        if package(m) != package(d):
            edges[package(m)].add(package(d))
    circles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(" → ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def says_why(lines: list[str], index: int) -> bool:
    """A comment on the import's line, or on the line above the block of imports it belongs to."""
    if "#" in lines[index]:
        return True
    while index > 0 and lines[index - 1].strip().startswith(("from ", "import ", ")")) or (
            index > 0 and not lines[index - 1].strip()):
        index -= 1
    return index > 0 and lines[index - 1].strip().startswith("#")


def test_imports_inside_functions_say_why():
    silent = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for f in ast.walk(tree):
            if not isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(f):
                if isinstance(node, ast.Import | ast.ImportFrom) and not says_why(lines, node.lineno - 1):
                    silent.append(f"{module}:{node.lineno}")
    assert silent == []
