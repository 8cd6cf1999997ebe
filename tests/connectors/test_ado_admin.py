"""Azure DevOps people, doctor and setup against the emulator: users across x-ms-continuationtoken pages,
doctor checks with their fixes, custom fields as manual process steps (nothing created through the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.admin import admin_of
from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
from okr_sync.connectors.base import PullSpec
from okr_sync.mapping import HomeItem
from tests.contract.harness_azure_devops import NO_SLEEP, Client, settings_for

PEOPLE = [{"name": f"Person {n}", "email": f"person{n}@agency.gov"} for n in range(5)]
FIELDS = {"status_field": "Custom.OKRStatus", "progress_field": "Custom.OKRProgress"}


def _connector(sb: Any, **overrides: Any) -> AzureDevOpsConnector:
    return AzureDevOpsConnector("ado", settings_for(sb, **overrides), sleep=NO_SLEEP)


def test_people_are_listed_across_continuation_pages(make_sandbox: Callable[..., Any],
                                                     control_of: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"users": PEOPLE, "users_page": 2}})
    control = control_of(sb)
    control.reset_requests()
    people = _connector(sb).list_users()
    assert [p["identity"] for p in people] == ["okr-bot@sandbox.example"] + [p["email"] for p in PEOPLE]
    assert people[1] == {"identity": "person0@agency.gov", "name": "Person 0", "email": "person0@agency.gov"}
    assert control.requests()["total"] == 3, "six users, two per page"


def test_doctor_is_green_and_names_each_problem_with_its_fix(make_sandbox: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {"users": PEOPLE, "fields": [{"reference": "Custom.OKRStatus", "name": "OKR Status"}]}}
    sb = make_sandbox(fixture)
    home = HomeItem("ado", str(Client(sb).create("KR home", kind="Epic")))
    connector = _connector(sb, write=FIELDS)
    admin = admin_of(connector)
    assert admin is not None
    homes = {"OBJ1-KR1": home, "OBJ1-KR2": HomeItem("ado", "999")}
    checks = {c.topic: c for c in admin.doctor(PullSpec(kr_homes=homes), homes,
                                               {"ana": "person1@agency.gov", "rui": "rui@agency.gov"})}
    assert checks["credentials"].level == "ok" and checks["project"].level == "ok"
    assert checks["field Custom.OKRStatus"].level == "ok"
    missing = checks["field Custom.OKRProgress"]
    assert missing.level == "fail" and "write.progress_field" in missing.detail and "okr-sync setup" in missing.fix
    assert checks["KR homes"].level == "fail" and "OBJ1-KR2 (work item 999)" in checks["KR homes"].detail
    assert checks["people"].level == "warn" and "rui" in checks["people"].detail
    assert checks["webhook secret"].level == "ok"
    wrong = admin_of(_connector(sb, token="wrong-pat-5150"))
    assert wrong is not None
    [*_, failed] = wrong.doctor(PullSpec(), {}, {})
    assert failed.topic == "credentials" and "Work Items (Read & Write)" in failed.fix


def test_setup_lists_missing_fields_as_manual_process_steps(make_sandbox: Callable[..., Any],
                                                            control_of: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"fields": [{"reference": "Custom.OKRStatus", "name": "OKR Status"}]}})
    admin = admin_of(_connector(sb, write=FIELDS, link=[{"field": "Custom.KeyResult"}]))
    assert admin is not None
    steps = admin.setup_plan({})
    assert [(s.target, s.manual) for s in steps] == [("Custom.OKRProgress", True), ("Custom.KeyResult", True)]
    assert "inherited process" in steps[0].detail and "Decimal" in steps[0].detail
    control = control_of(sb)
    control.reset_requests()
    results = admin.apply_setup(steps)
    assert [r.ok for r in results] == [False, False] and results[0].message.startswith("do this by hand")
    assert control.requests()["writes"] == 0, "setup changes no process through the API"
