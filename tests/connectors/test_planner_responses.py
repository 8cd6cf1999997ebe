"""What the Planner connector does with each answer Graph (or the network) can give, row by row.

Faults come from the sandbox's fault injection (429/5xx with Retry-After, 412, hang, drop) and from the
emulator's own answers (401 for a revoked token, 404). Answers the fault book cannot produce (403, 409,
a JSON body that does not parse, a body without Content-Type) come from :class:`ScriptedGraph`: the
real Graph emulator with one scripted answer for a route, mounted by the sandbox core as usual.
Every row asserts the disposition, the exact number of requests (so exactly one layer retried), and
that the message names the task and carries no secret.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from okr_sync.config.errors import SyncError
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.mapping import HomeItem
from okr_sync.sandbox.graph import GraphEmulator
from okr_sync.sandbox.server import Sandbox
from tests.contract.harness_planner import CLIENT_STATE, desired, settings_for

TASK_ID = "respTask00000000000000000001"
FIXTURE = {"planner": {"plans": [{"id": "respPlan00000000000000000001", "title": "OKR",
                                  "categories": {"category2": "On track"},
                                  "tasks": [{"id": TASK_ID, "title": "KR OBJ1-KR1 home"}]}]}}
GET_TASK = f"GET /graph/v1.0/planner/tasks/{TASK_ID}"
PATCH_TASK = f"PATCH /graph/v1.0/planner/tasks/{TASK_ID}"
GRAPH_ERROR = b'{"error": {"code": "%s", "message": "%s", "innerError": {"request-id": "r-1"}}}'


class ScriptedGraph(GraphEmulator):
    """The Graph emulator, except that requests matching ``script`` get a fixed answer."""

    script: tuple[str, str, bytes, str | None] | None = None
    """(``"METHOD path-regex"``, status line, body, Content-Type or None)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer from the script when it matches, else as the emulator does."""
        if self.script is not None:
            route, status, body, content_type = self.script
            method, _, pattern = route.partition(" ")
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            if environ["REQUEST_METHOD"] == method and re.fullmatch(pattern, path):
                environ["sandbox.route"] = "{scripted}"
                headers = [("Content-Length", str(len(body)))]
                headers += [("Content-Type", content_type)] if content_type else []
                start_response(status, headers)
                return [body]
        return super().__call__(environ, start_response)


class Sleeps:
    """The injected sleep: records waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def scripted(status: str, code: str, message: str, *, route: str = PATCH_TASK) -> Callable[[Sandbox], None]:
    body = GRAPH_ERROR % (code.encode(), message.encode())
    return lambda sb: setattr(sb.emulators["planner"], "script", (route, status, body, "application/json"))


def fault(kind: str, route: str = PATCH_TASK, **rule: Any) -> Callable[[Any], None]:
    return lambda control: control.fault(route, kind, **rule)


# (id, arrange on the sandbox, arrange on its control API, operation, disposition, requests on the route,
#  route counted, waits the injected sleep saw)
ROWS: list[tuple[str, Any, Any, str, str, int, str, list[float] | None]] = [
    ("401-revoked-token", lambda sb: sb.tokens.revoke_all(), None, "read", "auth", 1, GET_TASK, []),
    ("403-permission", scripted("403 Forbidden", "Authorization_RequestDenied",
                                "Insufficient privileges to complete the operation.", route=GET_TASK),
     None, "read", "auth", 1, GET_TASK, []),
    ("404-task-deleted", lambda sb: sb.emulators["planner"].state.remove("task", TASK_ID), None, "write",
     "skippable", 1, PATCH_TASK, []),
    ("409-conflict", scripted("409 Conflict", "Conflict", "The entity is being updated."), None, "write",
     "retriable", 4, PATCH_TASK, None),
    ("412-twice", None, fault("412", times=2), "write", "retriable", 2, PATCH_TASK, []),
    ("429-retry-after", None, fault("429", retry_after=2), "write", "retriable", 4, PATCH_TASK, [2, 2, 2]),
    ("503-sdk-retries", None, fault("503", retry_after=1), "write", "retriable", 4, PATCH_TASK, [1, 1, 1]),
    ("504-sdk-retries", None, fault("504", route=GET_TASK, retry_after=1), "read", "retriable", 4, GET_TASK,
     [1, 1, 1]),
    ("500-retried-once-layer", None, fault("500", route=GET_TASK), "read", "retriable", 4, GET_TASK, None),
    ("timeout", None, fault("hang", route=GET_TASK, hang_seconds=0.8), "read", "retriable", 4, GET_TASK, None),
    ("dropped", None, fault("drop", route=GET_TASK), "read", "retriable", 4, GET_TASK, None),
    ("invalid-json", lambda sb: setattr(sb.emulators["planner"], "script", (
        GET_TASK, "200 OK", b'{"id": "respTask', "application/json")), None, "read", "retriable", 4, GET_TASK, None),
    ("missing-content-type", lambda sb: setattr(sb.emulators["planner"], "script", (
        GET_TASK, "200 OK", b"<html>proxy says hi</html>", None)), None, "read", "retriable", 4, GET_TASK, None),
]


