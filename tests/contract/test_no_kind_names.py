"""No module outside ``connectors/<kind>/`` names a tracker kind (issue 23).

Per-kind behaviour lives behind the connector's plugin and capabilities; a fourth tracker must not need
an edit anywhere else. The scan reads the product's source as syntax trees and flags

* a string that *is* a kind (``"jira"``: kind dispatch such as ``tracker.kind == "planner"``),
* a reference to a kind's package (``okr_sync.connectors.gitlab…``, in imports or strings),
* a name of a kind's classes (``JiraTracker``, ``PlannerConnector``…).

The kinds are the folders of ``connectors/`` holding a ``plugin.py``, and their class names are read from
those folders, so a kind added later is covered without editing this test.

Docstrings and comments are prose and not scanned; the sandbox is not the product and is exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("config", "mapping", "sync", "connectors")
KINDS = tuple(sorted(p.parent.name for p in (ROOT / "connectors").glob("*/plugin.py")))
CLASSES = frozenset(node.name for kind in KINDS for path in (ROOT / "connectors" / kind).glob("*.py")
                    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.ClassDef))
PACKAGE = re.compile(rf"\bconnectors[./]({'|'.join(KINDS)})\b")

ALLOWED: dict[tuple[str, str], str] = {
    ("sync/cli/demo.py", "jira"): "keys of the running sandbox's info (its emulators), which the demo fixture "
                                  "configuration reads: demo data, not dispatch on a configured kind",
    ("sync/cli/demo.py", "gitlab"): "same: the sandbox's GitLab emulator info",
    ("sync/cli/demo.py", "planner"): "same: the sandbox's Graph emulator info",
    ("sync/cli/extras.py", "jira"): "import name of the jira client library the demo needs installed, not a kind",
    ("sync/cli/extras.py", "gitlab"): "import name of the python-gitlab library the demo needs installed",
}
"""(file, flagged text) → why it is not kind dispatch. Keep it short."""


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
        if isinstance(node, ast.Module | ast.ClassDef):  # attribute docstrings: a string after an assignment
            for before, after in zip(node.body, node.body[1:], strict=False):
                if isinstance(before, ast.AnnAssign | ast.Assign) and isinstance(after, ast.Expr) \
                        and isinstance(after.value, ast.Constant):
                    found.add(id(after.value))
    return found


def offences(source: str) -> list[tuple[int, str]]:
    """(line, flagged text) of every kind name in ``source`` outside docstrings and comments."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            text = node.value
            if text.strip().lower() in KINDS:
                found.append((node.lineno, text.strip().lower()))
            found += [(node.lineno, m.group(0)) for m in PACKAGE.finditer(text)]
        elif isinstance(node, ast.ImportFrom) and node.module and PACKAGE.search(node.module):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if PACKAGE.search(a.name)]
        elif isinstance(node, ast.Name) and node.id in CLASSES:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in CLASSES:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.alias) and (node.asname or node.name.rpartition(".")[2]) in CLASSES:
            found.append((getattr(node, "lineno", 0), node.name))
    return found


def product_files() -> list[Path]:
    """Every product module outside ``connectors/<kind>/``."""
    files = [p for folder in SCANNED for p in (ROOT / folder).rglob("*.py")]
    return sorted(p for p in files if not (p.parent.parent == ROOT / "connectors" and p.parent.name in KINDS))


def test_no_module_outside_a_connector_names_a_kind() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text}"
             for path in product_files()
             for line, text in offences(path.read_text(encoding="utf-8"))
             if (str(path.relative_to(ROOT)), text) not in ALLOWED]
    assert found == [], "kind dispatch outside connectors/<kind>/ (move it behind the plugin or a capability):\n" \
                        + "\n".join(found)


def test_every_allowance_is_still_needed() -> None:
    used = {(str(path.relative_to(ROOT)), text) for path in product_files()
            for _, text in offences(path.read_text(encoding="utf-8"))}
    assert set(ALLOWED) - used == set(), "allow-list entries nothing needs any more: remove them"


def test_the_built_in_kinds_and_their_classes_are_known() -> None:
    assert {"jira", "gitlab", "planner"} <= set(KINDS)
    assert {"JiraTracker", "GitLabConnector", "PlannerHome"} <= CLASSES


def test_the_scan_sees_dispatch_but_not_prose() -> None:
    flagged = offences('"""Jira, GitLab and planner prose."""\n'
                       'import okr_sync.connectors.gitlab.settings\n'
                       'from okr_sync.connectors.jira.settings import JiraTracker\n'
                       'x = 1\n"""jira (attribute docstring)"""\n'
                       'def f(t):\n    """planner"""\n'
                       '    return t.kind == "planner" or isinstance(t, m.GitLabTracker)\n')
    assert sorted(text for _, text in flagged) == sorted(["okr_sync.connectors.gitlab.settings", "JiraTracker",
                                                          "okr_sync.connectors.jira.settings", "planner",
                                                          "GitLabTracker"])
