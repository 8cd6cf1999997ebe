"""Microsoft Graph v1.0 emulator (the Planner part), mounted by the sandbox core under ``/graph/v1.0``.

It behaves like Graph as seen by the unmodified ``msgraph-sdk``: bearer tokens checked with the
core's ``token_ok`` (401 ``InvalidAuthenticationToken`` otherwise), every answer
``Content-Type: application/json`` with OData parameters, errors as ``{"error": {"code", "message",
"innerError": {"date", "request-id", "client-request-id"}}}`` (the SDK raises them as ``ODataError``),
``@odata.etag`` on every Planner entity, changing on every write, ``If-Match`` required on PATCH and
DELETE (412 ``PreconditionFailed`` when missing or stale), 204 on success or 200 with the entity under
``Prefer: return=representation``, and task lists paged with an absolute ``@odata.nextLink``.

Endpoints: ``/planner/plans`` (POST), ``/planner/plans/{id}`` (GET, PATCH), ``…/details`` (GET, PATCH),
``…/buckets`` (GET), ``…/tasks`` (GET, POST), ``/planner/buckets`` (POST), ``/planner/buckets/{id}``
(GET, PATCH, DELETE), ``…/tasks`` (GET), ``/planner/tasks`` (POST), ``/planner/tasks/{id}`` (GET, PATCH,
DELETE), ``…/details`` (GET, PATCH), ``/users`` (GET), ``/users/{id | userPrincipalName}``,
``/groups/{id}/planner/plans``. Planner collections are paged at the server's own size whatever
``$top`` says (Planner ignores it: "Planner returns pages with fixed size today (not client
controllable)", microsoftgraph/microsoft-graph-docs#6438; also #5099, #4698); they honour ``$select``
and ``$expand=details``; ``$filter``, ``$orderby``, ``$count``, ``$search`` and ``$skip`` are refused
with 400 rather than ignored as Planner does, so a client relying on them fails loudly — Planner has no
server-side filtering or delta: poll and compare ETags. ``/users`` honours ``$top`` (1–999) like the
directory does.

The fixture format is documented in :mod:`sandbox.graph_store`. Options (constructor keywords or fixture
keys): ``page_size`` (default 100 tasks per page) and ``external_url`` (default none: ``@odata.nextLink``
and ``@odata.context`` are built from the URL the request came to; set — e.g.
``https://graph.internal.example/v1.0`` — they are built from it, like Graph answering with its own
front-door address behind a proxy; also settable on a running sandbox through the control API).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from okr_sync.sandbox import graph_planner as planner
from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.graph_edits import GraphError, bad_request
from okr_sync.sandbox.graph_fixture import load_graph_fixture
from okr_sync.sandbox.graph_planner import PlannerCall, Reply
from okr_sync.sandbox.graph_store import EMPTY_PLAN_ID, GraphState
from okr_sync.sandbox.replies import json_reply

Handler = Callable[..., Reply]
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; " \
            "charset=utf-8"
DEFAULT_PAGE_SIZE = 100

ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/planner/plans", planner.create_plan),
    ("GET", "/planner/plans/{plan_id}", planner.get_plan),
    ("PATCH", "/planner/plans/{plan_id}", planner.patch_plan),
    ("GET", "/planner/plans/{plan_id}/details", planner.get_plan_details),
    ("PATCH", "/planner/plans/{plan_id}/details", planner.patch_plan_details),
    ("GET", "/planner/plans/{plan_id}/buckets", planner.list_plan_buckets),
    ("GET", "/planner/plans/{plan_id}/tasks", planner.list_plan_tasks),
    ("POST", "/planner/plans/{plan_id}/tasks", planner.create_task),
    ("POST", "/planner/buckets", planner.create_bucket),
    ("GET", "/planner/buckets/{bucket_id}", planner.get_bucket),
    ("PATCH", "/planner/buckets/{bucket_id}", planner.patch_bucket),
    ("DELETE", "/planner/buckets/{bucket_id}", planner.delete_bucket),
    ("GET", "/planner/buckets/{bucket_id}/tasks", planner.list_bucket_tasks),
    ("POST", "/planner/tasks", planner.create_task),
    ("GET", "/planner/tasks/{task_id}", planner.get_task),
    ("PATCH", "/planner/tasks/{task_id}", planner.patch_task),
    ("DELETE", "/planner/tasks/{task_id}", planner.delete_task),
    ("GET", "/planner/tasks/{task_id}/details", planner.get_task_details),
    ("PATCH", "/planner/tasks/{task_id}/details", planner.patch_task_details),
    ("GET", "/users", planner.list_users),
    ("GET", "/users/{user_id}", planner.get_user),
    ("GET", "/groups/{group_id}/planner/plans", planner.list_group_plans),
]


class GraphEmulator:
    """WSGI app emulating Microsoft Graph v1.0 Planner for one sandbox; see the module docstring."""

    mount: ClassVar[str] = "/graph/v1.0"

    def __init__(
        self,
        clock: SandboxClock,
        fixture: dict[str, Any] | None = None,
        *,
        token_ok: Callable[[str], bool],
        page_size: int | None = None,
        external_url: str | None = None,
    ) -> None:
        self.clock = clock
        self.token_ok = token_ok
        self.state = GraphState(clock)
        load_graph_fixture(self.state, fixture)
        self.page_size = int(page_size or (fixture or {}).get("page_size") or DEFAULT_PAGE_SIZE)
        self.external_url: str | None = external_url or (fixture or {}).get("external_url")
        #: the info file's ``planner.plan_id`` for the empty state; with plans in the fixture the core
        #: picks one by its ``meta.planner.plan`` title
        self.default_plan_id: str | None = None if (fixture or {}).get("plans") else EMPTY_PLAN_ID
        self._lock = threading.RLock()
        self._handlers = {(m, t): h for m, t, h in ROUTES}
        by_template: dict[str, list[str]] = {}
        for method, template, _ in ROUTES:
            by_template.setdefault(template, []).append(method)
        self._map = Map([Rule(t.replace("{", "<").replace("}", ">"), endpoint=t, methods=ms)
                         for t, ms in by_template.items()], strict_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve one request (WSGI)."""
        request = Request(environ)
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        headers = {"request-id": request_id, "client-request-id": client_request_id, "OData-Version": "4.0"}
        try:
            status, body = self._handle(request, environ)
        except GraphError as exc:
            status = exc.status
            body = {"error": {"code": exc.code, "message": exc.message, "innerError": {
                "date": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id,
                "client-request-id": client_request_id}}}
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="", authorization_uri="https://login.microsoftonline.' \
                                              'com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-' \
                                              '000000000000"'
        return json_reply(environ, start_response, status, body, headers, JSON_TYPE)

    def snapshot(self) -> dict[str, Any]:
        """The whole current state, JSON-serialisable (``plans`` first)."""
        with self._lock:
            return self.state.snapshot()

    def _handle(self, request: Request, environ: dict[str, Any]) -> Reply:
        adapter = self._map.bind("sandbox", "/")
        path = request.path[len(request.script_root):] if request.path.startswith(request.script_root) \
            else request.path
        try:
            template, url_args = adapter.match(path, method=request.method)
        except NotFound:
            environ["sandbox.route"] = "{unmatched}"
            segment = next((s for s in path.split("/") if s), "")
            raise GraphError(404, "ResourceNotFound", f"Resource not found for the segment '{segment}'.") from None
        except MethodNotAllowed:
            environ["sandbox.route"] = "{unmatched}"
            raise GraphError(405, "BadRequest", "Specified HTTP method is not allowed for the request uri.") \
                from None
        environ["sandbox.route"] = template
        self._authorise(request)
        body: dict[str, Any] = {}
        if request.method in ("POST", "PATCH"):
            body = _json_body(request)
        base = (self.external_url or request.host_url.rstrip("/") + request.script_root).rstrip("/")
        call = PlannerCall(self.state, base, path,
                           MultiDict(request.args), body, request.headers.get("If-Match"),
                           "return=representation" in request.headers.get("Prefer", ""), self.page_size)
        with self._lock:
            return self._handlers[(request.method, template)](call, **url_args)

    def _authorise(self, request: Request) -> None:
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        if not self.token_ok(token):
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")


def _json_body(request: Request) -> dict[str, Any]:
    data = request.get_data()
    if not data.strip():
        return {}
    if request.mimetype != "application/json":
        raise GraphError(415, "UnsupportedMediaType", "The request body must be JSON (Content-Type: "
                                                      "application/json).")
    try:
        parsed = json.loads(data)
    except ValueError:
        raise bad_request("Unable to read JSON request payload. Please ensure Content-Type header is set and "
                          "payload is of valid JSON format.") from None
    if not isinstance(parsed, dict):
        raise bad_request("The request body must be a JSON object.")
    return parsed
