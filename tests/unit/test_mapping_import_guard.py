"""mapping/ is pure: every module imports only the standard library, pydantic, or mapping itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

MAPPING = Path(__file__).resolve().parents[2] / "mapping"
ALLOWED = set(sys.stdlib_module_names) | {"pydantic", "pydantic_core", "okr_sync.mapping", "__future__"}
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _modules() -> list[Path]:
    return sorted(MAPPING.rglob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(_root(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import stays inside mapping
                continue
            roots.add(_root(node.module or ""))
    return roots


def _root(module: str) -> str:
    """The top-level name, or ``okr_sync.<package>`` for the product's own modules."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "okr_sync" else parts[0]


def test_the_guard_sees_every_module():
    names = {path.name for path in _modules()}
    assert {"__init__.py", "model.py", "progress.py", "render.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_imports_only_stdlib_and_pydantic(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    outside = _imported_roots(tree) - ALLOWED
    assert not outside, f"{path.name} imports {sorted(outside)}; mapping/ must stay pure"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_reads_no_clock_and_does_no_io(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ""
            assert (name, node.func.attr) not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} reads the clock"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "print", "input"}, f"{path.name}:{node.lineno} does I/O"


def test_guard_catches_a_forbidden_import():
    tree = ast.parse("import requests\nfrom sqlalchemy.orm import Session\nfrom . import model\n")
    assert _imported_roots(tree) - ALLOWED == {"requests", "sqlalchemy"}
