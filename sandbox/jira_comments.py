"""Jira emulator: comment entity properties and comments by id (Cloud and Server/Data Center).

- ``GET /comment/{commentId}/properties`` (keys), ``GET|PUT|DELETE /comment/{commentId}/properties/{key}``
  on both deployments (Server since 7.x, e.g. the 8.17 REST reference; Cloud: the platform OpenAPI
  ``getCommentProperty``/``setCommentProperty``). Keys up to 255 characters, values non-empty JSON up
  to 32,768 bytes; setting one needs *Edit Own Comments* (the author) or *Edit All Comments* (here: the
  project lead); 201 when created, 200 when updated.
- ``properties: [{"key", "value"}]`` in the body of ``POST``/``PUT /issue/{key}/comment`` sets them in
  the same request ("Optional on create and update" in the Cloud ``Comment`` schema).
- ``POST /comment/list?expand=properties`` with ``{"ids": [...]}`` (Cloud only; up to 1000 ids; ids not
  visible or unknown are left out, as Jira does): a page bean of comments with their properties.
"""

from __future__ import annotations

import json
from typing import Any

from okr_sync.sandbox.jira_http import Call
from okr_sync.sandbox.jira_model import Comment, Issue, JiraApiError

MAX_KEY = 255
MAX_VALUE = 32768
MAX_IDS = 1000


def comment_properties(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``properties`` of a comment create/update body, checked like Jira (400 naming the problem)."""
    raw = payload.get("properties")
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise JiraApiError(400, "properties must be a list of {\"key\": ..., \"value\": ...} objects.")
    return {_key(str(p.get("key") or "")): _value(p.get("value")) for p in raw}


def _key(key: str) -> str:
    if not key or len(key) > MAX_KEY:
        raise JiraApiError(400, f"The property key must be 1 to {MAX_KEY} characters long.")
    return key


def _value(value: Any) -> Any:
    if value is None or value == "" or value == {}:
        raise JiraApiError(400, "The property value must be non-empty JSON.")
    if len(json.dumps(value).encode()) > MAX_VALUE:
        raise JiraApiError(400, f"The property value is longer than {MAX_VALUE} bytes.")
    return value


class CommentPropertyApi:
    """Mixin of comment-property handlers."""

    def _find_comment(self, call: Call, comment_id: str) -> tuple[Issue, Comment]:
        for issue in call.state.issues.values():
            for comment in issue.comments:
                if comment.id == comment_id:
                    return issue, comment
        raise JiraApiError(404, f"Can not find a comment for the id: {comment_id}.")

    def comment_property_keys(self, call: Call, commentId: str) -> Any:
        """``GET /comment/{commentId}/properties``."""
        _, comment = self._find_comment(call, commentId)
        return {"keys": [{"self": call.render.url(f"comment/{comment.id}/properties/{k}"), "key": k}
                         for k in comment.properties]}

    def comment_property_get(self, call: Call, commentId: str, propertyKey: str) -> Any:
        """``GET /comment/{commentId}/properties/{propertyKey}`` → ``{"key", "value"}``."""
        _, comment = self._find_comment(call, commentId)
        if propertyKey not in comment.properties:
            raise JiraApiError(404, f"The property with key '{propertyKey}' does not exist.")
        return {"key": propertyKey, "value": comment.properties[propertyKey]}

    def comment_property_set(self, call: Call, commentId: str, propertyKey: str) -> Any:
        """``PUT /comment/{commentId}/properties/{propertyKey}`` → 201 created / 200 updated, empty body."""
        issue, comment = self._find_comment(call, commentId)
        self._may_edit(call, issue, comment)
        value = _value(_json_value(call))
        created = propertyKey not in comment.properties
        comment.properties[_key(propertyKey)] = value
        return (201 if created else 200), None

    def comment_property_delete(self, call: Call, commentId: str, propertyKey: str) -> Any:
        """``DELETE /comment/{commentId}/properties/{propertyKey}`` → 204."""
        issue, comment = self._find_comment(call, commentId)
        self._may_edit(call, issue, comment)
        if comment.properties.pop(propertyKey, None) is None:
            raise JiraApiError(404, f"The property with key '{propertyKey}' does not exist.")
        return 204, None

    def comment_list_by_ids(self, call: Call) -> Any:
        """``POST /comment/list`` (Cloud): comments by id, ``expand=properties`` adds their properties."""
        if not call.cloud:
            raise JiraApiError(404, f"null for uri: {call.request.path}")
        ids = call.json().get("ids")
        if not isinstance(ids, list) or not ids:
            raise JiraApiError(400, "Provide the comment ids as {\"ids\": [...]}.")
        if len(ids) > MAX_IDS:
            raise JiraApiError(400, f"A maximum of {MAX_IDS} comment ids can be requested at once.")
        wanted = {str(i) for i in ids}
        expand = {p.strip() for p in (call.arg("expand") or "").split(",")}
        found = [call.render.comment(issue, c, properties="properties" in expand)
                 for issue in call.state.issues.values() for c in issue.comments if c.id in wanted]
        found.sort(key=lambda c: int(c["id"]))
        return {"maxResults": MAX_IDS, "startAt": 0, "total": len(found), "isLast": True, "values": found}

    def _may_edit(self, call: Call, issue: Issue, comment: Comment) -> None:
        assert call.user is not None
        lead = call.state.project_by_id(issue.project_id).lead
        if comment.author != call.user.name and call.user.name != lead:
            raise JiraApiError(403, "You do not have permission to edit this comment.")


def _json_value(call: Call) -> Any:
    if not call.request.mimetype.endswith("json"):
        raise JiraApiError(415, "Unsupported Media Type: send Content-Type: application/json.")
    try:
        return json.loads(call.request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise JiraApiError(400, f"The property value is not valid JSON: {exc}") from None
