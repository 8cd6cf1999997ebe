"""Azure DevOps Services emulator (REST 7.1 subset), mounted by the sandbox core under ``/ado``.

The organisation URL is ``http://host:port/ado/<organization>`` (``okr`` by default). It behaves the way
the service documents where that is unkind to clients:

* **Auth**: Basic with any user name and a PAT as password (the PAT user signs in). No credentials and no
  ``X-TFS-FedAuthRedirect: Suppress`` header → 203 with an HTML sign-in page (the service's redirect for
  browsers); a wrong PAT → 401.
* **WIQL** (``POST {project}/_apis/wit/wiql``) answers ids only; more than ``wiql_limit`` (20,000) matches
  → 400 ``VS402337`` (the query must be narrowed); dates compare by day unless ``timePrecision=true``.
* **Work items batch** (``POST _apis/wit/workitemsbatch``): at most 200 ids (400 otherwise), ``fields``
  limits what is returned, ``errorPolicy`` ``omit`` answers null for missing ids.
* **Update** (``PATCH _apis/wit/workitems/{id}``): JSON Patch, ``Content-Type: application/json-patch+json``
  only; a ``test`` on ``/rev`` that fails → 412 ``TF26071`` (``rev_conflict_status: 400`` answers the
  400 shape instead), nothing applied. Every change, comments included, is a new revision.
* **Comments** (``_apis/wit/workItems/{id}/comments``, api-version ``7.1-preview.4`` — without ``-preview``
  → 400 ``VS800060``): pages of ``$top`` (``comments_page``, default 200) with ``continuationToken`` in the
  body and the ``x-ms-continuationtoken`` header; ``format=markdown`` keeps the text as written.
* **Graph users** (``_apis/graph/users``): pages of ``users_page`` with ``x-ms-continuationtoken`` only.
* **Rate limits** (``rate_limit: {requests: N, per_seconds: S}``): beyond N requests in S seconds → 429
  with ``Retry-After`` and ``X-RateLimit-Resource/-Delay/-Limit/-Remaining/-Reset``.
* **Service hooks** (``POST _apis/hooks/subscriptions``, webHooks ``httpRequest``): ``workitem.created``,
  ``workitem.updated`` and ``workitem.commented`` are POSTed to the subscriber with its basic credentials.

Fixture section ``azure_devops``: ``organization``, ``projects`` (names), ``users`` (``{name, email, pat}``;
the first is the PAT user ``okr-bot``), ``fields`` (custom ``{reference, name, type}``), ``work_items``
(``{project, type, title, state, tags, area, iteration, parent, points, assigned_to, target_date, changed,
comments}``), and the
options named above.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from okr_sync.sandbox import ado_wiql as wiql
from okr_sync.sandbox.ado_store import TYPES, AdoError, AdoState, Subscription, User, render_comment, render_item
from okr_sync.sandbox.clock import SandboxClock

ADO_PAT = "sandbox-ado-pat"
JSON_TYPE = "application/json; charset=utf-8"
Reply = tuple[int, Any, dict[str, str]]
SIGN_IN = b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>"


class AdoEmulator:
    """WSGI app emulating Azure DevOps Boards' REST API for one sandbox; see the module docstring."""

    mount: ClassVar[str] = "/ado"

    def __init__(self, clock: SandboxClock, fixture: dict[str, Any] | None = None) -> None:
        section = fixture or {}
        self.clock = clock
        self.state = AdoState(clock, str(section.get("organization") or "okr"))
        self.wiql_limit = int(section.get("wiql_limit", 20_000))
        self.comments_page = int(section.get("comments_page", 200))
        self.users_page = int(section.get("users_page", 500))
        self.rev_conflict_status = int(section.get("rev_conflict_status", 412))
        limit = section.get("rate_limit") or {}
        self.rate_limit = (int(limit["requests"]), float(limit.get("per_seconds", 60))) if limit else None
        self._recent: list[float] = []
        self._lock = threading.RLock()
        self.deliveries: list[dict[str, Any]] = []
        self.pat = ADO_PAT
        self._load(section)
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", "/_apis/connectionData", self._connection),
            ("GET", "[/{project}]/_apis/wit/fields", self._fields),
            ("GET", "/_apis/projects/{project}", self._project),
            ("GET", "/{project}/_apis/wit/workitemtypes/{kind}/states", self._states),
            ("POST", "/{project}/_apis/wit/wiql", self._wiql),
            ("POST", "[/{project}]/_apis/wit/workitemsbatch", self._batch),
            ("POST", "/{project}/_apis/wit/workitems/${kind}", self._create),
            ("GET", "[/{project}]/_apis/wit/workitems/{item}", self._get),
            ("PATCH", "[/{project}]/_apis/wit/workitems/{item}", self._patch),
            ("GET", "/{project}/_apis/wit/workitems/{item}/comments", self._comments),
            ("POST", "/{project}/_apis/wit/workitems/{item}/comments", self._comment),
            ("PATCH", "/{project}/_apis/wit/workitems/{item}/comments/{cid}", self._edit_comment),
            ("GET", "/_apis/graph/users", self._users),
            ("POST", "/_apis/hooks/subscriptions", self._subscribe),
        ]
        self._routes = [(m, f"/{self.state.organization}{t}", _route_regex(self.state.organization, t), h)
                        for m, t, h in routes]

    # -- WSGI -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve one request (WSGI)."""
        request = Request(environ)
        try:
            status, body, headers = self._handle(request, environ)
        except AdoError as exc:
            status, body, headers = exc.status, exc.body, exc.headers
        if isinstance(body, bytes):
            response = Response(body, status=status, headers=headers, content_type="text/html; charset=utf-8")
        else:
            response = Response(json.dumps(body), status=status, headers=headers, content_type=JSON_TYPE)
        return response(environ, start_response)

    def snapshot(self) -> dict[str, Any]:
        """The whole current state, JSON-serialisable."""
        with self._lock:
            base = "http://sandbox/ado/" + self.state.organization
            return {"organization": self.state.organization, "projects": sorted(self.state.projects),
                    "work_items": [render_item(i, base) for i in self.state.items.values()],
                    "comments": [render_comment(c, base, i.project) for i in self.state.items.values()
                                 for c in i.comments],
                    "subscriptions": [s.event_type for s in self.state.subscriptions]}

    def _handle(self, request: Request, environ: dict[str, Any]) -> Reply:
        path = request.path
        route = next(((m, t, rx, h) for m, t, rx, h in self._routes if m == request.method and rx.match(path)), None)
        if route is None:
            environ["sandbox.route"] = "{unmatched}"
            raise AdoError(404, f"VS800027: No API resource matches {request.method} {path}.",
                           "ApiResourceNotFoundException")
        _, template, regex, handler = route
        environ["sandbox.route"] = template
        environ["sandbox.query"] = handler in (self._wiql, self._batch)  # POSTs that only read: not writes
        user = self._authenticate(request)
        if isinstance(user, tuple):
            return user
        self._throttle()
        base = request.host_url.rstrip("/") + request.script_root + "/" + self.state.organization
        match = regex.match(path)
        assert match is not None
        args = {k: v for k, v in match.groupdict().items() if v is not None}
        with self._lock:
            return handler(request, user, base, **args)

    def _authenticate(self, request: Request) -> User | Reply:
        header = request.headers.get("Authorization", "")
        if not header:
            if request.headers.get("X-TFS-FedAuthRedirect", "").casefold() == "suppress":
                raise AdoError(401, "TF400813: The user is not authorized to access this resource.",
                               "UnauthorizedRequestException")
            return 203, SIGN_IN, {}
        pat = ""
        if header.lower().startswith("basic "):
            try:
                pat = base64.b64decode(header[6:].strip()).decode().partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                pat = ""
        user = next((u for u in self.state.users if u.pat and pat == u.pat), None)
        if user is None:
            return 401, b"<html><body>Access Denied: The Personal Access Token used has expired or is invalid." \
                        b"</body></html>", {"WWW-Authenticate": "Basic realm=\"https://dev.azure.com/\""}
        return user

    def _throttle(self) -> None:
        if self.rate_limit is None:
            return
        limit, window = self.rate_limit
        now = time.monotonic()
        with self._lock:
            self._recent = [t for t in self._recent if now - t < window]
            if len(self._recent) >= limit:
                wait = max(1, int(window - (now - self._recent[0])) + 1)
                raise AdoError(429, "TF400733: The request has been throttled.", "RequestBlockedException", {
                    "Retry-After": str(wait), "X-RateLimit-Resource": "ATCPU", "X-RateLimit-Delay": "0.5",
                    "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(time.time()) + wait)})
            self._recent.append(now)

    # -- fixture ------------------------------------------------------------------------------------------

    def _load(self, section: dict[str, Any]) -> None:
        users = section.get("users") or []
        self.state.users = [User("okr-bot", "okr-bot@sandbox.example", ADO_PAT)]
        for row in users:
            if row.get("name") == "okr-bot":
                continue
            self.state.users.append(User(str(row["name"]), str(row.get("email") or f"{row['name']}@sandbox.example"),
                                         row.get("pat")))
        for name in section.get("projects") or ["Portal"]:
            self.state.projects[str(name)] = dict(TYPES)
        for row in section.get("fields") or []:
            self.state.fields[str(row["reference"])] = (str(row.get("name") or row["reference"]),
                                                       str(row.get("type") or "string"))
        bot = self.state.users[0]
        for row in section.get("work_items") or []:
            fields = _fixture_fields(row, self.state)
            project = str(row.get("project") or next(iter(self.state.projects)))
            item = self.state.create(project, str(row.get("type") or "User Story"), fields,
                                     self.state.user(row.get("created_by")) or bot)
            for comment in row.get("comments") or []:
                by = self.state.user(comment.get("by")) or bot
                self.state.add_comment(item, str(comment["text"]), str(comment.get("format") or "markdown"), by)
            if row.get("changed"):  # a fixture's history: when the item last changed (and was created, if later)
                changed = datetime.fromisoformat(str(row["changed"]).replace("Z", "+00:00"))
                item.fields["System.ChangedDate"] = changed
                item.fields["System.CreatedDate"] = min(changed, item.fields["System.CreatedDate"])
                if "Microsoft.VSTS.Common.ClosedDate" in item.fields:
                    item.fields["Microsoft.VSTS.Common.ClosedDate"] = changed

    # -- handlers -----------------------------------------------------------------------------------------

    def _connection(self, request: Request, user: User, base: str) -> Reply:
        identity = {"id": user.id, "descriptor": user.descriptor, "providerDisplayName": user.name,
                    "properties": {"Account": {"$type": "System.String", "$value": user.email}}}
        return 200, {"authenticatedUser": identity, "authorizedUser": identity,
                     "instanceId": str(uuid.uuid5(uuid.NAMESPACE_URL, base))}, {}

    def _fields(self, request: Request, user: User, base: str, project: str | None = None) -> Reply:
        if project:
            self.state.project(project)
        rows = [{"referenceName": ref, "name": name, "type": kind, "readOnly": ref.startswith("System.Id"),
                 "url": f"{base}/_apis/wit/fields/{ref}"} for ref, (name, kind) in self.state.fields.items()]
        return 200, {"count": len(rows), "value": rows}, {}

    def _project(self, request: Request, user: User, base: str, project: str) -> Reply:
        name = self.state.project(project)
        return 200, {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, base + name)), "name": name, "state": "wellFormed",
                     "url": f"{base}/_apis/projects/{name}"}, {}

    def _states(self, request: Request, user: User, base: str, project: str, kind: str) -> Reply:
        states = self.state.projects[self.state.project(project)].get(kind)
        if states is None:
            raise AdoError(404, f"VS402323: Work item type {kind} does not exist in project {project} or you do not "
                                "have permission to access it.", "WorkItemTypeNotFoundException")
        rows = [{"name": name, "category": category, "color": "007acc"} for name, category in states]
        return 200, {"count": len(rows), "value": rows}, {}

    def _wiql(self, request: Request, user: User, base: str, project: str) -> Reply:
        project = self.state.project(project)
        body = _json_body(request)
        precise = request.args.get("timePrecision", "false").casefold() == "true"
        query = wiql.parse(str(body.get("query") or ""), project=project, me=user.email,
                           today=self.clock.now().date(), time_precision=precise,
                           kind_of=lambda name: self.state.fields.get(name, ("", "string"))[1])
        found = [item for item in self.state.items.values() if query.where(item)]
        top = request.args.get("$top")
        if top is None and len(found) > self.wiql_limit:
            raise AdoError(400, f"VS402337: The number of work items returned exceeds the size limit of "
                                f"{self.wiql_limit}. Change the query to return fewer work items.",
                           "WorkItemTrackingQueryResultSizeLimitExceededException")
        found.sort(key=wiql.sort_key(query.order), reverse=bool(query.order and query.order[0][1]))
        if top is not None:
            found = found[: int(top)]
        return 200, {"queryType": "flat", "queryResultType": "workItem", "asOf": _time(self.clock.now()),
                     "columns": [{"referenceName": "System.Id", "name": "ID"}],
                     "workItems": [{"id": i.id, "url": f"{base}/_apis/wit/workItems/{i.id}"} for i in found]}, {}

    def _batch(self, request: Request, user: User, base: str, project: str | None = None) -> Reply:
        body = _json_body(request)
        ids, fields = body.get("ids"), body.get("fields")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            raise AdoError(400, "VS402330: ids must be a non-empty list of work item ids.", "ArgumentException")
        if len(ids) > 200:
            raise AdoError(400, "VS402331: The maximum number of work items in a batch request is 200; "
                                f"{len(ids)} were requested.", "WorkItemTrackingBatchLimitExceededException")
        if fields is not None and body.get("$expand") not in (None, "None", "none"):
            raise AdoError(400, "VS403437: The expand parameter can not be used with the fields parameter.",
                           "ArgumentException")
        omit = str(body.get("errorPolicy") or "fail").casefold() == "omit"
        value: list[Any] = []
        for item_id in ids:
            item = self.state.items.get(item_id)
            if item is None:
                if not omit:
                    self.state.item(item_id)
                value.append(None)
                continue
            value.append(render_item(item, base, fields if isinstance(fields, list) else None))
        return 200, {"count": len(value), "value": value}, {}

    def _create(self, request: Request, user: User, base: str, project: str, kind: str) -> Reply:
        fields = _patch_fields(request, self.state, rev=None)
        item = self.state.create(project, kind, fields, user)
        self._notify("workitem.created", item, base)
        return 200, render_item(item, base), {}

    def _get(self, request: Request, user: User, base: str, item: str, project: str | None = None) -> Reply:
        found = self.state.item(int(item))
        wanted = request.args.get("fields")
        return 200, render_item(found, base, wanted.split(",") if wanted else None), {}

    def _patch(self, request: Request, user: User, base: str, item: str, project: str | None = None) -> Reply:
        found = self.state.item(int(item))
        fields = _patch_fields(request, self.state, rev=found.rev, conflict=self.rev_conflict_status)
        self.state.change(found, fields, user)
        self._notify("workitem.updated", found, base)
        return 200, render_item(found, base), {}

    def _comments(self, request: Request, user: User, base: str, project: str, item: str) -> Reply:
        _preview(request)
        found = self.state.item(int(item))
        top = min(int(request.args.get("$top") or self.comments_page), self.comments_page, 200)
        start = _token(request.args.get("continuationToken"))
        rows = found.comments[start:start + top]
        body: dict[str, Any] = {"totalCount": len(found.comments), "count": len(rows),
                                "comments": [render_comment(c, base, found.project) for c in rows]}
        headers: dict[str, str] = {}
        if start + top < len(found.comments):
            token = base64.urlsafe_b64encode(str(start + top).encode()).decode()
            body["continuationToken"] = token
            body["nextPage"] = f"{base}/{found.project}/_apis/wit/workItems/{found.id}/comments?continuationToken=" \
                               f"{token}&api-version=7.1-preview.4"
            headers["x-ms-continuationtoken"] = token
        return 200, body, headers

    def _comment(self, request: Request, user: User, base: str, project: str, item: str) -> Reply:
        _preview(request)
        found = self.state.item(int(item))
        text = _json_body(request).get("text")
        if not isinstance(text, str) or not text.strip():
            raise AdoError(400, "VS403669: The comment text cannot be empty.", "ArgumentException")
        comment = self.state.add_comment(found, text, _format(request), user)
        self._notify("workitem.commented", found, base)
        return 200, render_comment(comment, base, found.project), {}

    def _edit_comment(self, request: Request, user: User, base: str, project: str, item: str, cid: str) -> Reply:
        _preview(request)
        found = self.state.item(int(item))
        comment = next((c for c in found.comments if c.id == int(cid)), None)
        if comment is None:
            raise AdoError(404, f"VS402699: Comment {cid} does not exist on work item {item}.",
                           "CommentNotFoundException")
        text = _json_body(request).get("text")
        if not isinstance(text, str) or not text.strip():
            raise AdoError(400, "VS403669: The comment text cannot be empty.", "ArgumentException")
        comment.text, comment.format, comment.version = text, _format(request), comment.version + 1
        comment.modified, comment.modified_by = self.clock.tick(), user
        self._notify("workitem.commented", found, base)
        return 200, render_comment(comment, base, found.project), {}

    def _users(self, request: Request, user: User, base: str) -> Reply:
        start = _token(request.headers.get("x-ms-continuationtoken") or request.args.get("continuationToken"))
        rows = self.state.users[start:start + self.users_page]
        headers = {}
        if start + self.users_page < len(self.state.users):
            headers["x-ms-continuationtoken"] = base64.urlsafe_b64encode(str(start + self.users_page).encode()).decode()
        value = [{"subjectKind": "user", "displayName": u.name, "mailAddress": u.email, "principalName": u.email,
                  "descriptor": u.descriptor, "origin": "aad", "originId": u.id} for u in rows]
        return 200, {"count": len(value), "value": value}, headers

    def _subscribe(self, request: Request, user: User, base: str) -> Reply:
        body = _json_body(request)
        inputs = body.get("consumerInputs") or {}
        if body.get("consumerId") != "webHooks" or not inputs.get("url"):
            raise AdoError(400, "VS400001: consumerId webHooks and consumerInputs.url are required.",
                           "ArgumentException")
        sub = Subscription(str(uuid.uuid4()), str(body.get("eventType")), str(inputs["url"]),
                           inputs.get("basicAuthUsername"), inputs.get("basicAuthPassword"))
        self.state.subscriptions.append(sub)
        return 200, {"id": sub.id, "eventType": sub.event_type, "consumerId": "webHooks"}, {}

    # -- service hooks --------------------------------------------------------------------------------------

    def _notify(self, event: str, item: Any, base: str) -> None:
        targets = [s for s in self.state.subscriptions if s.event_type == event]
        if not targets:
            return
        rendered = render_item(item, base)
        resource = rendered if event != "workitem.updated" else \
            {"id": item.rev, "workItemId": item.id, "rev": item.rev, "revision": rendered,
             "fields": {"System.Rev": {"oldValue": item.rev - 1, "newValue": item.rev}}}
        for sub in targets:
            payload = {"subscriptionId": sub.id, "notificationId": len(self.deliveries) + 1, "id": str(uuid.uuid4()),
                       "eventType": event, "publisherId": "tfs", "resource": resource, "resourceVersion": "1.0",
                       "resourceContainers": {"project": {"id": item.project}}, "createdDate": _time(self.clock.now())}
            self.deliveries.append(payload)
            threading.Thread(target=_deliver, args=(sub, payload), daemon=True).start()


