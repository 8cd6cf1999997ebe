"""GitLab REST v4 emulator, mounted by the sandbox core under ``/gitlab`` (API at ``/gitlab/api/v4``).

It behaves like GitLab as seen by the unmodified ``python-gitlab`` library: ``PRIVATE-TOKEN`` or
``Authorization: Bearer`` auth (401 ``{"message": "401 Unauthorized"}``; a token without the ``api`` scope
— a read-only user's — gets GitLab's 403 ``insufficient_scope`` on every write), projects and groups
addressed by id or URL-encoded full path (``okr%2Fwork`` — the raw
request URI is used so the encoding survives WSGI decoding), parameters from the query string, form
fields or a JSON body (JSON only with ``Content-Type: application/json``, as Grape parses it),
offset pagination with ``Link`` headers that keep every filter, and GitLab's error shapes.

Endpoints (relative to ``/api/v4``): ``/version``, ``/user``, ``/users``, ``/users/:id``,
``/personal_access_tokens/self``, ``/groups``, ``/groups/:id``, ``/groups/:id/subgroups``,
``/groups/:id/projects``, ``/groups/:id/issues``, ``/groups/:id/members[/all]``,
``/projects`` (GET, POST), ``/projects/:id`` (with ``permissions``), ``/projects/:id/members[/all]``,
``/projects/:id/labels`` (GET with ``search``, POST; PUT ``/labels/:label_id``),
``/projects/:id/milestones`` (GET, POST), ``/projects/:id/issues`` (GET, POST),
``/projects/:id/issues/:iid`` (GET, PUT, DELETE), ``…/issues/:iid/notes`` (GET, POST),
``…/notes/:note_id`` (GET, PUT, DELETE), ``…/issues/:iid/links`` (GET, POST),
``…/links/:issue_link_id`` (DELETE).

The fixture format is documented in :mod:`sandbox.gitlab_fixture`. Options (constructor keywords or
keys of the fixture section): ``scoped_labels`` (default true: setting ``scope::x`` removes the
issue's other ``scope::`` label, as GitLab Premium does), ``total_header_limit`` (default 10,000:
above it ``X-Total``/``X-Total-Pages`` and ``rel="last"`` are omitted, as on GitLab.com) and
``external_url`` (default none: every absolute URL — ``Link`` headers, ``web_url``, ``_links`` — is built
from the URL the request came to; set, they are built from it instead, as GitLab builds them from its
``external_url`` even when clients reach it under another name; also settable on a running sandbox
through the control API).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from okr_sync.sandbox import gitlab_issues as issues
from okr_sync.sandbox import gitlab_links as links
from okr_sync.sandbox import gitlab_members as members
from okr_sync.sandbox import gitlab_resources as res
from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.gitlab_fixture import load_gitlab_fixture
from okr_sync.sandbox.gitlab_http import Call, GitLabError, Reply
from okr_sync.sandbox.gitlab_query import BadParameter, Params
from okr_sync.sandbox.gitlab_store import GitLabState, User
from okr_sync.sandbox.replies import json_reply

Handler = Callable[..., Reply]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPE = "application/json; charset=utf-8"
INSUFFICIENT_SCOPE = {"error": "insufficient_scope",
                      "error_description": "The request requires higher privileges than provided by the access token.",
                      "scope": "api"}

_P = "/api/v4/projects/{id}"
_I = _P + "/issues/{issue_iid}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v4/version", res.version),
    ("GET", "/api/v4/user", res.current_user),
    ("GET", "/api/v4/users", res.list_users),
    ("GET", "/api/v4/users/{user_id}", res.get_user),
    ("GET", "/api/v4/personal_access_tokens/self", members.token_self),
    ("GET", "/api/v4/groups", res.list_groups),
    ("GET", "/api/v4/groups/{id}", res.get_group),
    ("GET", "/api/v4/groups/{id}/subgroups", res.list_subgroups),
    ("GET", "/api/v4/groups/{id}/projects", res.list_group_projects),
    ("GET", "/api/v4/groups/{id}/issues", issues.list_group_issues),
    ("GET", "/api/v4/groups/{id}/members", members.list_group_members),
    ("GET", "/api/v4/groups/{id}/members/all", members.list_group_members_all),
    ("GET", "/api/v4/projects", res.list_projects),
    ("POST", "/api/v4/projects", res.create_project),
    ("GET", _P, res.get_project),
    ("GET", _P + "/members", members.list_project_members),
    ("GET", _P + "/members/all", members.list_project_members_all),
    ("GET", _P + "/labels", res.list_labels),
    ("POST", _P + "/labels", res.create_label),
    ("PUT", _P + "/labels/{label_id}", res.update_label),
    ("GET", _P + "/milestones", res.list_milestones),
    ("POST", _P + "/milestones", res.create_milestone),
    ("GET", _P + "/issues", issues.list_project_issues),
    ("POST", _P + "/issues", issues.create_issue),
    ("GET", _I, issues.get_issue),
    ("PUT", _I, issues.update_issue),
    ("DELETE", _I, issues.delete_issue),
    ("GET", _I + "/notes", issues.list_notes),
    ("POST", _I + "/notes", issues.create_note),
    ("GET", _I + "/notes/{note_id}", issues.get_note),
    ("PUT", _I + "/notes/{note_id}", issues.update_note),
    ("DELETE", _I + "/notes/{note_id}", issues.delete_note),
    ("GET", _I + "/links", links.list_links),
    ("POST", _I + "/links", links.create_link),
    ("DELETE", _I + "/links/{issue_link_id}", links.delete_link),
]


def _rule_path(template: str) -> str:
    return template.replace("{", "<").replace("}", ">")


class GitLabEmulator:
    """WSGI app emulating GitLab's REST v4 API for one sandbox; see the module docstring."""

    mount: ClassVar[str] = "/gitlab"

    def __init__(
        self,
        clock: SandboxClock,
        fixture: dict[str, Any] | None = None,
        *,
        scoped_labels: bool | None = None,
        total_header_limit: int | None = None,
        external_url: str | None = None,
    ) -> None:
        section = fixture or {}
        self.clock = clock
        self.state = GitLabState()
        load_gitlab_fixture(self.state, clock, fixture)
        self.scoped_labels = bool(section.get("scoped_labels", True) if scoped_labels is None else scoped_labels)
        self.total_header_limit = int(total_header_limit or section.get("total_header_limit", 10_000))
        self.external_url: str | None = external_url or section.get("external_url")
        self._lock = threading.RLock()
        self._handlers: dict[tuple[str, str], Handler] = {(m, t): h for m, t, h in ROUTES}
        by_template: dict[str, list[str]] = {}
        for method, template, _ in ROUTES:
            by_template.setdefault(template, []).append(method)
        self._map = Map([Rule(_rule_path(t), endpoint=t, methods=ms) for t, ms in by_template.items()],
                        strict_slashes=False, merge_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve one request (WSGI)."""
        request = Request(environ)
        try:
            status, body, headers = self._handle(request, environ)
        except GitLabError as exc:
            status, body, headers = exc.status, exc.body, exc.headers
        except BadParameter as exc:
            status, body, headers = 400, {"error": str(exc)}, {}
        return json_reply(environ, start_response, status, body, headers, JSON_TYPE)

    def snapshot(self) -> dict[str, Any]:
        """The whole current state, JSON-serialisable."""
        with self._lock:
            return self.state.snapshot()

    # -- internals ---------------------------------------------------------------------------------

    def _handle(self, request: Request, environ: dict[str, Any]) -> Reply:
        raw_path = _raw_path(environ)
        adapter = self._map.bind("sandbox", "/")
        try:
            template, url_args = adapter.match(raw_path, method=request.method)
        except NotFound:
            environ["sandbox.route"] = "{unmatched}"
            raise GitLabError(404, {"error": "404 Not Found"}) from None
        except MethodNotAllowed:
            environ["sandbox.route"] = "{unmatched}"
            raise GitLabError(405, {"error": "405 Not Allowed"}) from None
        environ["sandbox.route"] = template
        user = self._authenticate(request)
        if request.method in WRITE_METHODS and "api" not in user.scopes:
            raise GitLabError(403, INSUFFICIENT_SCOPE)
        query = MultiDict(request.args)
        args, body = _request_params(request)
        base = (self.external_url or request.host_url.rstrip("/") + request.script_root).rstrip("/")
        call = Call(self.state, self.clock, user, Params(args, body), query, base,
                    base + raw_path, self.scoped_labels, self.total_header_limit)
        handler = self._handlers[(request.method, template)]
        with self._lock:
            return handler(call, **{k: unquote(v) for k, v in url_args.items()})

    def _authenticate(self, request: Request) -> User:
        token = request.headers.get("PRIVATE-TOKEN")
        auth = request.headers.get("Authorization", "")
        if token is None and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        user = next((u for u in self.state.users.values() if token and u.token == token), None)
        if user is None:
            raise GitLabError(401, {"message": "401 Unauthorized"})
        return user


def _raw_path(environ: dict[str, Any]) -> str:
    """The still percent-encoded path below the mount (so ``okr%2Fwork`` stays one segment)."""
    script = environ.get("SCRIPT_NAME", "")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
        if "://" in path:
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        if path.startswith(quote(script)):
            return path[len(quote(script)) :] or "/"
    return quote(environ.get("PATH_INFO", "")) or "/"


def _request_params(request: Request) -> tuple[MultiDict[str, str], dict[str, Any]]:
    """Query-string plus form parameters, and the JSON body (only with a JSON Content-Type)."""
    args: MultiDict[str, str] = MultiDict(request.args)
    body: dict[str, Any] = {}
    if request.method not in WRITE_METHODS:
        return args, body
    if request.mimetype == "application/json":
        data = request.get_data()
        if data.strip():
            try:
                parsed = json.loads(data)
            except ValueError:
                raise GitLabError(400, {"error": "The request body is not valid JSON"}) from None
            if not isinstance(parsed, dict):
                raise GitLabError(400, {"error": "The request body must be a JSON object"})
            body = parsed
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            args.add(key, value)
    return args, body
