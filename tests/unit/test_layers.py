"""The import layers of DESIGN.md hold (``python -m okr_sync.devtools.layers``), and the check can fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from okr_sync.devtools.layers import main, violations

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = """[tool.setuptools.package-dir]
okr_sync = "sync"
"okr_sync.config" = "config"
"okr_sync.mapping" = "mapping"
"okr_sync.connectors" = "connectors"
"okr_sync.sandbox" = "sandbox"
"""
BAD = {
    "mapping/progress.py": "def f():\n    from okr_sync.connectors.base import Connector\n",
    "connectors/jira/pull.py": "from ...engine.cycle import Engine\nfrom okr_sync import store\n",
    "connectors/gitlab/__init__.py": "from ..jira import pull\nfrom .. import base\n",
    "connectors/base.py": "import okr_sync.testing.contract\nfrom okr_sync.config.errors import SyncError\n",
    "sandbox/jira.py": "from okr_sync.config.errors import SyncError\nfrom okr_sync.sandbox.clock import Clock\n",
    "config/models.py": "from okr_sync.connectors.registry import plugin_for\nfrom okr_sync.mapping import x\n",
    "sync/engine/cycle.py": "from okr_sync.connectors.base import Connector\n",
}


def test_the_product_keeps_its_layers() -> None:
    run = subprocess.run([sys.executable, "-m", "okr_sync.devtools.layers"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "import layers hold" in run.stdout


def test_every_crossing_is_reported_with_where_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    for path, text in BAD.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = {(str(v.path), v.line, v.imported) for v in violations(tmp_path)}
    assert found == {
        ("mapping/progress.py", 2, "okr_sync.connectors.base"),  # inside a function
        ("connectors/jira/pull.py", 1, "okr_sync.engine.cycle"),  # relative, resolved
        ("connectors/jira/pull.py", 2, "okr_sync.store"),
        ("connectors/base.py", 1, "okr_sync.testing.contract"),
        ("sandbox/jira.py", 1, "okr_sync.config.errors"),
        ("config/models.py", 1, "okr_sync.connectors.registry"),
    }
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "sandbox/jira.py:1: okr_sync.sandbox.jira imports okr_sync.config.errors; the sandbox imports nothing" \
        in out
    assert "6 import(s) cross the layers of DESIGN.md" in out


def test_a_module_that_cannot_be_parsed_is_reported_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "mapping").mkdir()
    (tmp_path / "mapping" / "broken.py").write_text("def f(:\n")
    (found,) = violations(tmp_path)
    assert (str(found.path), found.imported) == ("mapping/broken.py", "(unreadable)")
    assert "cannot be parsed (SyntaxError" in found.render()
