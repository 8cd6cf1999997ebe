"""Jira emulator (REST v2; v3 and ``latest`` for reads), Cloud or Server, for the unmodified ``jira`` library.

Mounted by the sandbox core under ``/jira``; every absolute URL it returns (issue and comment ``self``,
``baseUrl``) is built from the request's host and mount, so it works on any port — or, when
``external_url`` is set (constructor keyword, fixture key or the control API), from that address, as Jira
builds them from its Base URL setting even when clients reach it under another name.

Behaviour worth knowing (see also :mod:`sandbox.jira_fixture` for the fixture format):

- **Deployment.** ``deployment: Cloud`` (default) serves ``/search/jql`` (``nextPageToken``, no
  ``total``; ``/search`` answers 410 like Cloud now does), ``/issue/{key}/changelog`` and custom
  field contexts/options, and shows users by ``accountId``. ``Server`` serves ``/search``
  (``startAt``/``maxResults`` capped at 1000 and echoed/``total``; ``/search/jql`` is 404) and shows
  users by ``name``/``key``.
- **Auth.** Basic (Cloud: the account's e-mail + API token, as Cloud takes no user names; Server: user
  name or e-mail + token) or ``Authorization: Bearer <token>`` (Server only: a Data Center personal
  access token; Cloud refuses Bearer API tokens with its 401). No
  credentials: only ``serverInfo`` answers (as on a real site), everything else 401 in Jira's shape
  (Cloud adds ``WWW-Authenticate``, Server ``X-Seraph-LoginReason``); wrong credentials: 401 always.
  A ``read_only`` user gets 403 on every write.
- **Comments.** Cloud stores bodies as documents (ADF) and REST v2 shows them converted back to wiki
  markup, anchors gone and escapes normalised (:mod:`sandbox.jira_adf`); v3 shows the document.
  Bodies over 32,767 characters are refused. Comment properties on both deployments
  (:mod:`sandbox.jira_comments`).
- **Users.** Cloud hides ``emailAddress`` unless the profile shows it (``email_visible``);
  ``/users/search`` pages are filtered after paging (short pages before the end) and overlap by one.
  Data Center 10 caps ``/user/search`` at 100 matches and applies ``startAt`` inside those 100
  (JRASERVER-78520, JRASERVER-78660); older servers cap at 1000.
- **Time.** Stamps are rendered in the requesting user's ``timeZone``; JQL date literals are read in
  that zone too (``set_time_zone`` changes a user's zone, e.g. the bot's, for tests).
- **Workflow.** To Do → In Progress → Done, every status reachable from every other by a transition
  named after its target (ids 11, 21, 31). **Flagged** is the custom field "Flagged" (Jira
  Software's multi-checkbox, option "Impediment"), not a status.
- **JQL.** A real subset (:mod:`sandbox.jql`); anything else is a 400
  ``{"errorMessages": ["Error in the JQL Query: ..."], "errors": {}}`` — never a silent wrong answer.
  Custom text fields support ``~`` only (like Jira); use select or number fields for ``=``.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.jira_api_issues import IssueApi
from okr_sync.sandbox.jira_api_meta import MetaApi
from okr_sync.sandbox.jira_comments import CommentPropertyApi
from okr_sync.sandbox.jira_fixture import build_state
from okr_sync.sandbox.jira_http import Call
from okr_sync.sandbox.jira_model import JiraApiError, User
from okr_sync.sandbox.jira_render import Renderer, jira_time

WRITE = ("POST", "PUT", "DELETE")
# (template relative to /rest/api/{v}, methods, handler name); v3 and latest serve the reads
ROUTES: list[tuple[str, tuple[str, ...], str]] = [
    ("/serverInfo", ("GET",), "server_info"),
    ("/myself", ("GET",), "myself"),
    ("/mypermissions", ("GET",), "my_permissions"),
    ("/user/search", ("GET",), "user_search"),
    ("/users/search", ("GET",), "users_list"),
    ("/user", ("GET",), "user_get"),
    ("/field", ("GET",), "field_list"),
    ("/field", ("POST",), "field_create"),
    ("/field/{fieldId}/context", ("GET",), "context_list"),
    ("/field/{fieldId}/context", ("POST",), "context_create"),
    ("/field/{fieldId}/context/{contextId}/option", ("GET",), "option_list"),
    ("/field/{fieldId}/context/{contextId}/option", ("POST",), "option_create"),
    ("/field/{fieldId}/context/{contextId}/option", ("PUT",), "option_update"),
    ("/customFieldOption/{id}", ("GET",), "option_get"),
    ("/project", ("GET",), "project_list"),
    ("/project/{projectIdOrKey}", ("GET",), "project_get"),
    ("/project/{projectIdOrKey}/statuses", ("GET",), "project_statuses"),
    ("/issuetype", ("GET",), "issue_types"),
    ("/status", ("GET",), "statuses"),
    ("/issueLinkType", ("GET",), "link_types"),
    ("/search", ("GET", "POST"), "search_server"),
    ("/search/jql", ("GET", "POST"), "search_cloud"),
    ("/issue", ("POST",), "issue_create"),
    ("/issue/{issueIdOrKey}", ("GET",), "issue_get"),
    ("/issue/{issueIdOrKey}", ("PUT",), "issue_edit"),
    ("/issue/{issueIdOrKey}", ("DELETE",), "issue_delete"),
    ("/issue/{issueIdOrKey}/assignee", ("PUT",), "issue_assign"),
    ("/issue/{issueIdOrKey}/transitions", ("GET",), "transitions_list"),
    ("/issue/{issueIdOrKey}/transitions", ("POST",), "transition_do"),
    ("/issue/{issueIdOrKey}/comment", ("GET",), "comment_list"),
    ("/issue/{issueIdOrKey}/comment", ("POST",), "comment_add"),
    ("/issue/{issueIdOrKey}/comment/{id}", ("GET",), "comment_get"),
    ("/issue/{issueIdOrKey}/comment/{id}", ("PUT",), "comment_edit"),
    ("/issue/{issueIdOrKey}/comment/{id}", ("DELETE",), "comment_delete"),
    ("/issue/{issueIdOrKey}/changelog", ("GET",), "changelog"),
    ("/comment/list", ("POST",), "comment_list_by_ids"),
    ("/comment/{commentId}/properties", ("GET",), "comment_property_keys"),
    ("/comment/{commentId}/properties/{propertyKey}", ("GET",), "comment_property_get"),
    ("/comment/{commentId}/properties/{propertyKey}", ("PUT",), "comment_property_set"),
    ("/comment/{commentId}/properties/{propertyKey}", ("DELETE",), "comment_property_delete"),
    ("/issueLink", ("POST",), "link_create"),
    ("/issueLink/{linkId}", ("GET",), "link_get"),
    ("/issueLink/{linkId}", ("DELETE",), "link_delete"),
]
SEARCH_READS = {"search_server", "search_cloud", "comment_list_by_ids"}
"""POST routes that only read (no write permission needed, the clock does not tick)."""
UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
FORBIDDEN = {
    "issue_create": "You do not have permission to create issues in this project.",
    "comment_add": "You do not have the permission to comment on this issue.",
    "comment_edit": "You do not have permission to edit this comment.",
    "comment_delete": "You do not have permission to delete this comment.",
    "transition_do": "You do not have permission to transition this issue.",
    "field_create": "Only Jira administrators can access this resource.",
}


def _url_map() -> Map:
    rules = []
    for template, methods, handler in ROUTES:
        path = template.replace("{", "<").replace("}", ">")
        rules.append(Rule(f"/rest/api/<any('2', 'latest', '3'):api>{path}", methods=list(methods),
                          endpoint=(handler, template)))
    return Map(rules, strict_slashes=False, merge_slashes=False)


class JiraEmulator(IssueApi, MetaApi, CommentPropertyApi):
    """A WSGI Jira (Cloud or Server) over a fixture; see the module docstring."""

    mount: ClassVar[str] = "/jira"

    def __init__(self, clock: SandboxClock, fixture: dict[str, Any] | None = None, *,
                 deployment: str | None = None, bot_time_zone: str | None = None, **_: Any) -> None:
        self.clock = clock
        self.state = build_state(fixture, clock.now(), deployment)
        self.external_url: str | None = (fixture or {}).get("external_url")
        self._lock = threading.RLock()
        self._urls = _url_map()
        bot_time_zone = bot_time_zone or (fixture or {}).get("bot_time_zone")
        if bot_time_zone:
            self.set_time_zone("okr-bot", str(bot_time_zone))

    @property
    def deployment(self) -> str:
        """``"Cloud"`` or ``"Server"``."""
        return self.state.deployment

    def set_time_zone(self, user_name: str, time_zone: str) -> None:
        """Change a user's time zone (IANA name), e.g. to test minute-resolution JQL in another zone."""
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {time_zone!r}; use an IANA name like Europe/Berlin") from None
        with self._lock:
            user = self.state.user(user_name)
            if user is None:
                raise ValueError(f"no Jira user {user_name!r} in this sandbox")
            user.time_zone = time_zone

    # --- WSGI -----------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer one request (serialised: the state is not thread-safe)."""
        request = Request(environ)
        with self._lock:
            response = self._respond(request, environ)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        adapter = self._urls.bind_to_environ(environ)
        try:
            (handler, template), values = adapter.match()
        except MethodNotAllowed:
            environ["sandbox.route"] = "/{unmatched}"
            return _error(JiraApiError(405, f"Method {request.method} is not allowed on {request.path}."))
        except NotFound:
            environ["sandbox.route"] = "/{unmatched}"
            return _error(JiraApiError(404, f"null for uri: {request.path}"))
        values = dict(values)
        api = values.pop("api")
        environ["sandbox.route"] = f"/rest/api/{api}{template}"
        try:
            if api == "3" and request.method != "GET" and handler not in SEARCH_READS:
                raise JiraApiError(405, "This sandbox serves REST v3 for reads only (v3 writes take ADF); "
                                        "write through /rest/api/2.")
            user = self._authenticate(request, handler)
            writes = request.method in WRITE and handler not in SEARCH_READS
            if writes and user is not None and user.read_only:
                raise JiraApiError(403, FORBIDDEN.get(handler, "You do not have permission to edit issues "
                                                               "in this project."))
            now = self.clock.tick() if writes else self.clock.now()
            base = (self.external_url or request.host_url.rstrip("/") + request.script_root).rstrip("/")
            call = Call(request, self.state, user, Renderer(self.state, base, api, user), now)
            result = getattr(self, handler)(call, **values)
            if writes and self.state.index_lag and "issueIdOrKey" in values:
                written = self.state.issue(values["issueIdOrKey"])
                if written is not None:
                    self.state.unindexed.add(written.id)
        except JiraApiError as exc:
            return _error(exc)
        status, body = result if isinstance(result, tuple) else (200, result)
        if body is None:
            return Response(status=status)
        return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")

    def _authenticate(self, request: Request, handler: str) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header:
            if handler == "server_info":
                return None
            raise self._unauthorized()
        scheme, _, credentials = header.partition(" ")
        user = None
        if scheme.lower() == "bearer":
            if self.state.cloud:  # Cloud API tokens are Basic e-mail:token; Bearer is DC PATs and OAuth
                raise self._unauthorized()
            user = self.state.user_by_token(credentials.strip())
        elif scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(credentials.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                login, secret = "", ""
            found = self.state.user_by_login(login)
            user = found if found is not None and found.token and found.token == secret else None
        if user is None:
            raise self._unauthorized()
        return user

    def _unauthorized(self) -> JiraApiError:
        if self.state.cloud:
            headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
        else:
            headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "WWW-Authenticate": "OAuth realm=\"jira\""}
        return JiraApiError(401, UNAUTHENTICATED, headers=headers)

    # --- inspection -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The full state, JSON-serialisable (tokens left out), times in UTC Jira format."""
        with self._lock:
            s = self.state
            return {
                "deployment": s.deployment,
                "users": [{"name": u.name, "accountId": u.account_id, "displayName": u.display_name,
                           "email": u.email, "timeZone": u.time_zone, "read_only": u.read_only} for u in s.users],
                "projects": [{"id": p.id, "key": p.key, "name": p.name,
                              "issue_types": [s.issue_type(t).name for t in p.type_ids]} for p in s.projects],
                "fields": [{"id": f.id, "name": f.name, "type": f.kind,
                            "contexts": [{"id": c.id, "name": c.name, "projectIds": c.project_ids,
                                          "options": [dict(o) for o in c.options]} for c in f.contexts]}
                           for f in s.fields],
                "issues": [_issue_snapshot(s, i) for i in s.issues.values()],
                "links": [{"id": lk.id, "type": next(t.name for t in s.link_types if t.id == lk.type_id),
                           "from": s.issues[lk.source_id].key, "to": s.issues[lk.target_id].key}
                          for lk in s.links],
            }


