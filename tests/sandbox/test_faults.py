"""Fault injection observed at the HTTP level with a plain ``http.client`` client.

How each client library reacts to these faults is tested by the emulator and connector owners; here
the point is that every fault kind looks on the wire like the real service's failure.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from okr_sync.sandbox.faults import FaultBook, FaultRule, FaultRuleError
from okr_sync.sandbox.server import Sandbox


def request(sb: Sandbox, method: str, path: str, body: Any = None, timeout: float = 5.0
            ) -> tuple[int, dict[str, str], Any]:
    """One request to the sandbox's tracker port; returns status, headers and the decoded JSON."""
    netloc = urlsplit(sb.base_url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw or b"null")
    finally:
        conn.close()


def add_fault(sb: Sandbox, **rule: Any) -> dict[str, Any]:
    status, _, body = request(sb, "POST", "/_sandbox/faults", rule)
    assert status == 201, body
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_server_errors_carry_each_trackers_error_shape(stub_sandbox: Sandbox, kind: str) -> None:
    add_fault(stub_sandbox, route="GET /*/items", kind=kind)
    status, headers, body = request(stub_sandbox, "GET", "/jira/items")
    assert status == int(kind)
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body["errors"] == {} and body["errorMessages"][0]
    status, _, body = request(stub_sandbox, "GET", "/gitlab/items")
    assert status == int(kind) and body["message"].startswith(kind)
    status, headers, body = request(stub_sandbox, "GET", "/graph/v1.0/items")
    assert status == int(kind)
    assert body["error"]["code"] and body["error"]["message"]
    assert body["error"]["innerError"]["request-id"] == headers["request-id"]


def test_429_carries_retry_after(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="GET /jira/items", kind="429", times=1)
    add_fault(stub_sandbox, route="GET /graph/v1.0/items", kind="429", retry_after=7, times=1)
    status, headers, body = request(stub_sandbox, "GET", "/jira/items")
    assert status == 429 and headers["retry-after"] == "1"
    assert "Rate limit" in body["errorMessages"][0]
    status, headers, body = request(stub_sandbox, "GET", "/graph/v1.0/items")
    assert status == 429 and headers["retry-after"] == "7"
    assert body["error"]["code"] == "TooManyRequests"
    # times=1: the next calls go through to the emulator
    assert request(stub_sandbox, "GET", "/jira/items")[0] == 200
    assert request(stub_sandbox, "GET", "/graph/v1.0/items")[0] == 200


def test_503_may_carry_retry_after_too(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="GET /gitlab/items", kind="503", retry_after=2)
    status, headers, _ = request(stub_sandbox, "GET", "/gitlab/items")
    assert status == 503 and headers["retry-after"] == "2"


def test_412_on_a_graph_patch(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="PATCH /graph/v1.0/items/*", kind="412")
    status, _, body = request(stub_sandbox, "PATCH", "/graph/v1.0/items/1", {"title": "x"})
    assert status == 412
    assert body["error"]["code"] == "PreconditionFailed"
    assert request(stub_sandbox, "GET", "/graph/v1.0/items/1")[0] == 404  # GET is not matched


