"""The Jira emulator driven by the unmodified ``jira`` library, on Cloud and on Server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from jira import JIRA, JIRAError

from okr_sync.sandbox.server import Sandbox
from tests.conftest import SandboxControl
from tests.sandbox.jira_support import raw, start_sandbox


@pytest.fixture(scope="module", params=["Cloud", "Server"])
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    sandbox = start_sandbox(request.param)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def jira(sb: Sandbox) -> Iterator[JIRA]:
    info = sb.info["jira"]
    client = JIRA(info["url"], basic_auth=(info["user"], info["token"]), max_retries=0)
    yield client
    client.close()


def _new_issues(jira: JIRA, label: str, count: int) -> list[str]:
    return [jira.create_issue(project="OKR", issuetype="Task", summary=f"{label} #{n}", labels=[label],
                              prefetch=False).key for n in range(count)]


def test_construction_reads_server_info_and_myself(sb: Sandbox, jira: JIRA) -> None:
    info = jira.server_info()
    assert info["deploymentType"] == sb.info["jira"]["deployment"]
    assert info["baseUrl"] == sb.info["jira"]["url"]
    assert jira._version == tuple(info["versionNumbers"])
    me = jira.myself()
    assert me["displayName"] == "OKR Sync Bot"
    if info["deploymentType"] == "Cloud":
        assert me["accountId"].startswith("557058:") and "name" not in me
    else:
        assert me["name"] == me["key"] == "okr-bot" and "accountId" not in me


def test_bearer_token_auth_works_on_server_and_is_refused_by_cloud(sb: Sandbox) -> None:
    # Cloud API tokens are Basic e-mail:token; Bearer is for Data Center personal access tokens
    if sb.info["jira"]["deployment"] == "Cloud":
        with pytest.raises(JIRAError) as refused:  # already the first request (serverInfo) fails
            JIRA(sb.info["jira"]["url"], token_auth=sb.info["jira"]["token"], max_retries=0)
        assert refused.value.status_code == 401
        return
    client = JIRA(sb.info["jira"]["url"], token_auth=sb.info["jira"]["token"], max_retries=0)
    try:
        assert client.myself()["displayName"] == "OKR Sync Bot"
    finally:
        client.close()


def test_fields_list_system_and_custom_fields_with_clause_names(jira: JIRA) -> None:
    fields = {f["id"]: f for f in jira.fields()}
    assert fields["labels"]["clauseNames"] == ["labels"]
    assert fields["updated"]["schema"] == {"type": "datetime", "system": "updated"}
    progress = next(f for f in fields.values() if f["name"] == "OKR Progress")
    assert progress["id"].startswith("customfield_100") and progress["custom"] is True
    assert progress["clauseNames"] == [f"cf[{progress['schema']['customId']}]", "OKR Progress"]
    assert progress["schema"]["type"] == "number"
    assert jira._fields_cache["OKR Progress"] == progress["id"]


def test_projects_issue_types_and_users(sb: Sandbox, jira: JIRA) -> None:
    assert [p.key for p in jira.projects()] == ["OKR", "PGE"]
    okr = jira.project("OKR")
    assert [t.name for t in okr.issueTypes] == ["Task", "Sub-task", "Epic", "Key Result"]
    assert jira.issue_type_by_name("Key Result", project=okr.id).hierarchyLevel == 0
    found = jira.search_users(query="maria")
    assert [u.displayName for u in found] == ["Maria Souza"]
    assert found[0].timeZone == "America/Sao_Paulo"
    user = jira.user(found[0].accountId if jira._is_cloud else found[0].name)
    if jira._is_cloud:  # Cloud hides the e-mail unless the user's profile shows it
        assert "emailAddress" not in user.raw
    else:
        assert user.emailAddress == "maria@pge.example"


def test_issue_json_has_what_connectors_read(sb: Sandbox, jira: JIRA) -> None:
    kr = jira.issue("OKR-1")
    base = sb.info["jira"]["url"]
    assert kr.self == f"{base}/rest/api/2/issue/{kr.id}"
    f = kr.fields
    assert (f.summary, f.status.name, f.status.statusCategory.key) == (
        "OBJ1-KR1: Recover 12 million", "In Progress", "indeterminate")
    assert f.labels == ["okr-kr"] and f.assignee.displayName == "Maria Souza"
    progress = jira._fields_cache["OKR Progress"]
    status = jira._fields_cache["OKR Status"]
    assert getattr(f, progress) == 40.0
    assert getattr(f, status).value == "On track"
    assert f.updated == "2026-10-01T08:00:00.000+0000"  # the bot's zone is UTC
    assert f.comment.comments[0].body == "Kick-off done"
    link = f.issuelinks[0]
    assert link.type.name == "Contributes" and link.inwardIssue.key == "PGE-1"
    done = jira.issue("PGE-1")
    assert done.fields.resolution.name == "Done" and done.fields.resolutiondate == "2026-10-08T16:30:00.000+0000"
    assert done.fields.duedate == "2026-10-09"
    assert done.fields.issuelinks[0].outwardIssue.key == "OKR-1"
    parent = jira.issue("PGE-2")
    flagged = jira._fields_cache["Flagged"]
    assert [o.value for o in getattr(parent.fields, flagged)] == ["Impediment"]
    assert [s.key for s in parent.fields.subtasks] == ["PGE-3"]
    sub = jira.issue("PGE-3")
    assert sub.fields.parent.key == "PGE-2" and sub.fields.resolution.name == "Won't Do"


def test_fields_parameter_limits_the_answer(jira: JIRA) -> None:
    issue = jira.issue("OKR-1", fields="summary,labels")
    assert set(issue.raw["fields"]) == {"summary", "labels"}
    everything = jira.issue("OKR-1", fields="*all,-comment")
    assert "comment" not in everything.raw["fields"] and "updated" in everything.raw["fields"]
    found = jira.search_issues("key = OKR-1", fields="summary,status")
    assert set(found[0].raw["fields"]) == {"summary", "status"}
    found = jira.search_issues("key = OKR-1", fields="*navigable")
    assert "comment" not in found[0].raw["fields"] and "labels" in found[0].raw["fields"]


def test_paging_walks_three_pages_in_the_deployments_style(sb: Sandbox, jira: JIRA,
                                                          control_of: type[SandboxControl]) -> None:
    keys = _new_issues(jira, "paging-a", 7)
    control = control_of(sb)
    control.reset_requests()
    jql = "labels = paging-a ORDER BY key"
    if jira._is_cloud:
        first = jira.enhanced_search_issues(jql, maxResults=3, json_result=True)
        assert "total" not in first and len(first["issues"]) == 3 and first["nextPageToken"]
        seen, token, pages = [i["key"] for i in first["issues"]], first["nextPageToken"], 1
        while token:
            page = jira.enhanced_search_issues(jql, nextPageToken=token, maxResults=3, json_result=True)
            seen += [i["key"] for i in page["issues"]]
            token, pages = page.get("nextPageToken"), pages + 1
        assert seen == keys and pages == 3
        assert control.count("GET /jira/rest/api/2/search/jql") == 3
    else:
        seen = []
        for start in (0, 3, 6):
            page = jira.search_issues(jql, startAt=start, maxResults=3, json_result=True)
            assert (page["startAt"], page["maxResults"], page["total"]) == (start, 3, 7)
            seen += [i["key"] for i in page["issues"]]
        assert seen == keys
        assert control.count("GET /jira/rest/api/2/search") == 3


def test_fetch_all_follows_pages_through_the_library(sb: Sandbox, control_of: type[SandboxControl]) -> None:
    info = sb.info["jira"]
    client = JIRA(info["url"], basic_auth=(info["user"], info["token"]),
                  default_batch_sizes={__import__("jira").Issue: 2})
    try:
        keys = _new_issues(client, "paging-b", 5)
        control = control_of(sb)
        control.reset_requests()
        found = client.search_issues("labels = paging-b ORDER BY key", maxResults=False if client._is_cloud
                                     else 0, use_post=True)
        assert [i.key for i in found] == keys
        route = "/search/jql" if client._is_cloud else "/search"
        # Cloud: the library pages by 100, one page here; Server: batches of 2 → 3 pages
        assert control.count(f"POST /jira/rest/api/2{route}") == (1 if client._is_cloud else 3)
    finally:
        client.close()


def test_server_caps_max_results_and_echoes_it(sb: Sandbox) -> None:
    if sb.info["jira"]["deployment"] == "Cloud":
        status, _, body = raw(sb, "GET", "/rest/api/2/search?jql=project%3DOKR")
        assert status == 410 and "removed" in body["errorMessages"][0]
        status, _, body = raw(sb, "GET", "/rest/api/2/search/jql?jql=project%3DOKR&maxResults=5000&fields=*all")
        assert status == 200 and "total" not in body
    else:
        status, _, body = raw(sb, "GET", "/rest/api/2/search?jql=project%3DOKR&maxResults=5000")
        assert status == 200 and body["maxResults"] == 1000 and body["total"] >= 1
        assert raw(sb, "GET", "/rest/api/2/search/jql?jql=project%3DOKR")[0] == 404


def test_writes_are_visible_and_move_updated(jira: JIRA) -> None:
    issue = jira.create_issue(project="OKR", issuetype="Key Result", summary="OBJ9-KR1: write test",
                              labels=["w"])
    assert issue.fields.status.name == "To Do" and issue.fields.resolution is None
    stamps = [issue.fields.updated]
    progress, status = jira._fields_cache["OKR Progress"], jira._fields_cache["OKR Status"]
    issue.update(fields={progress: 55.5, status: {"value": "At risk"}}, update={"labels": [{"add": "x"}]})
    stamps.append(issue.fields.updated)
    assert getattr(issue.fields, progress) == 55.5 and getattr(issue.fields, status).value == "At risk"
    assert issue.fields.labels == ["w", "x"]
    option_id = getattr(issue.fields, status).id
    issue.update(fields={status: {"id": option_id}, "duedate": "2026-12-31"},
                 update={"labels": [{"remove": "w"}]})
    stamps.append(issue.fields.updated)
    assert issue.fields.labels == ["x"] and issue.fields.duedate == "2026-12-31"
    comment = jira.add_comment(issue.key, "status: at risk")
    stamps.append(jira.issue(issue.key).fields.updated)
    comment.update(body="status: on track")
    stamps.append(jira.issue(issue.key).fields.updated)
    assert [c.body for c in jira.comments(issue.key)] == ["status: on track"]
    assert jira.comment(issue.key, comment.id).body == "status: on track"
    names = {t["name"]: t for t in jira.transitions(issue)}
    assert set(names) == {"In Progress", "Done"} and names["Done"]["to"]["statusCategory"]["key"] == "done"
    jira.transition_issue(issue, "Done")
    issue = jira.issue(issue.key, expand="changelog")
    stamps.append(issue.fields.updated)
    assert issue.fields.status.name == "Done" and issue.fields.resolution.name == "Done"
    assert issue.fields.resolutiondate == issue.fields.updated
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    jira.transition_issue(issue, "In Progress")
    issue = jira.issue(issue.key, expand="changelog")
    assert issue.fields.resolution is None and issue.fields.resolutiondate is None
    items = [(h.author.displayName, i.field, i.toString) for h in issue.changelog.histories for i in h.items]
    assert ("OKR Sync Bot", "OKR Progress", "55.5") in items
    assert ("OKR Sync Bot", "status", "Done") in items and ("OKR Sync Bot", "resolution", None) in items
    issue.delete()
    with pytest.raises(JIRAError) as gone:
        jira.issue(issue.key)
    assert gone.value.status_code == 404


def test_won_t_do_resolution_through_a_transition(jira: JIRA) -> None:
    issue = jira.create_issue(project="OKR", issuetype="Task", summary="dropped")
    jira.transition_issue(issue, "Done", fields={"resolution": {"name": "Won't Do"}})
    assert jira.issue(issue.key).fields.resolution.name == "Won't Do"


def test_parent_sub_tasks_and_links(jira: JIRA) -> None:
    epic = jira.create_issue(project="OKR", issuetype="Epic", summary="epic")
    task = jira.create_issue(project="OKR", issuetype="Task", summary="task")
    sub = jira.create_issue(project="OKR", issuetype="Sub-task", summary="sub", parent={"key": task.key})
    assert jira.issue(task.key).fields.subtasks[0].key == sub.key
    if jira._is_cloud:
        task.update(fields={"parent": {"key": epic.key}})
        assert jira.search_issues(f"parent = {epic.key}")[0].key == task.key
    else:
        with pytest.raises(JIRAError) as refused:
            task.update(fields={"parent": {"key": epic.key}})
        assert refused.value.status_code == 400 and "parent" in refused.value.response.json()["errors"]
    jira.create_issue_link("Blocks", task.key, epic.key)
    links = jira.issue(epic.key).fields.issuelinks
    assert links[0].type.inward == "is blocked by" and links[0].inwardIssue.key == task.key
    assert [lt.name for lt in jira.issue_link_types()][:4] == ["Blocks", "Cloners", "Duplicate", "Relates"]
    jira.delete_issue_link(links[0].id)
    assert jira.issue(epic.key).fields.issuelinks == []


def test_jql_over_the_library(jira: JIRA) -> None:
    def keys(jql: str) -> list[str]:
        return [i.key for i in jira.search_issues(jql, maxResults=200, fields="summary")]

    assert keys("project = PGE ORDER BY key") == ["PGE-1", "PGE-2", "PGE-3"]
    assert keys('project = PGE AND statusCategory = Done ORDER BY key DESC') == ["PGE-3", "PGE-1"]
    assert keys('"Key Result" ~ "OBJ1-KR1"') == ["PGE-2"]
    assert keys("Flagged is not EMPTY") == ["PGE-2"]
    assert keys('"OKR Status" = "On track"') == ["OKR-1"]
    assert keys("cf[10000] >= 40 AND project = OKR AND labels = okr-kr") == ["OKR-1"]
    assert keys("parent = PGE-2") == ["PGE-3"]
    assert keys("issuetype in (Sub-task, Epic) AND project = PGE") == ["PGE-3"]
    assert keys('project = PGE AND updated >= "2026-10-08 16:30" AND updated < "2026-10-09"') == ["PGE-1"]
    assert keys("project = PGE AND resolution = \"Won't Do\"") == ["PGE-3"]


@pytest.mark.parametrize(("jql", "message"), [
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("nosuch = 1", "Field 'nosuch' does not exist"),
    ("project = OKR ORDER BY", "Expecting a field name"),
    ("status changed", "not supported"),
])
def test_bad_jql_is_a_400_in_jira_shape(sb: Sandbox, jira: JIRA, jql: str, message: str) -> None:
    with pytest.raises(JIRAError) as caught:
        jira.search_issues(jql)
    assert caught.value.status_code == 400
    body = caught.value.response.json()
    assert body["errors"] == {} and body["errorMessages"][0].startswith("Error in the JQL Query: ")
    assert message in body["errorMessages"][0]


def test_minute_resolution_in_the_users_time_zone(sb: Sandbox, control_of: type[SandboxControl]) -> None:
    emulator = sb.emulators["jira"]
    info = sb.info["jira"]
    emulator.set_time_zone("okr-bot", "Asia/Kolkata")  # UTC+05:30
    control = control_of(sb)
    control.set_clock("2026-11-24T10:15:30+00:00", frozen=True)
    client = JIRA(info["url"], basic_auth=(info["user"], info["token"]))
    try:
        issue = client.create_issue(project="OKR", issuetype="Task", summary="tz", labels=["tz"])
        assert issue.fields.updated == "2026-11-24T15:45:30.000+0530"
        # minute resolution in the bot's zone: 15:45 local includes the write at 15:45:30, 15:46 does not
        assert [i.key for i in client.search_issues('labels = tz AND updated >= "2026-11-24 15:45"')] == [issue.key]
        assert client.search_issues('labels = tz AND updated >= "2026-11-24 15:46"') == []
        # the same literal read in UTC would be hours in the future: proof the zone is applied
        assert client.search_issues('labels = tz AND updated >= "2026-11-24 10:15"')[0].key == issue.key
        control.advance(120)
        assert [i.key for i in client.search_issues("labels = tz AND updated >= -3m")] == [issue.key]
        assert client.search_issues("labels = tz AND updated >= -1m") == []
    finally:
        client.close()
        emulator.set_time_zone("okr-bot", "UTC")
        control.set_clock((datetime.now(UTC) + timedelta(seconds=1)).isoformat())


def test_comment_paging_delete_and_assign(sb: Sandbox, jira: JIRA) -> None:
    issue = jira.create_issue(project="OKR", issuetype="Task", summary="comments")
    ids = [jira.add_comment(issue.key, f"c{n}").id for n in range(5)]
    page = jira._get_json(f"issue/{issue.key}/comment", params={"startAt": 1, "maxResults": 2})
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 2, 5)
    assert [c["body"] for c in page["comments"]] == ["c1", "c2"]
    assert [c.body for c in jira.comments(issue.key, order_by="-created")] == ["c4", "c3", "c2", "c1", "c0"]
    jira.comment(issue.key, ids[0]).delete()
    assert [c.id for c in jira.comments(issue.key)] == ids[1:]
    maria = jira.search_users(query="maria")[0]
    jira.assign_issue(issue.key, maria.accountId if jira._is_cloud else maria.name)
    assert jira.issue(issue.key).fields.assignee.displayName == "Maria Souza"
    jira.assign_issue(issue.key, None)
    assert jira.issue(issue.key).fields.assignee is None
