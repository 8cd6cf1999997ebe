"""GitLab connector pulls against the sandbox with the real python-gitlab: request accounting, watermark,
de-duplication across scopes, link rules and the issue → work item translation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from okr_sync.config.errors import AuthError
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.mapping import HomeItem, StatusCategory
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, client, settings_for

ISSUES_ROUTE = "GET /gitlab/api/v4/projects/{id}/issues"
GROUP_ISSUES_ROUTE = "GET /gitlab/api/v4/groups/{id}/issues"
LINKS_ROUTE = "GET /gitlab/api/v4/projects/{id}/issues/{issue_iid}/links"


def _bulk_fixture(count: int, *, spacing: timedelta = timedelta(minutes=10)) -> dict[str, Any]:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    issues = [{"project": PROJECT, "title": f"Task {n}", "labels": ["kr::OBJ1-KR1"] if n % 2 else [],
               "created_at": (start + n * spacing).isoformat()} for n in range(count)]
    issues.append({"project": "okr/sub/extra", "title": "Elsewhere", "labels": ["kr::OBJ1-KR2"],
                   "created_at": "2026-11-02T09:00:00Z"})
    return {"gitlab": {"groups": [{"path": "okr"}, {"path": "okr/sub"}],
                       "projects": [{"path": PROJECT}, {"path": "okr/sub/extra"}], "issues": issues}}


def test_first_pull_pages_by_100_and_idle_pull_is_one_call_per_scope(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_bulk_fixture(250))
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb, scope={"projects": [PROJECT], "groups": ["okr"]}),
                                sleep=NO_SLEEP)
    control.reset_requests()

    first = connector.pull(None, PullSpec())

    routes = control.requests()["by_route"]
    assert routes == {ISSUES_ROUTE: 3, GROUP_ISSUES_ROUTE: 3}  # ⌈250/100⌉ and ⌈251/100⌉ per scope
    assert connector.requests_made == 6
    keys = [item.key for item in first.items]
    assert len(keys) == len(set(keys)) == 251, "the project's issues also come through the group: de-duplicated"
    assert first.full and first.scopes == ("project okr/work", "group okr")
    assert sum("OBJ1-KR1" in item.kr_ids for item in first.items) == 125

    control.reset_requests()
    idle = connector.pull(first.watermark, PullSpec())
    assert idle.items == [] and not idle.full
    assert control.requests()["by_route"] == {ISSUES_ROUTE: 1, GROUP_ISSUES_ROUTE: 1}
    query = json.loads(idle.watermark)["scopes"]["project okr/work"]
    assert query["after"] == json.loads(first.watermark)["scopes"]["project okr/work"]["after"]

    project = client(sb).projects.get(PROJECT)
    issue = project.issues.get(7)
    issue.labels = ["kr::OBJ1-KR3"]
    issue.save()
    changed = connector.pull(idle.watermark, PullSpec())
    assert [(item.key, item.kr_ids) for item in changed.items] == [(f"{PROJECT}#7", ("OBJ1-KR3",))]
    again = connector.pull(changed.watermark, PullSpec())
    assert again.items == []


def test_items_inside_the_overlap_window_are_not_delivered_twice(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_bulk_fixture(150, spacing=timedelta(0)))  # all updated at the same instant
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    first = connector.pull(None, PullSpec())
    assert len(first.items) == 150
    control.reset_requests()
    idle = connector.pull(first.watermark, PullSpec())
    assert idle.items == []
    assert control.requests()["by_route"] == {ISSUES_ROUTE: 2}, "150 issues inside the 2 min overlap: 2 pages"


def test_a_failing_scope_keeps_its_watermark_and_the_others_advance(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_bulk_fixture(3))
    connector = GitLabConnector("gitlab", settings_for(sb, scope={"projects": [PROJECT, "okr/missing"]}),
                                sleep=NO_SLEEP)
    result = connector.pull(None, PullSpec())
    assert len(result.items) == 3
    assert [(p.subject, p.disposition) for p in result.problems] == [("project okr/missing", "skippable")]
    assert "okr/missing" in result.problems[0].message and "not found" in result.problems[0].message
    assert not result.full, "a scope was not read: the engine must not treat absent items as deleted"
    marks = json.loads(result.watermark)["scopes"]
    assert marks["project okr/missing"]["after"] is None and marks["project okr/work"]["after"]


TRANSLATION_FIXTURE: dict[str, Any] = {"gitlab": {
    "projects": [{"path": PROJECT, "milestones": [{"title": "2026-W50"}, {"title": "Q4", "due_date": "2026-12-31"}]}],
    "users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"}, {"username": "ana", "token": "t-ana"}],
    "issues": [
        {"project": PROJECT, "title": "KR home", "created_at": "2026-11-02T09:00:00Z"},                     # 1
        {"project": PROJECT, "title": "[OBJ1-KR2][OBJ2-KR1] Publish data", "labels": ["KR::OBJ1-KR1", "blocked"],
         "weight": 3, "due_date": "2026-11-27", "assignees": ["ana"], "created_at": "2026-11-02T09:00:00Z"},  # 2
        {"project": PROJECT, "title": "Done thing", "labels": ["kr:OBJ3-KR1", "week::2026-W49", "cases::12"],
         "state": "closed", "milestone": "2026-W50", "created_at": "2026-11-02T09:00:00Z"},              # 3
        {"project": PROJECT, "title": "Dropped", "labels": ["kr::OBJ1-KR1", "wontfix"], "state": "closed",
         "created_at": "2026-11-02T09:00:00Z"},                                                        # 4
        {"project": PROJECT, "title": "Doing", "labels": ["workflow::in progress", "workflow::blocked"],
         "milestone": "Q4", "created_at": "2026-11-02T09:00:00Z"},                                     # 5
        {"project": PROJECT, "title": "Unrelated", "labels": ["kr-OBJ1-KR1"], "created_at": "2026-11-02T09:00:00Z"},
    ],
    "links": [{"source": f"{PROJECT}#5", "target": f"{PROJECT}#1", "link_type": "blocks"},
              {"source": f"{PROJECT}#6", "target": f"{PROJECT}#1", "link_type": "relates_to"}],
}}


def test_link_rules_status_week_points_and_numbers(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(TRANSLATION_FIXTURE)
    control = control_of(sb)
    rules = [{"label": "kr::{kr}"}, {"label": "kr:{kr}"}, {"title_prefix": "[{kr}]"}, {"issue_link": "blocks"}]
    connector = GitLabConnector("gitlab", settings_for(sb, link=rules), sleep=NO_SLEEP)
    spec = PullSpec(kr_homes={"OBJ9-KR9": HomeItem("gitlab", f"{PROJECT}#1")},
                    number_fields=frozenset({"weight", "cases", "upvotes"}))
    control.reset_requests()
    items = {item.key.rpartition("#")[2]: item for item in connector.pull(None, spec).items}
    assert control.requests()["by_route"] == {ISSUES_ROUTE: 1, LINKS_ROUTE: 1}

    work = items["2"]
    assert work.kr_ids == ("OBJ1-KR1", "OBJ1-KR2", "OBJ2-KR1")  # scoped label, case-insensitive; two prefixes
    assert (work.status, work.blocked, work.assignee) == (StatusCategory.TODO, True, "ana")
    assert (work.points, work.due, work.planned_week) == (3.0, date(2026, 11, 27), "2026-W48")
    assert work.numbers == {"weight": 3.0, "upvotes": 0.0}
    assert work.url and work.url.endswith("/okr/work/-/issues/2")

    done = items["3"]
    assert done.kr_ids == ("OBJ3-KR1",) and done.status == StatusCategory.DONE
    assert done.planned_week == "2026-W49", "the week label wins over the milestone"
    assert done.numbers == {"cases": 12.0, "upvotes": 0.0}
    assert done.completed is not None and done.completed.tzinfo is not None

    assert items["4"].status == StatusCategory.CANCELLED
    doing = items["5"]
    assert (doing.status, doing.blocked, doing.kr_ids) == (StatusCategory.IN_PROGRESS, True, ("OBJ9-KR9",))
    assert doing.planned_week == "2026-W53", "no week label or due date: the milestone's due date"
    assert items["6"].kr_ids == (), "relates_to is not the configured link type; kr-… is not kr::…"
    assert items["1"].updated == datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_bad_token_is_an_auth_error_naming_no_secret(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    connector = GitLabConnector("gitlab", settings_for(sb, token="glpat-wrong-4242"), sleep=NO_SLEEP)
    with pytest.raises(AuthError) as caught:
        connector.pull(None, PullSpec())
    assert "glpat-wrong-4242" not in str(caught.value) and "credentials rejected" in str(caught.value)
    assert connector.requests_made == 1, "401 is never retried"


def test_a_new_issue_link_to_a_kr_home_counts_as_a_change(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_bulk_fixture(3))
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb, link=[{"issue_link": "relates_to"}]), sleep=NO_SLEEP)
    spec = PullSpec(kr_homes={"OBJ1-KR1": HomeItem("gitlab", f"{PROJECT}#1")})
    first = connector.pull(None, spec)
    assert all(item.kr_ids == () for item in first.items)
    control.reset_requests()
    assert connector.pull(first.watermark, spec).items == []
    assert control.requests()["by_route"] == {ISSUES_ROUTE: 1, LINKS_ROUTE: 1}
    work = client(sb).projects.get(PROJECT).issues.get(3)
    work.links.create({"target_project_id": PROJECT, "target_issue_iid": 1})
    changed = connector.pull(first.watermark, spec)
    assert [(item.key, item.kr_ids) for item in changed.items] == [(f"{PROJECT}#3", ("OBJ1-KR1",))]
    assert connector.pull(changed.watermark, spec).items == [], "a link is a change once, not for the overlap"


def _edit_during_pull(sb: Any, transport: Any, iids: list[int], *, after_page: int = 1) -> list[int]:
    """Edit ``iids`` right after the ``after_page``-th issues page reached ``transport`` (before the next
    request is sent), as people working in GitLab would; returns the iids edited so far."""
    editor = client(sb).projects.get(PROJECT)
    edited: list[int] = []

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if "/issues" in response.url and not edited and response.headers.get("X-Page") == str(after_page):
            for iid in iids:
                issue = editor.issues.get(iid)
                issue.labels = ["kr::OBJ1-KR9"]
                issue.save()
                edited.append(iid)
        return response

    transport.gl.session.hooks["response"].append(hook)
    return edited


def test_issues_edited_between_page_requests_are_never_skipped(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_bulk_fixture(250))
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    edited = _edit_during_pull(sb, connector.transport, [2, 5, 9, 40, 77, 150])  # on pages 1 and 2
    control.reset_requests()

    pulled = connector.pull(None, PullSpec())

    assert len(edited) == 6
    keys = {item.key for item in pulled.items}
    assert keys == {f"{PROJECT}#{n}" for n in range(1, 251)}, f"skipped: {sorted(set(range(1, 251)) - keys)}"
    assert control.count(ISSUES_ROUTE) == connector.requests_made == 3  # still ⌈250/100⌉ (the rest: the edits)
    touched = {item.key for item in pulled.items if "OBJ1-KR9" in item.kr_ids}
    assert f"{PROJECT}#150" in touched  # read after its edit: the new copy
    later = connector.pull(pulled.watermark, PullSpec())  # the edits on page 1 come back as changes
    assert {f"{PROJECT}#{n}" for n in (2, 5, 9, 40, 77)} <= {item.key for item in later.items}


def test_the_emulator_shifts_updated_at_pages_like_gitlab(make_sandbox: Callable[..., Any]) -> None:
    """The hazard the created_at order avoids, shown on the emulator: offset pages by updated_at skip issues."""
    sb = make_sandbox(_bulk_fixture(250))
    editor = client(sb).projects.get(PROJECT)
    reader = client(sb).projects.get(PROJECT)
    seen: list[int] = []
    for page in (1, 2, 3):
        rows = reader.issues.list(order_by="updated_at", sort="asc", per_page=100, page=page, state="all")
        seen += [row.iid for row in rows]
        if page == 1:
            for iid in (2, 5, 9):
                issue = editor.issues.get(iid)
                issue.labels = ["touched"]
                issue.save()
    assert len(set(seen)) < 250 and len(seen) == 250  # three issues read twice, three never
