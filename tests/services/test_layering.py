"""The layering rule, read from the source: services call store functions with domain values.

A use case never builds an ORM row, adds it to a session or flushes one:
it calls a store function that takes plain values and returns the row (or
its id), and the store decides when to flush. Table classes may appear in a
service only as type hints, imported under ``if TYPE_CHECKING:``. Nothing
outside ``relief/store/`` imports SQLAlchemy.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import relief

PACKAGE = Path(relief.__file__).parent
SERVICES = sorted((PACKAGE / "services").glob("*.py"))
TABLES = "relief.store.tables"


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node except those inside an ``if TYPE_CHECKING:`` body."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imported_modules(node: ast.AST) -> list[str]:
    """The modules an import statement names (``from a import b`` names ``a`` and ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return []


def _names(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _receiver(call: ast.Call) -> str:
    """The last name of what a method is called on: ``unit.session.add(...)`` → ``session``."""
    target = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return ""


def _method_calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_import_tables_only_for_type_hints(path):
    tree = _tree(path)
    found = [_where(path, node) for node in _runtime_nodes(tree)
             if any(_names(module, TABLES) for module in _imported_modules(node))]
    assert not found, f"table classes imported outside `if TYPE_CHECKING:` (use a store function): {found}"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_never_flush(path):
    found = [_where(path, call) for call in _method_calls(_tree(path), {"flush"})]
    assert not found, f"flush() in a service (the store function that needs the id flushes): {found}"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_never_add_rows_to_a_session(path):
    found = [_where(path, call) for call in _method_calls(_tree(path), {"add", "add_all"})
             if "session" in _receiver(call).lower()]
    assert not found, f"session.add() in a service (call a store function that makes the row): {found}"


def test_only_the_store_imports_sqlalchemy():
    store = PACKAGE / "store"
    found = [_where(path, node) for path in sorted(PACKAGE.rglob("*.py")) if store not in path.parents
             for node in ast.walk(_tree(path))
             if any(_names(module, "sqlalchemy") for module in _imported_modules(node))]
    assert not found, f"SQLAlchemy imported outside relief/store/: {found}"


def test_the_checks_see_what_they_forbid():
    """The scanners above would catch each thing they forbid (and allow what they allow)."""
    bad = ast.parse(
        "from relief.store.tables import Incident\n"
        "import relief.store.tables.stock\n"
        "def f(unit, seen):\n"
        "    unit.session.add(Incident())\n"
        "    session.add_all([])\n"
        "    unit.session.flush()\n"
        "    seen.add(1)\n")
    good = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n"
                     "    from relief.store.tables import Incident\n")
    assert sum(any(_names(m, TABLES) for m in _imported_modules(n)) for n in _runtime_nodes(bad)) == 2
    assert not any(any(_names(m, TABLES) for m in _imported_modules(n)) for n in _runtime_nodes(good))
    assert len(list(_method_calls(bad, {"flush"}))) == 1
    adds = [c for c in _method_calls(bad, {"add", "add_all"}) if "session" in _receiver(c).lower()]
    assert len(adds) == 2
    assert _imported_modules(ast.parse("from relief.store import tables").body[0]) == [
        "relief.store", "relief.store.tables"]