@pytest.mark.parametrize(("arrange", "inject", "operation", "disposition", "count", "route", "waits"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_response_table(request: pytest.FixtureRequest, control_of: Callable[..., Any], arrange: Any,
                        inject: Any, operation: str, disposition: str, count: int, route: str,
                        waits: list[float] | None) -> None:
    sb = Sandbox(FIXTURE, emulator_factories={"planner": ScriptedGraph}).start()
    try:
        control = control_of(sb)
        sleeps = Sleeps()
        settings = settings_for(sb, scope={"plans": ["respPlan00000000000000000001"]}, timeout=0.5)
        connector = PlannerConnector("planner", settings, sleep=sleeps)
        home = HomeItem("planner", TASK_ID)
        writes = connector.plan_writes([desired(home, "OBJ1-KR1", 0.42)], connector.read_homes([home], PullSpec()))
        writes = [w for w in writes if w.target == "percentComplete"]
        if arrange is not None:
            arrange(sb)
        if inject is not None:
            inject(control)
        control.reset_requests()
        before = connector.requests_made
        error = _error(connector, operation, home, writes)
        made = connector.requests_made - before
        assert error.disposition == disposition, error
        text = str(error) + repr(error)
        assert f"task {TASK_ID}" in text
        for secret in (sb.info["planner"]["client_secret"], CLIENT_STATE, "sandbox-at-"):
            assert secret not in text
        counts = _settled(control, made)
        method = route.split()[0]
        counted = {**counts["by_route"], **{f"faulted {k}": v for k, v in counts["faulted"].items()}}
        hits = (counts["by_route"].get(route.replace(TASK_ID, "{task_id}"), 0) + counts["faulted"].get(route, 0)
                + counts["by_route"].get(f"{method} /graph/v1.0{{scripted}}", 0))
        if operation == "read":  # only the task GET was tried: the client's own count is exact
            assert made == count
        if request.node.callspec.id == "dropped":
            # an attempt on a pooled connection the previous drop killed can fail before the server sees it
            assert 1 <= hits <= count, counted
        else:
            assert hits == count, counted
        if waits is not None:
            assert sleeps.waits == waits
        if disposition == "retriable" and waits:
            assert getattr(error, "retry_after", None) == waits[-1]
        connector.close()
    finally:
        sb.stop()


def _error(connector: PlannerConnector, operation: str, home: HomeItem, writes: list[Any]) -> SyncError:
    if operation == "read":
        with pytest.raises(SyncError) as caught:
            connector.read_homes([home], PullSpec())
        return caught.value
    (result,) = connector.apply(writes)
    assert not result.ok and result.error is not None
    return result.error


def _settled(control: Any, made: int) -> dict[str, Any]:
    """The counters once every request the client made (hung ones too) has been answered and counted."""
    for _ in range(20):
        counts = control.requests()
        if counts["total"] >= made:
            break
        time.sleep(0.1)
    return counts  # type: ignore[no-any-return]
