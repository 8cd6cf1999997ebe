"""Jira emulator answers validate against Atlassian's OpenAPI description (``specs/``, vendored).

The spec is OpenAPI 3.0 for REST v3; its component schemas are used as JSON Schema (draft 4) after
turning ``nullable: true`` into "or null". Differences handled on purpose:

- v3 rich text is ADF, v2 plain text: the spec types comment ``body`` and issue ``fields`` as "any",
  so v2 answers validate unchanged; the v3 routes are also validated (there the body is ADF).
- Inside an issue, each ``issuelinks`` entry shows only the other side of the link, while the
  ``IssueLink`` schema (written for the link resource) requires both; embedded entries are checked
  with that ``required`` list dropped, ``GET /issueLink/{id}`` with it.
- The spec omits ``nullable`` on changelog ``from``/``to`` strings although the real service sends
  ``null`` there (e.g. a field set for the first time); those four are patched to allow null.
- ``format`` is not asserted: Jira's own timestamps (``…+0000``) are not RFC 3339.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from okr_sync.sandbox.server import Sandbox
from tests.sandbox.jira_support import raw, start_sandbox

SPEC = Path(__file__).resolve().parents[2] / "specs" / "jira-cloud-platform-v3.openapi.json"


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items()}
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    schemas = _nullable(json.loads(SPEC.read_text(encoding="utf-8"))["components"]["schemas"])
    for name in ("from", "to", "fromString", "toString"):
        schemas["ChangeDetails"]["properties"][name]["type"] = ["string", "null"]
    embedded = json.loads(json.dumps(schemas["IssueLink"]))
    embedded.pop("required", None)
    schemas["EmbeddedIssueLink"] = embedded
    return schemas


def check(components: dict[str, Any], name: str, instance: Any) -> None:
    """Validate ``instance`` against ``#/components/schemas/<name>``; fail with every error."""
    validator = jsonschema.Draft4Validator({"$ref": f"#/components/schemas/{name}",
                                            "components": {"schemas": components}})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, f"{name}: " + "; ".join(errors[:10])


FIELD_SCHEMAS = {"status": "StatusDetails", "issuetype": "IssueTypeDetails", "project": "ProjectDetails",
                 "assignee": "UserDetails", "reporter": "UserDetails", "creator": "UserDetails",
                 "resolution": "Resolution", "priority": "Priority", "comment": "PageOfComments",
                 "parent": "LinkedIssue"}


def check_issue(components: dict[str, Any], issue: dict[str, Any]) -> None:
    """The issue bean, and each known field against its own schema."""
    check(components, "IssueBean", issue)
    for name, value in issue.get("fields", {}).items():
        if name in FIELD_SCHEMAS and value is not None:
            check(components, FIELD_SCHEMAS[name], value)
    for link in issue.get("fields", {}).get("issuelinks", []):
        check(components, "EmbeddedIssueLink", link)
    for sub in issue.get("fields", {}).get("subtasks", []):
        check(components, "LinkedIssue", sub)


@pytest.fixture(scope="module", params=["Cloud", "Server"])
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    sandbox = start_sandbox(request.param)
    yield sandbox
    sandbox.stop()


@pytest.mark.parametrize("api", ["2", "3"])
def test_server_info_field_and_myself(sb: Sandbox, components: dict[str, Any], api: str) -> None:
    status, _, info = raw(sb, "GET", f"/rest/api/{api}/serverInfo")
    assert status == 200
    check(components, "ServerInformation", info)
    status, _, fields = raw(sb, "GET", f"/rest/api/{api}/field")
    assert status == 200 and len(fields) > 20
    for field in fields:
        check(components, "FieldDetails", field)
    check(components, "User", raw(sb, "GET", f"/rest/api/{api}/myself")[2])


@pytest.mark.parametrize("api", ["2", "3"])
def test_issue_with_every_field_and_changelog(sb: Sandbox, components: dict[str, Any], api: str) -> None:
    for key in ("OKR-1", "PGE-1", "PGE-2", "PGE-3"):
        status, _, issue = raw(sb, "GET", f"/rest/api/{api}/issue/{key}?expand=changelog,names")
        assert status == 200
        check_issue(components, issue)
    status, _, issue = raw(sb, "GET", f"/rest/api/{api}/issue/PGE-2")
    if api == "3":
        assert issue["fields"]["description"] is None
        assert raw(sb, "GET", "/rest/api/3/issue/OKR-1")[2]["fields"]["comment"]["comments"][0]["body"]["type"] == "doc"