_PARTS = {"[/{project}]": r"(?:/(?P<project>[^/_][^/]*))?", "{project}": r"(?P<project>[^/]+)",
          "{kind}": r"(?P<kind>[^/]+)", "{item}": r"(?P<item>\d+)", "{cid}": r"(?P<cid>\d+)"}


def _route_regex(organization: str, template: str) -> re.Pattern[str]:
    """A case-insensitive regex for a route template (Azure DevOps paths ignore letter case)."""
    pattern = re.escape(template)
    for part, regex in _PARTS.items():
        pattern = pattern.replace(re.escape(part), regex)
    return re.compile(f"^/{re.escape(organization)}{pattern}$", re.IGNORECASE)


def _deliver(sub: Subscription, payload: dict[str, Any]) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if sub.username is not None or sub.password is not None:
        pair = f"{sub.username or ''}:{sub.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    request = urllib.request.Request(sub.url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    with contextlib.suppress(OSError):  # the service retries later, then disables the subscription; not emulated
        urllib.request.urlopen(request, timeout=5).close()


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise AdoError(400, "VS400002: The request body is not valid JSON.", "ArgumentException") from None
    if not isinstance(body, dict):
        raise AdoError(400, "VS400003: The request body must be a JSON object.", "ArgumentException")
    return body


