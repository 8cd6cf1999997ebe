"""msgraph (and kiota, azure-identity) load only when a Planner connector is constructed: importing the CLI,
the connector module or the other connectors never pays for them (``python -X importtime``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("msgraph", "kiota_", "azure.identity")


def imported_modules(statement: str) -> list[str]:
    """Module names ``python -X importtime`` reports for ``statement`` in a fresh interpreter."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    return [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")]


@pytest.mark.parametrize("statement", ["import okr_sync.cli.main", "import okr_sync.connectors.planner.connector",
                                       "import connectors.registry; connectors.registry.installed_kinds()"])
def test_no_msgraph_until_a_planner_connector_is_built(statement: str) -> None:
    modules = imported_modules(statement)
    assert modules, "importtime printed nothing"
    assert [m for m in modules if m.startswith(HEAVY)] == []


def test_building_the_connector_module_graph_does_load_msgraph() -> None:
    assert any(m.startswith("msgraph") for m in imported_modules("import okr_sync.connectors.planner.graph"))