def test_written_issue_and_changelog_validate(sb: Sandbox, components: dict[str, Any]) -> None:
    fields = {f["name"]: f["id"] for f in raw(sb, "GET", "/rest/api/2/field")[2]}
    status, _, created = raw(sb, "POST", "/rest/api/2/issue", {"fields": {
        "project": {"key": "OKR"}, "issuetype": {"name": "Key Result"}, "summary": "schema check",
        "description": "line one\nline two"}})
    assert status == 201
    check(components, "CreatedIssue", created)
    assert raw(sb, "PUT", f"/rest/api/2/issue/{created['key']}", {"fields": {
        fields["OKR Progress"]: 12, fields["OKR Status"]: {"value": "At risk"},
        fields["OKR Last Sync"]: "2026-11-24T10:15:30.000+0000"}})[0] == 204
    issue = raw(sb, "GET", f"/rest/api/2/issue/{created['key']}?expand=changelog")[2]
    check_issue(components, issue)
    assert issue["changelog"]["histories"][0]["items"][0]["from"] is None
    check(components, "PageOfChangelogs", issue["changelog"])
    if sb.info["jira"]["deployment"] == "Cloud":
        status, _, page = raw(sb, "GET", f"/rest/api/2/issue/{created['key']}/changelog")
        assert status == 200 and page["total"] == 1
        check(components, "PageBeanChangelog", page)


def test_search_results_validate(sb: Sandbox, components: dict[str, Any]) -> None:
    if sb.info["jira"]["deployment"] == "Cloud":
        status, _, page = raw(sb, "GET", "/rest/api/2/search/jql?jql=project%20%3D%20PGE&maxResults=2&fields=*all")
        assert status == 200 and page["nextPageToken"]
        check(components, "SearchAndReconcileResults", page)
        status, _, page = raw(sb, "POST", "/rest/api/3/search/jql", {
            "jql": "project = PGE", "fields": ["*navigable"], "nextPageToken": page["nextPageToken"]})
        assert status == 200 and "nextPageToken" not in page and page["isLast"] is True
        check(components, "SearchAndReconcileResults", page)
    else:
        status, _, page = raw(sb, "GET", "/rest/api/2/search?jql=project%20%3D%20PGE&maxResults=2")
        assert status == 200 and page["total"] == 3
        check(components, "SearchResults", page)
    for issue in page["issues"]:
        check_issue(components, issue)


def test_comments_transitions_links_and_options_validate(sb: Sandbox, components: dict[str, Any]) -> None:
    status, _, comment = raw(sb, "POST", "/rest/api/2/issue/OKR-1/comment", {"body": "schema"})
    assert status == 201
    check(components, "Comment", comment)
    status, _, comment = raw(sb, "PUT", f"/rest/api/2/issue/OKR-1/comment/{comment['id']}", {"body": "again"})
    assert status == 200 and comment["body"] == "again"
    check(components, "Comment", comment)
    check(components, "Comment", raw(sb, "GET", f"/rest/api/2/issue/OKR-1/comment/{comment['id']}")[2])
    check(components, "PageOfComments", raw(sb, "GET", "/rest/api/2/issue/OKR-1/comment")[2])
    check(components, "Transitions", raw(sb, "GET", "/rest/api/2/issue/OKR-1/transitions")[2])
    check(components, "IssueLinkTypes", raw(sb, "GET", "/rest/api/2/issueLinkType")[2])
    link_id = raw(sb, "GET", "/rest/api/2/issue/OKR-1")[2]["fields"]["issuelinks"][0]["id"]
    check(components, "IssueLink", raw(sb, "GET", f"/rest/api/2/issueLink/{link_id}")[2])
    check(components, "Project", raw(sb, "GET", "/rest/api/2/project/OKR")[2])
    if sb.info["jira"]["deployment"] == "Cloud":
        field_id = next(f["id"] for f in raw(sb, "GET", "/rest/api/2/field")[2] if f["name"] == "OKR Status")
        contexts = raw(sb, "GET", f"/rest/api/2/field/{field_id}/context")[2]
        check(components, "PageBeanCustomFieldContext", contexts)
        options = raw(sb, "GET", f"/rest/api/2/field/{field_id}/context/{contexts['values'][0]['id']}/option")[2]
        check(components, "PageBeanCustomFieldContextOption", options)


def test_the_check_rejects_shapes_the_spec_forbids(components: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="Additional properties"):
        check(components, "SearchAndReconcileResults", {"issues": [], "total": 3})
    with pytest.raises(AssertionError, match="is not of type 'integer'"):
        check(components, "ServerInformation", {"versionNumbers": ["9", "12"]})
