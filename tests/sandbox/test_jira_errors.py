"""Jira emulator refusals: 400/401/403/404/405/410 with Jira's status, shape and words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="module")
def field_ids(sb: Sandbox) -> dict[str, str]:
    return {f["name"]: f["id"] for f in raw(sb, "GET", "/rest/api/2/field")[2]}


def jira_shape(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"errorMessages", "errors"}


def test_no_credentials_only_server_info_answers(sb: Sandbox) -> None:
    status, headers, _ = raw(sb, "GET", "/rest/api/2/serverInfo", auth=None)
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    status, headers, body = raw(sb, "GET", "/rest/api/2/issue/OKR-1", auth=None)
    assert status == 401 and jira_shape(body)
    assert body["errorMessages"] == ["You are not authenticated. Authentication required to perform this operation."]
    if sb.info["jira"]["deployment"] == "Cloud":
        assert "WWW-Authenticate" in headers
    else:
        assert headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


@pytest.mark.parametrize("auth", ["bad", "Bearer nope", "Basic !!!", "Token sandbox-jira-token"])
def test_bad_credentials_are_401_everywhere(sb: Sandbox, auth: str) -> None:
    for path in ("/rest/api/2/serverInfo", "/rest/api/2/myself"):
        status, _, body = raw(sb, "GET", path, auth=auth)
        assert status == 401 and jira_shape(body)


def test_the_library_reports_bad_credentials(sb: Sandbox) -> None:
    with pytest.raises(JIRAError) as caught:
        JIRA(sb.info["jira"]["url"], basic_auth=("okr-bot", "wrong"), max_retries=0)
    assert caught.value.status_code == 401 and "not authenticated" in caught.value.text


def test_email_login_works_like_on_cloud(sb: Sandbox) -> None:
    client = JIRA(sb.info["jira"]["url"], basic_auth=("okr-bot@sandbox.example", "sandbox-jira-token"))
    try:
        assert client.myself()["displayName"] == "OKR Sync Bot"
    finally:
        client.close()


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/rest/api/2/issue", {"fields": {"project": {"key": "OKR"}, "issuetype": {"name": "Task"},
                                              "summary": "x"}}),
    ("PUT", "/rest/api/2/issue/OKR-1", {"fields": {"summary": "x"}}),
    ("DELETE", "/rest/api/2/issue/PGE-3", None),
    ("POST", "/rest/api/2/issue/OKR-1/comment", {"body": "x"}),
    ("POST", "/rest/api/2/issue/OKR-1/transitions", {"transition": {"id": "31"}}),
    ("POST", "/rest/api/2/issueLink", {"type": {"name": "Relates"}, "inwardIssue": {"key": "OKR-1"},
                                       "outwardIssue": {"key": "PGE-2"}}),
    ("POST", "/rest/api/2/field", {"name": "X", "type": "com.atlassian.jira.plugin.system.customfieldtypes:float"}),
])
def test_read_only_user_gets_403_on_every_write(sb: Sandbox, control_of: type[SandboxControl],
                                                method: str, path: str, body: Any) -> None:
    before = sb.snapshot()["jira"]
    status, _, answer = raw(sb, method, path, body, auth="viewer")
    assert status == 403 and jira_shape(answer) and answer["errorMessages"][0].startswith(("You do not", "Only"))
    assert sb.snapshot()["jira"] == before
    assert raw(sb, "GET", "/rest/api/2/issue/OKR-1", auth="viewer")[0] == 200
    assert raw(sb, "POST", "/rest/api/2/search" + ("/jql" if sb.info["jira"]["deployment"] == "Cloud" else ""),
               {"jql": "project = OKR"}, auth="viewer")[0] == 200


@pytest.mark.parametrize("path", ["/rest/api/2/issue/NOPE-1", "/rest/api/2/issue/99999",
                                  "/rest/api/2/issue/NOPE-1/comment", "/rest/api/2/issue/NOPE-1/transitions"])
def test_unknown_issue_is_404(sb: Sandbox, path: str) -> None:
    status, _, body = raw(sb, "GET", path)
    assert (status, body) == (404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                                    "errors": {}})


def test_unknown_route_and_wrong_method(sb: Sandbox) -> None:
    status, _, body = raw(sb, "GET", "/rest/api/2/nothing/here")
    assert status == 404 and jira_shape(body)
    status, _, body = raw(sb, "PATCH", "/rest/api/2/issue/OKR-1", {"fields": {}})
    assert status == 405 and jira_shape(body)
    status, _, body = raw(sb, "POST", "/rest/api/3/issue", {"fields": {}})
    assert status == 405 and jira_shape(body)  # v3 is served for reads only


def _put(sb: Sandbox, body: dict[str, Any], key: str = "OKR-1") -> tuple[int, Any]:
    status, _, answer = raw(sb, "PUT", f"/rest/api/2/issue/{key}", body)
    return status, answer


def test_bad_edits_are_400_with_field_errors_and_change_nothing(sb: Sandbox, field_ids: dict[str, str]) -> None:
    before = sb.snapshot()["jira"]
    progress, status_field = field_ids["OKR Progress"], field_ids["OKR Status"]
    cases = [
        ({"fields": {"customfield_99999": 1}}, "customfield_99999", "cannot be set"),
        ({"fields": {status_field: {"value": "Sideways"}}}, status_field, "Option value 'Sideways' is not valid"),
        ({"fields": {status_field: {"id": "1"}}}, status_field, "Option id '1' is not valid"),
        ({"fields": {progress: "forty"}}, progress, "must be a number"),
        ({"fields": {"status": {"name": "Done"}}}, "status", "cannot be set"),
        ({"fields": {"labels": ["two words"]}}, "labels", "cannot contain spaces"),
        ({"fields": {"summary": "a\nb"}}, "summary", "newline"),
        ({"fields": {"duedate": "next week"}}, "duedate", "Error parsing date string"),
        ({"fields": {"labels": ["a"]}, "update": {"labels": [{"add": "b"}]}}, "labels", "both"),
        ({"update": {progress: [{"add": 3}]}}, progress, "not supported"),
        ({"fields": {"assignee": {"name" if sb.info["jira"]["deployment"] == "Cloud" else "accountId": "maria"}}},
         "assignee", "Specify the user by"),
    ]
    for body, field, fragment in cases:
        status, answer = _put(sb, body)
        assert status == 400 and jira_shape(answer), body
        assert answer["errorMessages"] == [] and fragment in answer["errors"][field], (body, answer)
    status, answer = _put(sb, {"fields": {progress: "x", "summary": ""}})
    assert set(answer["errors"]) == {progress, "summary"}  # every problem at once
    assert sb.snapshot()["jira"] == before


def test_bad_creates_and_comments(sb: Sandbox) -> None:
    status, _, body = raw(sb, "POST", "/rest/api/2/issue", {"fields": {"project": {"key": "NOPE"}}})
    assert status == 400 and set(body["errors"]) == {"project", "issuetype", "summary"}
    status, _, body = raw(sb, "POST", "/rest/api/2/issue", {"fields": {
        "project": {"key": "OKR"}, "issuetype": {"name": "Sub-task"}, "summary": "orphan"}})
    assert status == 400 and "parent" in body["errors"]
    status, _, body = raw(sb, "POST", "/rest/api/2/issue/OKR-1/comment", {"body": ""})
    assert (status, body["errors"]) == (400, {"comment": "Comment body can not be empty!"})
    status, _, body = raw(sb, "POST", "/rest/api/2/issue/OKR-1/comment", {"body": {"type": "doc"}})
    assert status == 400 and "plain text" in body["errors"]["comment"]
    status, _, body = raw(sb, "POST", "/rest/api/2/issue/OKR-1/transitions", {"transition": {"id": "999"}})
    assert (status, body["errorMessages"]) == (400, ["Transition id '999' is not valid for this issue."])
    status, _, body = raw(sb, "GET", "/rest/api/2/issue/OKR-1/comment/424242")
    assert status == 404 and jira_shape(body)
    status, _, body = raw(sb, "DELETE", "/rest/api/2/issue/PGE-2")
    assert status == 400 and "deleteSubtasks" in body["errorMessages"][0]
    status, _, body = raw(sb, "POST", "/rest/api/2/issue", {"fields": {}}, headers={"Content-Type": "text/plain"})
    assert status == 415 and jira_shape(body)


def test_search_parameters_are_checked(sb: Sandbox) -> None:
    cloud = sb.info["jira"]["deployment"] == "Cloud"
    route = "/rest/api/2/search/jql" if cloud else "/rest/api/2/search"
    status, _, body = raw(sb, "GET", f"{route}?jql=project%3DOKR&maxResults=many")
    assert status == 400 and "maxResults" in body["errorMessages"][0]
    if cloud:
        status, _, body = raw(sb, "GET", f"{route}?jql=project%3DOKR&nextPageToken=garbage")
        assert status == 400 and "next page token" in body["errorMessages"][0]
