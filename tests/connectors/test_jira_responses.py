"""The Jira response table, one case per row, and the one retry layer — against the sandbox.

Emulator answers give 401 (bad token), 403 (read-only user), 404 (missing issue) and 400 (bad field,
bad option); sandbox fault injection gives 429 with Retry-After, 5xx, timeouts and dropped
connections. What the sandbox cannot produce (409, 429 without Retry-After, an HTML page from a proxy,
truncated JSON) comes from :class:`Gateway`, a reverse proxy on 127.0.0.1 in front of the sandbox that
answers one route the way a misbehaving proxy would and forwards everything else unchanged.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.base import PullSpec, Write
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import HomeItem
from tests.connectors.jira_own import own_comments
from tests.contract.harness_jira import WEBHOOK_SECRET, JiraSite, settings

COMMENT_ROUTE = "POST /jira/rest/api/2/issue/*/comment"
ISSUE_PUT_ROUTE = "PUT /jira/rest/api/2/issue/*"
HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@dataclass
class Canned:
    """One answer the gateway gives instead of forwarding."""

    method: str
    path_suffix: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class Gateway:
    """A reverse proxy on 127.0.0.1 in front of the sandbox; ``canned`` answers replace matching requests."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.canned: list[Canned] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request = Request(environ)
        for answer in self.canned:
            if request.method == answer.method and request.path.endswith(answer.path_suffix):
                start_response(answer.status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
                return [answer.body]
        connection = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "connection")}
            connection.request(request.method, environ.get("REQUEST_URI") or request.full_path,
                               body=request.get_data() or None, headers=headers)
            response = connection.getresponse()
            body = response.read()
            passed = [(k, v) for k, v in response.getheaders()
                      if k.lower() not in ("connection", "transfer-encoding", "keep-alive", "content-length")]
            start_response(f"{response.status} {response.reason}", [*passed, ("Content-Length", str(len(body)))])
            return [body]
        finally:
            connection.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def site(make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    s = JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    s.okr_fields()
    yield s
    s.close()


@pytest.fixture
def gateway(site: JiraSite) -> Iterator[Gateway]:
    g = Gateway(site.sandbox.base_url)
    yield g
    g.close()


def comment_write(key: str) -> Write:
    body = "{anchor:okr-sync:status:OBJ1-KR1}*OKR status*\n* Progress: 42 %\n"
    return Write(HomeItem("jira", key), "status comment", None, body,
                 {"op": "comment_add", "marker": "okr-sync:status:OBJ1-KR1", "body": body})


def field_write(field_id: str, name: str, key: str, value: Any) -> Write:
    return Write(HomeItem("jira", key), f"field {name}", None, str(value),
                 {"op": "field", "field": field_id, "value": value})


def json_error(status: str, message: str) -> Canned:
    return Canned("POST", "/comment", status, [("Content-Type", "application/json")],
                  f'{{"errorMessages": ["{message}"], "errors": {{}}}}'.encode())


# id, how the answer is produced, write kind, expected class, extra text expected in the message
ROWS: list[tuple[str, dict[str, Any], str, type[SyncError], str]] = [
    ("401-bad-token", {"token": "wrong-token-zz9-plural-z-alpha"}, "comment", AuthError, "credentials"),
    ("403-read-only-user", {"read_only": True}, "comment", AuthError, "permission"),
    ("404-missing-issue", {"key": "OKR-404"}, "comment", SkippableError, "not found"),
    ("400-bad-field", {"field": "Created"}, "field", SkippableError, "cannot be set"),
    ("400-bad-option", {"option": "Going well"}, "field", SkippableError, "Going well"),
    ("409-conflict", {"canned": json_error("409 Conflict", "Edit conflict")}, "comment", RetriableError, "conflict"),
    ("429-retry-after", {"fault": {"kind": "429", "retry_after": 2}}, "comment", RetriableError, "rate-limited"),
    ("429-no-retry-after", {"canned": json_error("429 Too Many Requests", "Rate limit exceeded")}, "comment",
     RetriableError, "rate-limited"),
    ("500", {"fault": {"kind": "500"}}, "comment", RetriableError, "HTTP 500"),
    ("502", {"fault": {"kind": "502"}}, "comment", RetriableError, "HTTP 502"),
    ("503", {"fault": {"kind": "503"}}, "comment", RetriableError, "HTTP 503"),
    ("504", {"fault": {"kind": "504"}}, "comment", RetriableError, "HTTP 504"),
    ("timeout", {"fault": {"kind": "hang", "hang_seconds": 1}}, "field", RetriableError, "timeout"),
    ("dropped-connection", {"fault": {"kind": "drop"}}, "comment", RetriableError, "dropped"),
    ("html-error-page", {"canned": Canned("POST", "/comment", "502 Bad Gateway", [("Content-Type", "text/html")],
                                          HTML)}, "comment", RetriableError, "HTTP 502"),
    ("html-page-with-200", {"canned": Canned("POST", "/comment", "200 OK", [("Content-Type", "text/html")], HTML)},
     "comment", RetriableError, "unreadable body"),
    ("invalid-json", {"canned": Canned("POST", "/comment", "201 Created", [("Content-Type", "application/json")],
                                       b'{"id": "10001", "body": "trunc')}, "comment", RetriableError,
     "unreadable body"),
]


@pytest.mark.parametrize(("how", "kind", "expected", "says"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_response_table(site: JiraSite, gateway: Gateway, control_of: Callable[..., Any], how: dict[str, Any],
                        kind: str, expected: type[SyncError], says: str) -> None:
    key = how.get("key") or site.create_issue("Recover tax debt", kind="Key Result")
    info = dict(site.info, url=gateway.url + "/jira") if "canned" in how else dict(site.info)
    token = how.get("token")
    if how.get("read_only"):
        info.update(user=info["readonly_user"], token=info["readonly_token"])
    slept: list[float] = []
    conn = JiraConnector("jira", settings(info, token=token, timeout=0.3), sleep=slept.append)
    if token is None:
        conn.catalogue()  # connect first, so the failure is the write's own
    if "fault" in how:
        route = ISSUE_PUT_ROUTE if kind == "field" else COMMENT_ROUTE
        control_of(site.sandbox).fault(route, **how["fault"])
    if "canned" in how:
        gateway.canned.append(how["canned"])
    if kind == "field":
        if "field" in how:
            found = conn.catalogue().resolve(how["field"], setting="test")
            write = field_write(found.id, found.name, key, 42.0)
        else:
            write = field_write(site.field_id("OKR Status") or "", "OKR Status", key, {"value": how.get("option",
                                                                                                       "On track")})
    else:
        write = comment_write(key)
    [result] = conn.apply([write])
    assert not result.ok and isinstance(result.error, expected), result.error
    message = str(result.error)
    assert key in message, message
    assert says.lower() in message.lower(), message
    for secret in (site.info["token"], info["token"], WEBHOOK_SECRET, "wrong-token-zz9-plural-z-alpha"):
        assert secret not in message and secret not in repr(result.error)
    if expected is RetriableError:
        assert len(slept) == 4  # five attempts by the one retry layer, four waits
        if "retry_after" in how.get("fault", {}):
            assert slept == [2.0] * 4 and result.error.retry_after == 2.0  # type: ignore[union-attr]
    else:
        assert slept == []  # nothing else is retried


def test_one_layer_retries_and_honours_retry_after(site: JiraSite, control_of: Callable[..., Any]) -> None:
    key = site.create_issue("Item", labels=["kr:OBJ1-KR1"])
    slept: list[float] = []
    conn = JiraConnector("jira", settings(site.info), sleep=slept.append)
    conn.catalogue()
    control = control_of(site.sandbox)
    control.fault("GET /jira/rest/api/2/search/jql", "503", times=1, retry_after=3)
    control.reset_requests()
    before = conn.requests_made
    items = conn.pull(None, PullSpec()).items
    assert [i.key for i in items] == [key]
    assert slept == [3.0]  # exactly what Jira asked for, once; the library's own retry is off
    counts = control.requests()
    search = "GET /jira/rest/api/2/search/jql"
    assert counts["total"] == 2 and counts["faulted"] == {search: 1} and counts["by_route"] == {search: 1}
    assert conn.requests_made - before == 2


def test_retry_after_beyond_the_budget_gives_up_at_once(site: JiraSite, control_of: Callable[..., Any]) -> None:
    slept: list[float] = []
    conn = JiraConnector("jira", settings(site.info, max_retry_time="10s"), sleep=slept.append)
    conn.catalogue()
    control_of(site.sandbox).fault("GET /jira/rest/api/2/search/jql", "429", retry_after=60)
    before = conn.requests_made
    with pytest.raises(RetriableError) as caught:
        conn.pull(None, PullSpec())
    assert caught.value.retry_after == 60.0 and slept == [] and conn.requests_made - before == 1
    assert "search (project = OKR" in str(caught.value)


def test_a_comment_that_landed_before_the_answer_failed_is_not_posted_twice(
        site: JiraSite, control_of: Callable[..., Any]) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result")
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    conn.catalogue()
    control = control_of(site.sandbox)
    control.fault(COMMENT_ROUTE, "504", phase="after", times=1)  # the write happens, the answer is a 504
    [result] = conn.apply([comment_write(key)])
    assert result.ok, result.error
    assert [c["marker"] for c in own_comments(site, key)] == ["okr-sync:status:OBJ1-KR1"]
    assert control.requests()["by_route"].get("POST /jira/rest/api/2/issue/{issueIdOrKey}/comment") == 1
