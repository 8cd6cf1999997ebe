"""Shared helpers of the Jira emulator tests (no tests here): a sandbox with the real core and a fixture.

The Jira tests run the shared sandbox core (counting, faults, control API) with the real Jira
emulator and contract stubs for GitLab and Graph, so they depend on no other emulator.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

from okr_sync.sandbox.server import Sandbox
from tests.conftest import stub_factories

USERS = [
    {"name": "okr-bot", "displayName": "OKR Sync Bot", "email": "okr-bot@sandbox.example",
     "token": "sandbox-jira-token"},
    {"name": "viewer", "displayName": "Read-only Viewer", "email": "viewer@sandbox.example",
     "token": "sandbox-jira-readonly", "read_only": True},
    {"name": "maria", "displayName": "Maria Souza", "email": "maria@pge.example", "timeZone": "America/Sao_Paulo"},
]
FIXTURE: dict[str, Any] = {
    "users": USERS,
    "projects": [{"key": "OKR", "name": "Objectives", "lead": "okr-bot"},
                 {"key": "PGE", "name": "State Attorney's Office", "lead": "maria",
                  "issue_types": ["Task", "Sub-task", "Epic"]}],
    "link_types": [{"name": "Contributes", "outward": "contributes to", "inward": "is contributed to by"}],
    "fields": [
        {"name": "OKR Progress", "type": "number"},
        {"name": "OKR Status", "type": "select", "options": ["Not started", "On track", "At risk"]},
        {"name": "Key Result", "type": "string"},
        {"name": "OKR Last Sync", "type": "datetime"},
    ],
    "issues": [
        {"key": "OKR-1", "type": "Key Result", "summary": "OBJ1-KR1: Recover 12 million",
         "status": "In Progress", "assignee": "maria", "labels": ["okr-kr"],
         "fields": {"OKR Progress": 40, "OKR Status": "On track"},
         "comments": [{"author": "maria", "body": "Kick-off done", "created": "2026-10-01T08:00:00Z"}],
         "created": "2026-09-28T09:00:00Z", "updated": "2026-10-01T08:00:00Z"},
        {"key": "PGE-1", "type": "Task", "summary": "Settle case 17", "status": "Done", "assignee": "maria",
         "labels": ["kr:OBJ1-KR1"], "duedate": "2026-10-09", "links": [{"type": "Contributes", "to": "OKR-1"}],
         "created": "2026-10-02T09:00:00Z", "updated": "2026-10-08T16:30:00Z"},
        {"key": "PGE-2", "type": "Task", "summary": "Settle case 18", "status": "To Do", "flagged": True,
         "fields": {"Key Result": "OBJ1-KR1"}, "created": "2026-10-03T09:00:00Z"},
        {"key": "PGE-3", "type": "Sub-task", "parent": "PGE-2", "summary": "Call the debtor's lawyer",
         "status": "Done", "resolution": "Won't Do", "created": "2026-10-04T09:00:00Z"},
    ],
}


def start_sandbox(deployment: str, fixture: dict[str, Any] | None = None) -> Sandbox:
    """A started sandbox whose Jira section is ``fixture`` (default: :data:`FIXTURE`)."""
    stubs = stub_factories()
    section = dict(FIXTURE if fixture is None else fixture)
    return Sandbox({"jira": section}, jira_deployment=deployment.lower(),
                   emulator_factories={"gitlab": stubs["gitlab"], "planner": stubs["planner"]}).start()


def raw(sb: Sandbox, method: str, path: str, body: Any = None, *, auth: str | None = "bot",
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """A plain HTTP call to the Jira emulator: (status, headers, parsed JSON or None)."""
    info = sb.info["jira"]
    creds = {"bot": (info["user"], info["token"]), "viewer": (info["readonly_user"], "sandbox-jira-readonly"),
             "bad": (info["user"], "wrong-token")}
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if auth in creds:
        user, token = creds[auth]
        hdrs["Authorization"] = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
    elif auth is not None:
        hdrs["Authorization"] = auth
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(info["url"] + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, dict(response.headers), json.loads(payload) if payload else None
    except urllib.error.HTTPError as exc:
        with exc:
            payload = exc.read()
            return exc.code, dict(exc.headers), json.loads(payload) if payload else None
