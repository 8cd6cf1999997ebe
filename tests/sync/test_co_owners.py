"""Issue 19: co-owned KRs (``owners: [a, b]``, ``owner`` still accepted): every owner's typed value counts,
every owner's department makes the objective cross-sector, and ``status`` shows every owner.

Through the engine, the real msgraph-sdk and the sandbox's Graph emulator (the Planner KR of
test_typed_values_planner, typed by its second owner)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from okr_sync.cli.views import status_json, status_table
from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text
from okr_sync.config.models import Settings
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.engine.cycle import Engine
from okr_sync.engine.domain import build_domain
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.contract.harness_planner import NO_SLEEP
from tests.sync.test_typed_values_planner import CLERK, NOW, OWNER, config, fixture


def co_owned(sb: Sandbox, tmp_path: Path) -> dict[str, Any]:
    data = config(sb, tmp_path, "pt-BR")
    data["people"] = [{"id": "ana", "name": "Ana Ruiz", "department": "PGE", "identities": {"planner": OWNER["id"]}},
                      {"id": "bruno", "name": "Bruno Dias", "department": "MPE",
                       "identities": {"planner": CLERK["id"]}}]
    kr = data["objectives"][0]["key_results"][0]
    kr.pop("owner")
    kr["owners"] = ["ana", "bruno"]
    return data


def test_a_co_owners_value_counts_and_both_agencies_make_the_objective_cross_sector(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = make_sandbox(fixture("3,6", CLERK))  # typed by Bruno, the second owner
    settings = Settings.model_validate(co_owned(sb, tmp_path))
    store = StateStore.open(settings.state.url)
    connector = PlannerConnector("planner", settings.trackers["planner"], sleep=NO_SLEEP)  # type: ignore[arg-type]
    try:
        report = Engine(settings, store, {"planner": connector}, clock=lambda: NOW).cycle()
    finally:
        store.close()
        connector.close()
    assert report.problems == []
    status = report.computed.key_results["OBJ1-KR1"]
    assert status.current == 3.6 and status.provenance.manual_author == CLERK["id"]
    objective = report.computed.objectives["OBJ1"]
    assert objective.departments == ("PGE", "MPE") and objective.cross_sector
    domain = build_domain(settings)
    [kr] = status_json(domain, report.computed)["key_results"]
    assert (kr["owner"], kr["owners"], kr["departments"]) == ("ana", ["ana", "bruno"], ["PGE", "MPE"])
    assert [k["id"] for k in status_json(domain, report.computed, owner="bruno")["key_results"]] == ["OBJ1-KR1"]
    console = Console(width=200, record=True)
    console.print(status_table(domain, report.computed, width=200, names={"ana": "Ana Ruiz", "bruno": "Bruno Dias"}))
    assert "Ana Ruiz, Bruno Dias" in console.export_text()


BASE = """\
people:
  - {id: ana, name: Ana Ruiz, department: PGE}
  - {id: bruno, name: Bruno Dias, department: MPE}
cycles: [{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}]
objectives:
  - id: OBJ1
    cycle: 2026-Q4
    title: Answers citizens trust
    why: Trust
    owner: ana
    key_results:
      - id: OBJ1-KR1
        title: Satisfaction
        OWNERS
        measure: {type: completion}
"""


@pytest.mark.parametrize(("owners", "expected"), [
    ("owners: [ana, bruno]", ("ana", ["ana", "bruno"])),
    ("owner: ana\n        owners: [bruno, ana]", ("ana", ["ana", "bruno"])),
    ("owner: bruno", ("bruno", ["bruno"])),
], ids=["owners", "owner-and-owners", "owner-alone"])
def test_owner_and_owners_are_one_list(owners: str, expected: tuple[str, list[str]]) -> None:
    kr = load_text(BASE.replace("OWNERS", owners), environ={}).settings.objectives[0].key_results[0]
    assert (kr.owner, kr.owners) == expected


def test_an_unknown_co_owner_is_named_on_its_line() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_text(BASE.replace("OWNERS", "owners: [ana, brunno]"), file="okr-sync.yaml", environ={})
    assert [(p.line, p.path, p.message) for p in caught.value.problems] == [
        (14, "objectives.0.key_results.0.owners.1", "unknown person 'brunno'; did you mean 'bruno'? (owners are ids "
                                                     "of the people directory)")]