def _patch_fields(request: Request, state: AdoState, *, rev: int | None, conflict: int = 412) -> dict[str, Any]:
    """The fields a JSON Patch document sets; its ``test`` on ``/rev`` checked first (nothing applied on failure)."""
    if request.mimetype != "application/json-patch+json":
        raise AdoError(415, "VS403400: The request indicated a Content-Type of \"" + request.mimetype + "\" for "
                            "method type \"PATCH\" which is not supported. Valid content types for this method are: "
                            "application/json-patch+json.", "UnsupportedMediaTypeException")
    try:
        ops = json.loads(request.get_data() or b"[]")
    except ValueError:
        raise AdoError(400, "VS400002: The request body is not a valid JSON Patch document.",
                       "ArgumentException") from None
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise AdoError(400, "VS400004: A JSON Patch document is a list of operations.", "ArgumentException")
    fields: dict[str, Any] = {}
    for op in ops:
        kind, path = str(op.get("op") or "").lower(), str(op.get("path") or "")
        if kind == "test" and path.lower() == "/rev":
            if rev is not None and op.get("value") != rev:
                raise AdoError(conflict, "TF26071: This work item has been changed by someone else since you opened "
                                         "it. You will need to refresh it and discard your changes. "
                                         f"(rev {op.get('value')} tested, {rev} current)",
                               "WorkItemRevisionMismatchException")
            continue
        if not path.lower().startswith("/fields/") or kind not in ("add", "replace", "remove", "test"):
            raise AdoError(400, f"VS402415: The operation {kind} on {path} is not supported.", "ArgumentException")
        name = path[len("/fields/"):]
        known = next((ref for ref in state.fields if ref.casefold() == name.casefold()), None)
        if known is None:
            raise AdoError(400, f"TF51535: Cannot find field {name}.", "WorkItemFieldInvalidException")
        if kind == "test":
            continue
        fields[known] = None if kind == "remove" else _field_value(known, op.get("value"), state)
    return fields


