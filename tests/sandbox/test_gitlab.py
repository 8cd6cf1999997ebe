"""The GitLab emulator as python-gitlab sees it: paths, paging with filters, writes, notes, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import gitlab
import pytest
import requests

from okr_sync.sandbox.server import Sandbox

TOKEN = "sandbox-gitlab-token"
READONLY = "sandbox-gitlab-readonly"
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


class JiraPlaceholder:
    """Stands in for the Jira emulator: these tests exercise GitLab only."""

    mount = "/jira"

    def __init__(self, clock: Any, fixture: Any = None, **kwargs: Any) -> None:
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "application/json; charset=utf-8")])
        return [b'{"errorMessages": ["not here"], "errors": {}}']

    def snapshot(self) -> dict[str, Any]:
        return {}


FACTORIES: dict[str, Any] = {"jira": JiraPlaceholder,
                             "planner": type("GraphPlaceholder", (JiraPlaceholder,), {"mount": "/graph/v1.0"})}


def _fixture() -> dict[str, Any]:
    issues = []
    for n in range(30):
        labels = ["okr", "kr::KR-1"] if n % 2 == 0 else ["okr"]
        stamp = (START + timedelta(days=n)).isoformat()
        issues.append({"project": "okr/work", "title": f"Weekly action {n}", "labels": labels,
                       "created_at": stamp, "updated_at": stamp, "description": f"Plan item {n}",
                       "state": "closed" if n % 5 == 0 else "opened"})
    for n in range(4):
        issues.append({"project": "okr/court/audits", "title": f"Audit step {n}", "labels": ["okr"],
                       "created_at": START.isoformat(), "assignees": ["okr-bot"]})
    return {"gitlab": {
        "groups": [{"path": "okr", "name": "OKR"}, {"path": "okr/court", "name": "Audit court"}],
        "projects": [{"path": "okr/work", "name": "work", "labels": ["okr", "kr::KR-1"]},
                     {"path": "okr/court/audits", "name": "audits"}],
        "issues": issues,
        "total_header_limit": 20,
    }}


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    with Sandbox(_fixture(), emulator_factories=FACTORIES) as sb:
        yield sb


@pytest.fixture
def sb(module_sandbox: Sandbox, control_of: Any) -> Sandbox:
    module_sandbox.reset()
    return module_sandbox


@pytest.fixture
def control(sb: Sandbox, control_of: Any) -> Any:
    return control_of(sb)


@pytest.fixture
def gl(sb: Sandbox) -> gitlab.Gitlab:
    return gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=TOKEN)


def test_projects_and_groups_by_id_and_encoded_path(gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("okr/work")
    assert project.path_with_namespace == "okr/work"
    assert gl.projects.get(project.id).name == "work"
    court = gl.groups.get("okr/court")
    assert court.full_path == "okr/court"
    assert [g.full_path for g in gl.groups.get("okr").subgroups.list(get_all=True)] == ["okr/court"]
    assert gl.user is None
    gl.auth()
    assert gl.user.username == "okr-bot"
    assert gl.users.list(username="viewer", get_all=True)[0].username == "viewer"
    assert gl.version()[0] is not None


def test_issue_paging_follows_link_across_pages_and_keeps_filters(gl: gitlab.Gitlab, control: Any) -> None:
    project = gl.projects.get("okr/work")
    control.reset_requests()
    since = (START + timedelta(days=4)).isoformat()
    listed = list(project.issues.list(labels=["okr", "kr::KR-1"], updated_after=since, state="opened",
                                      order_by="updated_at", sort="asc", per_page=3, iterator=True))
    expected = [n for n in range(4, 30) if n % 2 == 0 and n % 5 != 0]
    assert [i.title for i in listed] == [f"Weekly action {n}" for n in expected]
    assert all({"okr", "kr::KR-1"} <= set(i.labels) for i in listed)
    pages = control.count("GET /gitlab/api/v4/projects/{id}/issues")
    assert pages == -(-len(expected) // 3) >= 3


def test_link_header_is_absolute_and_keeps_every_filter(sb: Sandbox) -> None:
    url = sb.info["gitlab"]["url"] + "/api/v4/projects/okr%2Fwork/issues"
    response = requests.get(url, params={"labels": "okr", "search": "action", "per_page": 5, "page": 2},
                            headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    nxt = response.links["next"]["url"]
    assert nxt.startswith(sb.info["gitlab"]["url"] + "/api/v4/projects/okr%2Fwork/issues?")
    assert "labels=okr" in nxt and "search=action" in nxt and "page=3" in nxt and "per_page=5" in nxt
    assert response.headers["X-Page"] == "2" and response.headers["X-Next-Page"] == "3"
    assert "X-Total" not in response.headers  # 30 rows > total_header_limit (20), as on large GitLab sets
    assert "last" not in response.links
    small = requests.get(url, params={"labels": "kr::KR-1", "state": "closed"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert small.headers["X-Total"] == str(len(small.json())) == "3"


def test_group_issues_include_subgroups_and_filters(gl: gitlab.Gitlab) -> None:
    group = gl.groups.get("okr")
    everything = group.issues.list(get_all=True, per_page=7)
    assert len(everything) == 34
    audits = group.issues.list(get_all=True, search="audit", assignee_username="okr-bot")
    assert sorted(i.title for i in audits) == [f"Audit step {n}" for n in range(4)]
    closed = group.issues.list(get_all=True, state="closed", order_by="created_at", sort="asc")
    assert [i.title for i in closed] == [f"Weekly action {n}" for n in (0, 5, 10, 15, 20, 25)]


def test_issue_create_save_labels_and_updated_at_advance(gl: gitlab.Gitlab, control: Any) -> None:
    control.set_clock("2026-11-20T10:00:00+00:00", frozen=True)
    project = gl.projects.get("okr/work")
    issue = project.issues.create({"title": "Publish permit FAQ", "labels": ["okr"], "weight": 2,
                                   "due_date": "2026-11-27", "assignee_ids": [1]})
    assert issue.iid == 31 and issue.state == "opened"
    assert issue.created_at == issue.updated_at == "2026-11-20T10:00:00.000Z"
    assert issue.web_url.endswith("/gitlab/okr/work/-/issues/31")
    assert issue.references["full"] == "okr/work#31"
    issue.labels = ["okr", "kr::KR-2"]
    issue.description = "Updated plan"
    issue.save()
    fresh = project.issues.get(issue.iid)
    assert fresh.labels == ["kr::KR-2", "okr"] and fresh.description == "Updated plan"
    assert fresh.updated_at > issue.created_at
    before = fresh.updated_at
    data = gl.http_put(f"/projects/{project.id}/issues/{issue.iid}",
                       post_data={"add_labels": "kr::KR-3,week::2026-W47", "remove_labels": "okr"})
    assert data["labels"] == ["kr::KR-3", "week::2026-W47"]  # scoped kr:: replaced, okr removed
    assert data["updated_at"] > before
    unchanged = gl.http_put(f"/projects/{project.id}/issues/{issue.iid}", post_data={"weight": 2})
    assert unchanged["updated_at"] == data["updated_at"]  # nothing changed: Rails does not touch
    assert any(lb.name == "week::2026-W47" for lb in project.labels.list(get_all=True))


def test_close_reopen_and_field_clearing(gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("okr/work")
    issue = project.issues.get(2)
    issue.state_event = "close"
    issue.save()
    assert issue.state == "closed" and issue.closed_at is not None
    assert issue.attributes["closed_by"]["username"] == "okr-bot"
    system = [n for n in issue.notes.list(get_all=True) if n.system]
    assert [n.body for n in system] == ["closed"]
    issue.state_event = "reopen"
    issue.due_date = "2026-12-01"
    issue.save()
    assert issue.state == "opened" and issue.closed_at is None and issue.due_date == "2026-12-01"
    cleared = gl.http_put(f"/projects/{project.id}/issues/2", post_data={"due_date": None, "assignee_ids": []})
    assert cleared["due_date"] is None and cleared["assignees"] == []


def test_notes_create_update_get_delete_and_paging(gl: gitlab.Gitlab, control: Any) -> None:
    issue = gl.projects.get("okr/work").issues.get(3)
    notes = [issue.notes.create({"body": f"Check-in {n}"}) for n in range(7)]
    assert notes[0].author["username"] == "okr-bot" and notes[0].system is False
    touched = gl.projects.get("okr/work").issues.get(3)
    assert touched.updated_at == notes[-1].created_at and touched.user_notes_count == 7
    note = issue.notes.get(notes[2].id)
    note.body = "Check-in 2 (edited)"
    note.save()
    assert issue.notes.get(notes[2].id).body == "Check-in 2 (edited)"
    assert issue.notes.get(notes[2].id).updated_at > notes[2].created_at
    control.reset_requests()
    listed = list(issue.notes.list(iterator=True, per_page=3))
    assert [n.id for n in listed] == [n.id for n in reversed(notes)]  # newest first, as GitLab
    assert control.count("GET /gitlab/api/v4/projects/{id}/issues/{issue_iid}/notes") == 3
    asc = issue.notes.list(get_all=True, sort="asc", order_by="updated_at")
    assert asc[-1].id == notes[2].id
    issue.notes.delete(notes[0].id)
    assert len(issue.notes.list(get_all=True)) == 6


def test_issue_links_and_their_conflicts(gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("okr/work")
    audits = gl.projects.get("okr/court/audits")
    source = project.issues.get(1)
    source_issue, target_issue = source.links.create({"target_project_id": audits.id, "target_issue_iid": 2})
    assert source_issue.iid == 1 and target_issue.iid == 2
    linked = source.links.list(get_all=True)
    assert [(i.iid, i.link_type) for i in linked] == [(2, "relates_to")]
    with pytest.raises(gitlab.GitlabCreateError) as conflict:
        source.links.create({"target_project_id": audits.id, "target_issue_iid": 2})
    assert conflict.value.response_code == 409
    with pytest.raises(gitlab.GitlabCreateError) as itself:
        source.links.create({"target_project_id": "okr/work", "target_issue_iid": 1})
    assert itself.value.response_code == 422
    with pytest.raises(gitlab.GitlabCreateError) as missing:
        source.links.create({"target_project_id": audits.id, "target_issue_iid": 999})
    assert missing.value.response_code == 404


@pytest.mark.parametrize(
    ("case", "status", "exception"),
    [
        ("bad token", 401, gitlab.GitlabAuthenticationError),
        ("read-only write", 403, gitlab.GitlabCreateError),
        ("unknown issue", 404, gitlab.GitlabGetError),
        ("unknown project", 404, gitlab.GitlabGetError),
        ("duplicate label", 409, gitlab.GitlabCreateError),
        ("missing title", 400, gitlab.GitlabHttpError),
        ("negative weight", 400, gitlab.GitlabUpdateError),
        ("bad state filter", 400, gitlab.GitlabListError),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_errors_surface_as_python_gitlab_exceptions(sb: Sandbox, case: str, status: int, exception: type) -> None:
    url = sb.info["gitlab"]["url"]
    gl = gitlab.Gitlab(url, private_token=TOKEN)
    actions = {
        "bad token": lambda: gitlab.Gitlab(url, private_token="nope").projects.get("okr/work"),
        "read-only write": lambda: gitlab.Gitlab(url, private_token=READONLY).projects.get("okr/work")
        .issues.create({"title": "x"}),
        "unknown issue": lambda: gl.projects.get("okr/work").issues.get(999),
        "unknown project": lambda: gl.projects.get("okr/nope"),
        "duplicate label": lambda: gl.projects.get("okr/work").labels.create({"name": "okr", "color": "#00ff00"}),
        "missing title": lambda: gl.http_post("/projects/okr%2Fwork/issues", post_data={"description": "x"}),
        "negative weight": lambda: _save(gl.projects.get("okr/work").issues.get(1), weight=-1),
        "bad state filter": lambda: gl.projects.get("okr/work").issues.list(state="bogus", get_all=True),
    }
    with pytest.raises(exception) as raised:
        actions[case]()
    assert raised.value.response_code == status
    assert raised.value.error_message  # GitLab's "message" / "error" text reached the exception


def _save(obj: Any, **changes: Any) -> None:
    for key, value in changes.items():
        setattr(obj, key, value)
    obj.save()


def test_read_only_user_can_read(sb: Sandbox) -> None:
    viewer = gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=READONLY)
    assert len(viewer.projects.get("okr/work").issues.list(get_all=True, per_page=100)) == 30


def test_wire_bodies_form_json_and_content_type(sb: Sandbox) -> None:
    url = sb.info["gitlab"]["url"] + "/api/v4/projects/okr%2Fwork/issues"
    headers = {"PRIVATE-TOKEN": TOKEN}
    form = requests.post(url, data={"title": "From a form", "labels": "a,b"}, headers=headers, timeout=10)
    assert form.status_code == 201 and form.json()["labels"] == ["a", "b"]
    as_text = requests.post(url, data=json.dumps({"title": "Not parsed"}),
                            headers={**headers, "Content-Type": "text/plain"}, timeout=10)
    assert as_text.status_code == 400 and as_text.json() == {"error": "title is missing"}
    broken = requests.post(url, data="{", headers={**headers, "Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and "error" in broken.json()
    unknown = requests.get(sb.info["gitlab"]["url"] + "/api/v4/nothing", headers=headers, timeout=10)
    assert unknown.status_code == 404 and unknown.json() == {"error": "404 Not Found"}
    wrong = requests.patch(url, json={}, headers=headers, timeout=10)
    assert wrong.status_code == 405
    anonymous = requests.get(url, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json() == {"message": "401 Unauthorized"}
    unsupported = requests.get(url, params={"due_date": "overdue"}, headers=headers, timeout=10)
    assert unsupported.status_code == 400 and "not emulated" in unsupported.json()["error"]


def test_rate_limit_429_is_retried_by_python_gitlab(sb: Sandbox, control: Any, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("okr/work")
    control.reset_requests()
    control.fault("GET /gitlab/api/v4/projects/*/issues", "429", times=2, retry_after=0)
    assert len(project.issues.list(get_all=True, per_page=100)) == 30
    assert control.requests()["total"] == 3
    control.fault("GET /gitlab/api/v4/projects/*/issues", "503", times=1)
    with pytest.raises(gitlab.GitlabListError) as raised:
        project.issues.list(get_all=True)
    assert raised.value.response_code == 503
    control.fault("GET /gitlab/api/v4/projects/*/issues", "503", times=1)
    patient = gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=TOKEN, retry_transient_errors=True)
    assert len(patient.projects.get("okr/work").issues.list(get_all=True, per_page=100)) == 30


def test_project_create_and_snapshot(gl: gitlab.Gitlab, sb: Sandbox) -> None:
    group = gl.groups.get("okr")
    created = gl.projects.create({"name": "Portal", "namespace_id": group.id})
    assert created.path_with_namespace == "okr/portal"
    with pytest.raises(gitlab.GitlabCreateError) as taken:
        gl.projects.create({"name": "Portal", "namespace_id": group.id})
    assert taken.value.response_code == 400
    assert [p.path for p in group.projects.list(get_all=True)] == ["work", "portal"]
    snapshot = json.loads(json.dumps(sb.emulators["gitlab"].snapshot()))
    assert any(p["path_with_namespace"] == "okr/portal" for p in snapshot["projects"])
    assert len(snapshot["issues"]) == 34


def test_empty_fixture_holds_okr_work_only(make_sandbox: Any) -> None:
    sb = make_sandbox("empty", emulator_factories=FACTORIES)
    gl = gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=TOKEN)
    project = gl.projects.get("okr/work")
    assert project.issues.list(get_all=True) == []
    assert [g.full_path for g in gl.groups.list(get_all=True)] == ["okr"]
    assert sb.info["gitlab"]["project"] == "okr/work"


def test_demo_fixture_pages_through_the_shared_sandbox(sandbox: Sandbox, control_of: Any) -> None:
    sandbox.reset()
    control = control_of(sandbox)
    gl = gitlab.Gitlab(sandbox.info["gitlab"]["url"], private_token=TOKEN)
    project = gl.projects.get(sandbox.info["gitlab"]["project"])
    everything = project.issues.list(get_all=True, per_page=100)
    weekly = [i for i in everything if any(lb.startswith("week::") for lb in i.labels)]
    assert len(weekly) >= 20
    week = next(lb for lb in weekly[0].labels if lb.startswith("week::"))
    expected = sorted(i.iid for i in everything if week in i.labels and i.state == "opened")
    control.reset_requests()
    paged = list(project.issues.list(labels=[week], state="opened", per_page=2, iterator=True))
    assert sorted(i.iid for i in paged) == expected
    assert control.count("GET /gitlab/api/v4/projects/{id}/issues") == max(1, -(-len(expected) // 2))
    group = gl.groups.get(sandbox.info["gitlab"]["group"])
    assert len(group.issues.list(get_all=True, per_page=25)) == len(everything)


@pytest.mark.parametrize(
    ("params", "status", "check"),
    [
        ({"page": "abc"}, 400, lambda r: r.json() == {"error": "page is invalid"}),
        ({"per_page": "1000"}, 200, lambda r: r.headers["X-Per-Page"] == "100" and len(r.json()) == 30),
        ({"per_page": "0"}, 200, lambda r: r.headers["X-Per-Page"] == "20"),
        ({"updated_after": "last tuesday"}, 400, lambda r: r.json() == {"error": "updated_after is invalid"}),
        ({"order_by": "priority"}, 400, lambda r: "not emulated" in r.json()["error"]),
        ({"sort": "sideways"}, 400, lambda r: r.json() == {"error": "sort does not have a valid value"}),
        ({"labels": "None"}, 200, lambda r: r.json() == []),
        ({"labels": "Any", "not[labels]": "kr::KR-1"}, 200, lambda r: len(r.json()) == 15),
        ({"iids[]": ["1", "2"]}, 200, lambda r: sorted(i["iid"] for i in r.json()) == [1, 2]),
        ({"page": "99"}, 200, lambda r: r.json() == [] and "next" not in r.links),
    ],
    ids=["page-not-a-number", "per-page-capped", "per-page-zero", "bad-time", "order-not-emulated", "bad-sort",
         "labels-none", "labels-any-not", "iids-array", "page-past-end"],
)
def test_hostile_list_parameters(sb: Sandbox, params: dict[str, Any], status: int, check: Any) -> None:
    url = sb.info["gitlab"]["url"] + "/api/v4/projects/okr%2Fwork/issues"
    response = requests.get(url, params=params, headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
    assert response.status_code == status
    assert check(response)


def test_concurrent_creates_get_distinct_iids(sb: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = sb.info["gitlab"]["url"] + "/api/v4/projects/okr%2Fwork/issues"

    def create(n: int) -> int:
        response = requests.post(url, json={"title": f"Parallel {n}"}, headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
        assert response.status_code == 201
        return int(response.json()["iid"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        iids = sorted(pool.map(create, range(16)))
    assert iids == list(range(31, 47))


def test_label_search_token_self_and_project_permissions(sb: Sandbox, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("okr/work")
    assert [lb.name for lb in project.labels.list(search="KR-", get_all=True)] == ["kr::KR-1"]
    assert [lb.name for lb in project.labels.list(search="nothing-like-this", get_all=True)] == []
    assert project.permissions == {"project_access": None,
                                   "group_access": {"access_level": 30, "notification_level": 3}}
    mine = gl.http_get("/personal_access_tokens/self")
    assert mine["scopes"] == ["api"] and mine["active"] is True and mine["revoked"] is False
    assert "token" not in mine  # the value is never shown
    viewer = gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=READONLY)
    assert viewer.http_get("/personal_access_tokens/self")["scopes"] == ["read_api"]
    assert viewer.projects.get("okr/work").permissions["group_access"]["access_level"] == 20
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as refused:
        viewer.projects.get("okr/work").labels.create({"name": "x", "color": "#ffffff"})
    assert refused.value.response_code == 403 and "insufficient_scope" in str(refused.value.error_message)
