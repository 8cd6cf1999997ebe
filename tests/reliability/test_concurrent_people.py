"""People edit KR home items between okr-sync's read and its write; their edits always survive (issue 12).

The engine reads each home item, plans its writes, and only then applies them. Here a person edits every
home item in that gap — exactly when okr-sync's view is stale — through the trackers' own APIs: Jira
description, label and comment; GitLab description (outside okr-sync's markers), label and note; Planner
title, checklist and description. okr-sync's writes must land and every edit of the person must survive.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any

import gitlab
import pytest
from azure.identity import ClientSecretCredential
from jira import JIRA

from okr_sync.sandbox.fixtures.demo import planner_task_id
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.connectors.jira_own import marked
from tests.sync.support import demo_settings, engine_for, sqlite_url

pytestmark = pytest.mark.reliability


class Graph:
    """A person's Planner client: plain HTTP with a token from the real identity endpoint."""

    def __init__(self, info: dict[str, Any]) -> None:
        p = info["planner"]
        credential = ClientSecretCredential(p["tenant_id"], p["client_id"], p["client_secret"],
                                            authority=p["authority"], disable_instance_discovery=True,
                                            connection_verify=p["ca_cert"])
        self.token = credential.get_token("https://graph.microsoft.com/.default").token
        self.base = p["graph_url"]

    def get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def patch(self, path: str, body: dict[str, Any]) -> None:
        etag = self.get(path)["@odata.etag"]
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="PATCH",
                                         headers={"Authorization": f"Bearer {self.token}", "If-Match": etag,
                                                  "Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()


def test_people_editing_between_read_and_write_keep_their_edits(make_sandbox: Any, tmp_path: Any) -> None:
    sb = make_sandbox("demo")
    info = sb.info
    settings = demo_settings(sb, sqlite_url(tmp_path))
    store = StateStore.open(settings.state.url)
    engine_for(settings, store).cycle()

    jira = JIRA(info["jira"]["url"], basic_auth=(info["jira"]["email"], info["jira"]["token"]),
                options={"rest_api_version": "2"})
    lab = gitlab.Gitlab(info["gitlab"]["url"], private_token=info["gitlab"]["token"])
    graph = Graph(info)
    task = planner_task_id("OBJ2-KR2")
    edited: list[str] = []

    def person_edits() -> None:
        if edited:
            return
        issue = jira.issue("PGE-2")
        issue.update(fields={"description": (issue.fields.description or "") + "\nPerson: hearing moved."},
                     update={"labels": [{"add": "person-label"}]})
        jira.add_comment("PGE-2", "Person: please check the figures.")
        home = lab.projects.get("transparency/portal").issues.get(1)
        home.description = (home.description or "") + "\n\nPerson: release notes drafted."
        home.labels = [*home.labels, "person-label"]
        home.save()
        home.notes.create({"body": "Person: demo on Friday."})
        graph.patch(f"/planner/tasks/{task}", {"title": "OBJ2-KR2: Close 1,200 pending licence requests (Q4)"})
        details = graph.get(f"/planner/tasks/{task}/details")
        graph.patch(f"/planner/tasks/{task}/details", {
            "description": (details.get("description") or "") + "\nPerson: inspectors hired.",
            "checklist": {"99999999-0000-4000-8000-000000000099": {
                "@odata.type": "microsoft.graph.plannerChecklistItem", "title": "Person: call the union"}}})
        edited.append("done")

    later = engine_for(settings, store, clock=lambda: AS_OF + timedelta(days=3))
    for connector in later.connectors.values():
        real_apply = connector.apply

        def apply_after_person(writes: Any, real_apply: Any = real_apply) -> Any:
            person_edits()  # the gap: okr-sync has read and planned; a person edits; then it writes
            return real_apply(writes)

        connector.apply = apply_after_person  # type: ignore[method-assign]
    report = later.cycle()
    assert edited and report.writes > 0, report.problems

    issue = jira.issue("PGE-2")
    assert "Person: hearing moved." in issue.fields.description and "person-label" in issue.fields.labels
    comments = [c.body for c in jira.comments("PGE-2")]
    assert "Person: please check the figures." in comments
    assert [m for m, _ in marked(jira, "PGE-2")].count("okr-sync:status:OBJ1-KR1") == 1
    home = lab.projects.get("transparency/portal").issues.get(1)
    assert "Person: release notes drafted." in home.description and "okr-sync:begin" in home.description
    assert "person-label" in home.labels and any(label.startswith("okr-status::") for label in home.labels)
    assert any(n.body == "Person: demo on Friday." for n in home.notes.list(get_all=True))
    planner_task = graph.get(f"/planner/tasks/{task}")
    details = graph.get(f"/planner/tasks/{task}/details")
    assert planner_task["title"].endswith("(Q4)")
    assert "Person: inspectors hired." in details["description"] and "okr-sync" in details["description"]
    assert any(i["title"] == "Person: call the union" for i in details["checklist"].values())
    store.close()
