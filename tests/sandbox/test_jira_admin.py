"""Jira emulator set-up paths: the empty fixture, custom fields and options, demo data, faults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jira import JIRA, JIRAError

from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.fixtures import load_fixture
from okr_sync.sandbox.jira import JiraEmulator
from okr_sync.sandbox.jira_fixture import FixtureError, build_state
from tests.conftest import SandboxControl
from tests.sandbox.jira_support import raw, start_sandbox

FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_empty_fixture_is_exactly_what_issue_5_says(deployment: str) -> None:
    sb = start_sandbox(deployment, fixture={})
    try:
        info = sb.info["jira"]
        client = JIRA(info["url"], basic_auth=(info["user"], info["token"]))
        assert client.server_info()["deploymentType"] == deployment
        assert [p.key for p in client.projects()] == ["OKR"]
        okr = client.project("OKR")
        assert [t.name for t in okr.issueTypes] == ["Task", "Sub-task", "Epic", "Key Result"]
        assert [f for f in client.fields() if f["custom"]] == []
        assert client.search_issues("project = OKR") == []
        issue = client.create_issue(project="OKR", issuetype="Task", summary="first")
        assert issue.key == "OKR-1" and issue.fields.status.name == "To Do"
        steps = []
        for target in ("In Progress", "Done"):
            names = [t["name"] for t in client.transitions(issue)]
            steps.append(names)
            client.transition_issue(issue, target)
        assert steps == [["In Progress", "Done"], ["To Do", "Done"]]
        assert client.issue(issue.key).fields.status.statusCategory.key == "done"
        client.close()
        viewer = JIRA(info["url"], basic_auth=(info["readonly_user"], "sandbox-jira-readonly"))
        with pytest.raises(JIRAError) as refused:
            viewer.add_comment(issue.key, "hi")
        assert refused.value.status_code == 403
        viewer.close()
        users = sb.snapshot()["jira"]["users"]
        assert [(u["name"], u["read_only"]) for u in users] == [("okr-bot", False), ("viewer", True)]
    finally:
        sb.stop()


def test_custom_fields_contexts_and_options_on_cloud() -> None:
    sb = start_sandbox("Cloud", fixture={})
    try:
        status, _, field = raw(sb, "POST", "/rest/api/2/field", {"name": "OKR Status", "type": SELECT})
        assert status == 201 and field["id"] == "customfield_10000" and field["schema"]["custom"] == SELECT
        assert raw(sb, "POST", "/rest/api/2/field", {"name": "okr status", "type": SELECT})[0] == 400
        assert raw(sb, "POST", "/rest/api/2/field", {"name": "Odd", "type": "made-up"})[2]["errors"]["type"]
        status, _, number = raw(sb, "POST", "/rest/api/2/field", {"name": "OKR Progress", "type": FLOAT})
        assert number["id"] == "customfield_10001"
        assert raw(sb, "GET", f"/rest/api/2/field/{number['id']}/context/1/option")[2]["errorMessages"] == [
            "The custom field doesn't support options."]
        contexts = raw(sb, "GET", f"/rest/api/2/field/{field['id']}/context")[2]
        assert contexts["total"] == 1 and contexts["values"][0]["isGlobalContext"] is True
        ctx = contexts["values"][0]["id"]
        base = f"/rest/api/2/field/{field['id']}/context/{ctx}/option"
        status, _, created = raw(sb, "POST", base, {"options": [{"value": "On track"}, {"value": "At risk"}]})
        assert status == 200 and [o["value"] for o in created["options"]] == ["On track", "At risk"]
        assert raw(sb, "POST", base, {"options": [{"value": "on track"}]})[0] == 400
        listed = raw(sb, "GET", base)[2]
        assert [o["value"] for o in listed["values"]] == ["On track", "At risk"] and listed["isLast"] is True
        status, _, issue = raw(sb, "POST", "/rest/api/2/issue", {"fields": {
            "project": {"key": "OKR"}, "issuetype": {"name": "Key Result"}, "summary": "KR",
            field["id"]: {"value": "At risk"}, number["id"]: 30}})
        assert status == 201
        at_risk = created["options"][1]["id"]
        raw(sb, "PUT", base, {"options": [{"id": at_risk, "disabled": True}]})
        status, _, body = raw(sb, "PUT", f"/rest/api/2/issue/{issue['key']}",
                              {"fields": {field["id"]: {"id": at_risk}}})
        assert status == 400 and "is not valid" in body["errors"][field["id"]]
        got = raw(sb, "GET", f"/rest/api/2/issue/{issue['key']}?fields={field['id']},{number['id']}")[2]["fields"]
        assert got == {field["id"]: {"self": got[field["id"]]["self"], "value": "At risk", "id": at_risk,
                                     "disabled": True}, number["id"]: 30.0}
        assert raw(sb, "GET", f"/rest/api/2/customFieldOption/{at_risk}")[2]["value"] == "At risk"
        status, _, ctx2 = raw(sb, "POST", f"/rest/api/2/field/{field['id']}/context",
                              {"name": "OKR only", "projectIds": ["10000"]})
        assert status == 201 and ctx2["projectIds"] == ["10000"]
    finally:
        sb.stop()


def test_server_has_no_context_api_but_creates_fields() -> None:
    sb = start_sandbox("Server", fixture={})
    try:
        status, _, field = raw(sb, "POST", "/rest/api/2/field", {"name": "OKR Progress", "type": FLOAT})
        assert status == 201
        # Server/DC has no /field/{id}/context: the route answers, the deployment refuses
        status, _, _ = raw(sb, "GET", f"/rest/api/2/field/{field['id']}/context")
        assert status == 404
        assert raw(sb, "GET", "/rest/api/2/issue/OKR-1/changelog")[0] == 404
    finally:
        sb.stop()


def test_demo_fixture_loads_and_answers_jql() -> None:
    _, fixture = load_fixture("demo")
    emulator = JiraEmulator(SandboxClock(), fixture.get("jira"))
    snapshot = emulator.snapshot()
    json.dumps(snapshot)
    assert len(snapshot["issues"]) >= 40
    assert any(i["fields"].get("Flagged") == ["Impediment"] for i in snapshot["issues"])


@pytest.mark.parametrize(("section", "fragment"), [
    ({"deployment": "OnPrem"}, "deployment must be Cloud or Server"),
    ({"projects": [{"key": "okr"}]}, "upper-case"),
    ({"fields": [{"name": "X", "type": "float"}]}, "type 'float' is not one of"),
    ({"issues": [{"key": "OKR-1", "status": "Blocked"}]}, "status 'Blocked'"),
    ({"issues": [{"key": "OKR-1", "type": "Sub-task"}]}, "needs a parent"),
    ({"issues": [{"key": "OKR-1", "fields": {"Nope": 1}}]}, "no custom field named 'Nope'"),
    ({"issues": [{"key": "OKR-1", "assignee": "ghost"}]}, "unknown user 'ghost'"),
])
def test_fixture_errors_name_the_entry(section: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FixtureError) as caught:
        build_state(section, SandboxClock().now())
    assert fragment in str(caught.value)


def test_library_retries_a_429_with_retry_after(control_of: type[SandboxControl]) -> None:
    sb = start_sandbox("Cloud")
    try:
        control = control_of(sb)
        control.fault("GET /jira/rest/api/2/issue/*", "429", times=1, retry_after=1)
        info = sb.info["jira"]
        client = JIRA(info["url"], basic_auth=(info["user"], info["token"]), max_retries=1)
        assert client.issue("OKR-1").key == "OKR-1"
        client.close()
        assert control.count("GET /jira/rest/api/2/issue/{issueIdOrKey}") == 1  # the retry reached us
        assert control.requests()["faulted"] == {"GET /jira/rest/api/2/issue/OKR-1": 1}
    finally:
        sb.stop()