def _issue_snapshot(s: Any, i: Any) -> dict[str, Any]:
    def t(when: Any) -> str | None:
        return jira_time(when, "UTC") if when else None

    custom = {}
    for f in s.fields:
        value = i.custom.get(f.id)
        if isinstance(value, dict):
            value = f.current(value)["value"]
        elif isinstance(value, list):
            value = [f.current(o)["value"] for o in value]
        elif value is not None and f.kind == "datetime":
            value = t(value)
        custom[f.name] = value
    return {"id": i.id, "key": i.key, "type": s.issue_type(i.type_id).name, "summary": i.summary,
            "description": i.description, "status": s.status(i.status_id).name, "labels": list(i.labels),
            "assignee": i.assignee, "reporter": i.reporter,
            "duedate": i.duedate.isoformat() if i.duedate else None,
            "parent": s.issues[i.parent_id].key if i.parent_id else None,
            "resolution": s.resolution(i.resolution_id).name if i.resolution_id else None,
            "resolutiondate": t(i.resolutiondate), "created": t(i.created), "updated": t(i.updated),
            "fields": custom,
            "comments": [{"id": c.id, "author": c.author, "body": c.body, "created": t(c.created),
                          "updated": t(c.updated), **({"properties": dict(c.properties)} if c.properties else {})}
                         for c in i.comments],
            "changelog": [{"id": h.id, "author": h.author, "created": t(h.created), "items": h.items}
                          for h in i.histories]}


def _error(exc: JiraApiError) -> Response:
    body = json.dumps({"errorMessages": exc.messages, "errors": exc.errors})
    response = Response(body, status=exc.status, content_type="application/json; charset=utf-8")
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response