def _field_value(name: str, value: Any, state: AdoState) -> Any:
    kind = state.fields[name][1]
    if name in ("System.AssignedTo",) and value is not None:
        user = state.user(str(value).split("<")[-1].rstrip(">") if "<" in str(value) else str(value))
        if user is None:
            raise AdoError(400, f"TF401320: Rule Error for field Assigned To. Error code: InvalidIdentity, {value}",
                           "RuleValidationException")
        return user.ref()
    if kind == "dateTime" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AdoError(400, f"TF401326: Invalid date {value!r} for field {name}.", "RuleValidationException") \
                from None
    if kind in ("double", "integer") and value is not None and not isinstance(value, int | float):
        raise AdoError(400, f"TF401326: Invalid field value {value!r} for field {name}.", "RuleValidationException")
    return value


def _fixture_fields(row: dict[str, Any], state: AdoState) -> dict[str, Any]:
    fields: dict[str, Any] = {"System.Title": str(row.get("title") or "Untitled")}
    project = str(row.get("project") or next(iter(state.projects)))
    for key, ref in (("state", "System.State"), ("tags", "System.Tags"), ("parent", "System.Parent"),
                     ("points", "Microsoft.VSTS.Scheduling.StoryPoints"), ("blocked", "Microsoft.VSTS.CMMI.Blocked")):
        if row.get(key) is not None:
            fields[ref] = "; ".join(row[key]) if isinstance(row[key], list) else row[key]
    for key, ref in (("area", "System.AreaPath"), ("iteration", "System.IterationPath")):
        if row.get(key):
            fields[ref] = f"{project}\\{row[key]}" if not str(row[key]).startswith(project) else row[key]
    if row.get("target_date"):
        fields["Microsoft.VSTS.Scheduling.TargetDate"] = datetime.fromisoformat(f"{row['target_date']}T00:00:00+00:00")
    user = state.user(row.get("assigned_to"))
    if user is not None:
        fields["System.AssignedTo"] = user.ref()
    fields.update(row.get("fields") or {})
    return fields


def _preview(request: Request) -> None:
    version = request.args.get("api-version", "")
    if "-preview" not in version:
        raise AdoError(400, f"VS800060: The requested version \"{version}\" of the resource is under preview. The "
                            "-preview flag must be supplied in the api-version for such requests. For example: "
                            "\"7.1-preview\"", "VssInvalidPreviewVersionException")


def _format(request: Request) -> str:
    return "markdown" if request.args.get("format", "html").casefold() == "markdown" else "html"


def _token(text: str | None) -> int:
    if not text:
        return 0
    try:
        return int(base64.urlsafe_b64decode(text.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise AdoError(400, "VS402370: The continuation token is not valid.", "ArgumentException") from None


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
