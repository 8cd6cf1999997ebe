"""The published contract suite (``okr_sync.testing``) run on every registered connector, against the
sandbox with the real client libraries; the harnesses stay here (tests/contract/harness_<kind>.py)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.connectors.registry import GROUP, installed_kinds
from okr_sync.testing import ConnectorContract, declaration_problems

KINDS = installed_kinds()


def test_the_three_trackers_are_registered() -> None:
    assert {"jira", "gitlab", "planner"} <= set(KINDS), f"entry-point group {GROUP} holds {KINDS}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_connector_declares_what_it_must(kind: str) -> None:
    assert declaration_problems(kind) == []


class TestBuiltInConnectors(ConnectorContract):
    """Every contract test, once per built-in kind."""

    @pytest.fixture(params=[kind for kind in KINDS if kind in {"jira", "gitlab", "planner", "azure_devops"}])
    def harness(self, request: pytest.FixtureRequest, make_sandbox: Callable[..., Any],
                control_of: Callable[..., Any]) -> Any:
        module = importlib.import_module(f"tests.contract.harness_{request.param}")
        return module.Harness(make_sandbox, control_of)