def test_hang_outlasts_the_client_timeout_then_answers(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="GET /jira/items/1", kind="hang", hang_seconds=1.5, times=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        request(stub_sandbox, "GET", "/jira/items/1", timeout=0.3)
    assert time.monotonic() - started < 1.0
    add_fault(stub_sandbox, route="GET /jira/items/2", kind="hang", hang_seconds=0.3)
    started = time.monotonic()
    status, _, body = request(stub_sandbox, "GET", "/jira/items/2", timeout=5)
    assert status == 200 and body["title"] == "second"
    assert time.monotonic() - started >= 0.3


def test_drop_closes_the_connection_without_a_response(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="POST /gitlab/items", kind="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        request(stub_sandbox, "POST", "/gitlab/items", {"title": "lost"})
    assert stub_sandbox.snapshot()["gitlab"]["items"] == []  # "before": the emulator never saw it
    _, _, counts = request(stub_sandbox, "GET", "/_sandbox/requests")
    assert counts["faulted"] == {"POST /gitlab/items": 1} and counts["writes"] == 1


def test_after_phase_applies_the_write_then_fails_the_answer(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route="POST /jira/items", kind="504", phase="after", times=1)
    status, _, _ = request(stub_sandbox, "POST", "/jira/items", {"title": "landed anyway"})
    assert status == 504
    titles = [item["title"] for item in stub_sandbox.snapshot()["jira"]["items"]]
    assert titles[-1] == "landed anyway"
    _, _, counts = request(stub_sandbox, "GET", "/_sandbox/requests")
    assert counts["by_route"] == {"POST /jira/items": 1} and counts["faulted"] == {}


def test_every_nth_request_fails_and_counts_are_kept(stub_sandbox: Sandbox) -> None:
    rule = add_fault(stub_sandbox, route="GET /jira/items", kind="500", every=3)
    statuses = [request(stub_sandbox, "GET", "/jira/items")[0] for _ in range(7)]
    assert statuses == [200, 200, 500, 200, 200, 500, 200]
    _, _, faults = request(stub_sandbox, "GET", "/_sandbox/faults")
    assert faults["injected"] == 2 and faults["by_kind"] == {"500": 2}
    assert faults["rules"][0]["id"] == rule["id"]
    assert faults["rules"][0]["matched"] == 7 and faults["rules"][0]["injected"] == 2
    _, _, counts = request(stub_sandbox, "GET", "/_sandbox/requests")
    assert counts["total"] == 7 and counts["by_route"] == {"GET /jira/items": 5}
    assert counts["faulted"] == {"GET /jira/items": 2}
    status, _, cleared = request(stub_sandbox, "DELETE", "/_sandbox/faults")
    assert status == 200 and cleared["rules"] == [] and cleared["injected"] == 0
    assert request(stub_sandbox, "GET", "/jira/items")[0] == 200


def test_probability_is_reproducible_with_a_seed(stub_sandbox: Sandbox) -> None:
    def run() -> list[int]:
        request(stub_sandbox, "DELETE", "/_sandbox/faults")
        add_fault(stub_sandbox, route="GET /gitlab/items", kind="503", probability=0.5, seed=42)
        return [request(stub_sandbox, "GET", "/gitlab/items")[0] for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 3 <= first.count(503) <= 17


def test_control_and_identity_calls_are_never_faulted(stub_sandbox: Sandbox) -> None:
    add_fault(stub_sandbox, route=".*", kind="500")
    assert request(stub_sandbox, "GET", "/_sandbox/requests")[0] == 200
    assert request(stub_sandbox, "GET", "/jira/items")[0] == 500


@pytest.mark.parametrize(("rule", "message"), [
    ({"route": "GET /x", "kind": "418"}, '"kind" must be one of'),
    ({"kind": "500"}, '"route" must be'),
    ({"route": "GET /x", "kind": "500", "probability": 2}, '"probability" must be a number between 0 and 1'),
    ({"route": "GET /x", "kind": "500", "every": 0}, '"every" must be a whole number'),
    ({"route": "GET /x", "kind": "500", "every": 2, "probability": 0.5}, "either"),
    ({"route": "GET /x", "kind": "hang", "hang_seconds": 10_000}, '"hang_seconds"'),
    ({"route": "GET /x", "kind": "500", "phase": "during"}, '"phase"'),
    ({"route": "GET /x", "kind": "500", "delay": 1}, "unknown fault rule field"),
], ids=["kind", "route", "probability", "every", "both", "hang-bound", "phase", "unknown-field"])
def test_bad_rules_are_refused_with_the_reason(stub_sandbox: Sandbox, rule: dict[str, Any], message: str) -> None:
    status, _, body = request(stub_sandbox, "POST", "/_sandbox/faults", rule)
    assert status == 400
    assert message in body["error"]


@pytest.mark.parametrize(("pattern", "method", "path", "expected"), [
    ("GET /jira/*", "GET", "/jira/rest/api/2/search", True),
    ("GET /jira/*", "POST", "/jira/rest/api/2/search", False),
    ("/jira/*/issue/*", "PUT", "/jira/rest/api/2/issue/PGE-1", True),
    ("(GET|POST) /jira/.*/search(/jql)?", "POST", "/jira/rest/api/2/search/jql", True),
    ("(GET|POST) /jira/.*/search(/jql)?", "GET", "/jira/rest/api/2/searchx", False),
    ("PATCH /graph/v1.0/planner/tasks/[^/]+", "PATCH", "/graph/v1.0/planner/tasks/T1", True),
    ("PATCH /graph/v1.0/planner/tasks/[^/]+", "PATCH", "/graph/v1.0/planner/tasks/T1/details", False),
    ("GET /gitlab/api/v4/projects/1/issues", "GET", "/gitlab/api/v4/projects/1/issues/2", False),
], ids=["glob", "glob-method", "path-only", "regex", "regex-full", "regex-segment", "regex-deeper", "exact"])
def test_route_patterns_match_as_glob_or_full_regex(pattern: str, method: str, path: str, expected: bool) -> None:
    rule = FaultRule.from_json("r", {"route": pattern, "kind": "500"})
    assert rule.matches(method, path) is expected


def test_times_caps_a_probability_rule_and_the_first_firing_rule_wins() -> None:
    book = FaultBook(seed=1)
    book.add({"route": "GET /a", "kind": "503", "probability": 1.0, "times": 2})
    book.add({"route": "GET /*", "kind": "429"})
    kinds = [getattr(book.decide("GET", "/a"), "kind", None) for _ in range(4)]
    assert kinds == ["503", "503", "429", "429"]
    assert book.to_json()["by_kind"] == {"503": 2, "429": 2}
    with pytest.raises(FaultRuleError, match="seed"):
        book.add({"route": "GET /a", "kind": "500", "seed": "x"})


def test_stop_wakes_a_hanging_request(stubs: dict[str, Any]) -> None:
    sb = Sandbox("empty", emulator_factories=stubs).start()
    add_fault(sb, route="GET /jira/items", kind="hang", hang_seconds=60)
    netloc = urlsplit(sb.base_url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=10)
    conn.request("GET", "/jira/items")
    time.sleep(0.2)
    started = time.monotonic()
    sb.stop()
    assert time.monotonic() - started < 2
    response = conn.getresponse()  # the hang ended early and the request was answered normally
    assert response.status == 200
    assert json.loads(response.read()) == {"items": []}
    conn.close()
