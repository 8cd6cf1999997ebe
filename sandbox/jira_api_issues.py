"""Jira emulator handlers for issues: create, get, edit, delete, transitions, comments, changelog, links.

Every write stamps the touched issues' ``updated`` with the request's ``clock.tick()`` time and
records field changes in the changelog with author and time. Entering a done status sets a
resolution (``Done`` unless the transition names one, e.g. ``Won't Do``) and ``resolutiondate``;
leaving it clears both.
"""

from __future__ import annotations

from typing import Any

from okr_sync.sandbox.jira_comments import comment_properties
from okr_sync.sandbox.jira_edits import apply_edits, record
from okr_sync.sandbox.jira_http import Call
from okr_sync.sandbox.jira_model import (
    ISSUE_NOT_FOUND,
    TRANSITION_IDS,
    Comment,
    Issue,
    IssueLink,
    JiraApiError,
)
from okr_sync.sandbox.jira_views import parse_field_list, render_issue, wanted_fields

MAX_COMMENT = 32767
"""Jira's limit on a text field, comments included (``jira.text.field.character.limit``)."""


class IssueApi:
    """Mixin of issue handlers."""

    def issue_create(self, call: Call) -> Any:
        """``POST /issue`` → 201 ``{id, key, self}``."""
        body = call.json()
        fields = dict(body.get("fields") or {})
        s, errors = call.state, {}
        pref, tref = fields.pop("project", None) or {}, fields.pop("issuetype", None) or {}
        project = s.project(str(pref.get("id") or pref.get("key") or "")) if isinstance(pref, dict) else None
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        issue_type = s.issue_type_named(str(tref.get("id") or tref.get("name") or "")) \
            if isinstance(tref, dict) else None
        if issue_type is None or (project is not None and issue_type.id not in project.type_ids):
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if issue_type is not None and issue_type.subtask and not fields.get("parent"):
            errors["parent"] = "Issue type is a sub-task but parent issue key or id not specified."
        if errors or project is None or issue_type is None:
            raise JiraApiError(400, [], errors)
        assert call.user is not None
        issue = Issue(id=s.next_issue_id(), key=f"{project.key}-{project.next_number}",
                      project_id=project.id, type_id=issue_type.id, summary="", status_id=s.statuses[0].id,
                      created=call.now, updated=call.now, status_changed=call.now, reporter=call.user.name)
        apply_edits(call.editor(), issue, fields, body.get("update") or {}, creating=True)
        project.next_number += 1
        s.issues[issue.id] = issue
        return 201, {"id": issue.id, "key": issue.key, "self": call.render.url(f"issue/{issue.id}")}

    def issue_get(self, call: Call, issueIdOrKey: str) -> Any:
        """``GET /issue/{issueIdOrKey}`` honouring ``fields`` and ``expand``."""
        issue = call.state.require_issue(issueIdOrKey)
        wanted = wanted_fields(call.state, parse_field_list(call.args("fields")), "*all")
        return render_issue(call.render, issue, wanted, set(parse_field_list(call.arg("expand"))))

    def issue_edit(self, call: Call, issueIdOrKey: str) -> Any:
        """``PUT /issue/{issueIdOrKey}`` → 204 (200 with the issue when ``returnIssue=true``)."""
        issue = call.state.require_issue(issueIdOrKey)
        body = call.json()
        edit = call.editor()
        record(edit, issue, apply_edits(edit, issue, body.get("fields") or {}, body.get("update") or {}))
        if (call.arg("returnIssue") or "").lower() == "true":
            return 200, self.issue_get(call, issue.id)
        return 204, None

    def issue_assign(self, call: Call, issueIdOrKey: str) -> Any:
        """``PUT /issue/{key}/assignee`` with ``{"accountId"}`` (Cloud) or ``{"name"}`` (Server) → 204."""
        issue = call.state.require_issue(issueIdOrKey)
        body = call.json()
        edit = call.editor()
        record(edit, issue, apply_edits(edit, issue, {"assignee": body if any(body.values()) else None}, {}))
        return 204, None

    def issue_delete(self, call: Call, issueIdOrKey: str) -> Any:
        """``DELETE /issue/{issueIdOrKey}``; sub-tasks need ``deleteSubtasks=true``."""
        s = call.state
        issue = s.require_issue(issueIdOrKey)
        children = s.subtasks(issue)
        if children and (call.arg("deleteSubtasks") or "").lower() != "true":
            raise JiraApiError(400, f"The issue '{issue.key}' has subtasks. You must specify the "
                                    "'deleteSubtasks' parameter to delete this issue and all its subtasks.")
        for gone in [*children, issue]:
            s.links = [lk for lk in s.links if gone.id not in (lk.source_id, lk.target_id)]
            del s.issues[gone.id]
        return 204, None

    # --- transitions --------------------------------------------------------------------------------

    def transitions_list(self, call: Call, issueIdOrKey: str) -> Any:
        """``GET /issue/{key}/transitions``: one global transition per other status, named after it."""
        issue = call.state.require_issue(issueIdOrKey)
        only = call.arg("transitionId")
        out = [{"id": TRANSITION_IDS.get(st.id, st.id), "name": st.name, "to": call.render.status(st),
                "hasScreen": False, "isGlobal": True, "isInitial": False, "isAvailable": True,
                "isConditional": False, "isLooped": False}
               for st in call.state.statuses if st.id != issue.status_id]
        return {"expand": "transitions", "transitions": [t for t in out if only in (None, t["id"])]}

    def transition_do(self, call: Call, issueIdOrKey: str) -> Any:
        """``POST /issue/{key}/transitions`` with ``{"transition": {"id"}, "fields"?, "update"?}`` → 204."""
        s = call.state
        issue = s.require_issue(issueIdOrKey)
        body = call.json()
        wanted = str((body.get("transition") or {}).get("id", ""))
        target = next((st for st in s.statuses
                       if TRANSITION_IDS.get(st.id, st.id) == wanted and st.id != issue.status_id), None)
        if target is None:
            raise JiraApiError(400, f"Transition id '{wanted}' is not valid for this issue.")
        fields = dict(body.get("fields") or {})
        resolution_ref = fields.pop("resolution", None)
        resolution = None
        if target.category == "done":
            name = resolution_ref.get("name") or resolution_ref.get("id") if isinstance(resolution_ref, dict) \
                else "Done"
            resolution = s.resolution(str(name))
            if resolution is None:
                raise JiraApiError(400, [], {"resolution": f"Resolution '{name}' is not valid (Done, Won't Do)."})
        elif resolution_ref is not None:
            raise JiraApiError(400, [], {"resolution": "Field 'resolution' cannot be set. It is not on the "
                                                       "appropriate screen, or unknown."})
        edit = call.editor()
        items = apply_edits(edit, issue, fields, body.get("update") or {})
        old = s.status(issue.status_id)
        items.append({"field": "status", "fieldtype": "jira", "fieldId": "status", "from": old.id,
                      "fromString": old.name, "to": target.id, "toString": target.name})
        old_resolution = s.resolution(issue.resolution_id) if issue.resolution_id else None
        if (old_resolution.id if old_resolution else None) != (resolution.id if resolution else None):
            items.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                          "from": old_resolution.id if old_resolution else None,
                          "fromString": old_resolution.name if old_resolution else None,
                          "to": resolution.id if resolution else None,
                          "toString": resolution.name if resolution else None})
        if old.category != target.category:
            issue.status_changed = call.now
        issue.status_id = target.id
        issue.resolution_id = resolution.id if resolution else None
        issue.resolutiondate = call.now if resolution else None
        record(edit, issue, items)
        return 204, None

    # --- comments -----------------------------------------------------------------------------------

    def comment_list(self, call: Call, issueIdOrKey: str) -> Any:
        """``GET /issue/{key}/comment`` with ``startAt``/``maxResults`` (≤ 5000)/``total``/``orderBy``."""
        issue = call.state.require_issue(issueIdOrKey)
        comments = sorted(issue.comments, key=lambda c: (c.created, int(c.id)),
                          reverse=(call.arg("orderBy") or "").startswith("-"))
        start, size, page = call.page(comments, 5000, 5000)
        return {"startAt": start, "maxResults": size, "total": len(comments),
                "comments": [call.render.comment(issue, c) for c in page]}

    def _comment(self, call: Call, issue_ref: str, comment_id: str) -> tuple[Issue, Comment]:
        issue = call.state.require_issue(issue_ref)
        comment = next((c for c in issue.comments if c.id == comment_id), None)
        if comment is None:
            raise JiraApiError(404, f"Can not find a comment for the id: {comment_id}.")
        return issue, comment

    def comment_get(self, call: Call, issueIdOrKey: str, id: str) -> Any:
        """``GET /issue/{key}/comment/{id}``."""
        issue, comment = self._comment(call, issueIdOrKey, id)
        return call.render.comment(issue, comment)

    def comment_add(self, call: Call, issueIdOrKey: str) -> Any:
        """``POST /issue/{key}/comment`` → 201 with the comment; the issue's ``updated`` moves."""
        issue = call.state.require_issue(issueIdOrKey)
        payload = call.json()
        body = _comment_body(payload)
        properties = comment_properties(payload)
        assert call.user is not None
        comment = call.state.new_comment(call.user.name, body, call.now)
        comment.properties.update(properties)
        issue.comments.append(comment)
        issue.updated = call.now
        return 201, call.render.comment(issue, comment)

    def comment_edit(self, call: Call, issueIdOrKey: str, id: str) -> Any:
        """``PUT /issue/{key}/comment/{id}`` → 200 with the comment."""
        issue, comment = self._comment(call, issueIdOrKey, id)
        payload = call.json()
        body = _comment_body(payload)
        properties = comment_properties(payload)
        assert call.user is not None
        call.state.set_body(comment, body)
        comment.properties.update(properties)
        comment.updated, comment.update_author = call.now, call.user.name
        issue.updated = call.now
        return call.render.comment(issue, comment)

    def comment_delete(self, call: Call, issueIdOrKey: str, id: str) -> Any:
        """``DELETE /issue/{key}/comment/{id}`` → 204."""
        issue, comment = self._comment(call, issueIdOrKey, id)
        issue.comments.remove(comment)
        issue.updated = call.now
        return 204, None

    # --- changelog and links ------------------------------------------------------------------------

    def changelog(self, call: Call, issueIdOrKey: str) -> Any:
        """``GET /issue/{key}/changelog`` (Cloud): a PageBean of histories, oldest first."""
        if not call.cloud:
            raise JiraApiError(404, f"null for uri: /rest/api/2/issue/{issueIdOrKey}/changelog")
        issue = call.state.require_issue(issueIdOrKey)
        start, size, page = call.page(issue.histories, 100, 100)
        out: dict[str, Any] = {"self": call.render.url(f"issue/{issue.key}/changelog?startAt={start}"
                                                       f"&maxResults={size}"),
                               "maxResults": size, "startAt": start, "total": len(issue.histories),
                               "isLast": start + size >= len(issue.histories),
                               "values": [call.render.history(h) for h in page]}
        if not out["isLast"]:
            out["nextPage"] = call.render.url(f"issue/{issue.key}/changelog?startAt={start + size}"
                                              f"&maxResults={size}")
        return out

    def link_create(self, call: Call) -> Any:
        """``POST /issueLink``: inwardIssue ``type.outward`` outwardIssue → 201, empty body."""
        s, body = call.state, call.json()
        link_type = s.link_type(body.get("type") or {})
        if link_type is None:
            raise JiraApiError(404, f"No issue link type with name '{(body.get('type') or {}).get('name')}' found.")
        ends = []
        for side in ("inwardIssue", "outwardIssue"):
            ref = body.get(side) or {}
            issue = s.issue(str(ref.get("key") or ref.get("id") or "")) if isinstance(ref, dict) else None
            if issue is None:
                raise JiraApiError(404, ISSUE_NOT_FOUND)
            ends.append(issue)
        source, target = ends
        if source.id == target.id:
            raise JiraApiError(400, "You cannot link an issue to itself.")
        link = IssueLink(s.next_id(), link_type.id, source.id, target.id)
        s.links.append(link)
        edit = call.editor()
        for issue, text in ((source, f"This issue {link_type.outward} {target.key}"),
                            (target, f"This issue {link_type.inward} {source.key}")):
            record(edit, issue, [{"field": "Link", "fieldtype": "jira", "fieldId": "issuelinks", "from": None,
                                  "fromString": None, "to": issue.key, "toString": text}])
        if isinstance(body.get("comment"), dict) and body["comment"].get("body"):
            assert call.user is not None
            source.comments.append(s.new_comment(call.user.name, str(body["comment"]["body"]), call.now))
        return 201, None

    def link_get(self, call: Call, linkId: str) -> Any:
        """``GET /issueLink/{linkId}``."""
        link = next((lk for lk in call.state.links if lk.id == linkId), None)
        if link is None:
            raise JiraApiError(404, f"No issue link with id '{linkId}' exists.")
        return call.render.issue_link(link, None)

    def link_delete(self, call: Call, linkId: str) -> Any:
        """``DELETE /issueLink/{linkId}`` → 204; both issues' ``updated`` move."""
        link = next((lk for lk in call.state.links if lk.id == linkId), None)
        if link is None:
            raise JiraApiError(404, f"No issue link with id '{linkId}' exists.")
        call.state.links.remove(link)
        for issue_id in (link.source_id, link.target_id):
            call.state.issues[issue_id].updated = call.now
        return 204, None


def _comment_body(payload: dict[str, Any]) -> str:
    body = payload.get("body")
    if isinstance(body, dict):
        raise JiraApiError(400, [], {"comment": "REST v2 takes the comment body as plain text, not ADF."})
    if not isinstance(body, str) or not body.strip():
        raise JiraApiError(400, [], {"comment": "Comment body can not be empty!"})
    if len(body) > MAX_COMMENT:
        raise JiraApiError(400, [], {"comment": "The entered text is too long. It exceeds the allowed limit of "
                                                "32,767 characters."})
    return body
