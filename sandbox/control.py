"""The sandbox's control API under ``/_sandbox``: request counters, fault rules, clock, state, reset.

Tests and scripts use it to assert how many requests a connector made, to make routes fail, to move
through weeks and to start over. Every answer is JSON; errors are ``{"error": "<what is wrong>"}``
with status 400 (bad body) or 404 (unknown control route). Routes:

==========================  ===================================================================
``GET  /_sandbox/``          the info dict (same as the ``--info`` file)
``GET  /_sandbox/requests``  ``{"total", "writes", "by_route", "faulted", "identity"}``
``POST /_sandbox/requests/reset``  zero every counter
``GET  /_sandbox/faults``    ``{"seed", "rules": [...], "injected", "by_kind"}``
``POST /_sandbox/faults``    add a rule (see :mod:`sandbox.faults`) → 201 ``{"id": ...}``
``DELETE /_sandbox/faults``  remove every rule and zero the fault counts
``GET  /_sandbox/clock``     ``{"now": iso, "frozen": bool}``
``POST /_sandbox/clock``     ``{"now": iso, "frozen": bool}`` or ``{"advance": seconds}``
``GET  /_sandbox/state``     ``{"jira": snapshot, "gitlab": snapshot, "planner": snapshot}``
``POST /_sandbox/reset``     reload the fixture, clear faults and counters, clock back to real time
``GET  /_sandbox/external_urls``  ``{"jira": url|null, "gitlab": …, "planner": …}``
``POST /_sandbox/external_urls``  ``{"gitlab": "http://gitlab.internal.example:8443"}`` (null: back to
                             the request's own URL) → the new mapping
==========================  ===================================================================
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from okr_sync.sandbox.faults import FaultRuleError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from okr_sync.sandbox.server import Sandbox

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestCounter:
    """Thread-safe counts of tracker requests by ``"<METHOD> <mount><route template>"``.

    Requests answered by an emulator count under the template the emulator reported; requests a
    fault rule answered before the emulator saw them count under ``faulted`` by concrete path (no
    template is known for them). ``total`` and ``writes`` include both. Identity-platform calls are
    counted apart under ``identity`` and never in ``total``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._writes = 0
        self._by_route: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._identity: Counter[str] = Counter()

    def record(self, method: str, key: str, *, faulted: bool = False) -> None:
        """Count one tracker request under ``key`` (``faulted``: answered by a fault rule)."""
        with self._lock:
            self._total += 1
            if method in WRITE_METHODS:
                self._writes += 1
            (self._faulted if faulted else self._by_route)[key] += 1

    def record_identity(self, key: str) -> None:
        """Count one call to the identity platform (openid-configuration or token)."""
        with self._lock:
            self._identity[key] += 1

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._total = self._writes = 0
            self._by_route.clear()
            self._faulted.clear()
            self._identity.clear()

    def to_json(self) -> dict[str, Any]:
        """The counters as ``GET /_sandbox/requests`` answers them."""
        with self._lock:
            return {
                "total": self._total,
                "writes": self._writes,
                "by_route": dict(sorted(self._by_route.items())),
                "faulted": dict(sorted(self._faulted.items())),
                "identity": {"total": sum(self._identity.values()), "by_route": dict(self._identity)},
            }


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json; charset=utf-8")


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        raise _BadRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _BadRequest("the body must be a JSON object")
    return data


class _BadRequest(Exception):
    """A control request with a body the control API cannot use."""


class ControlApp:
    """WSGI app mounted at ``/_sandbox``; operates on the :class:`~sandbox.server.Sandbox` it serves."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._frozen = False
        self._url_map = Map([
            Rule("/", endpoint="info", methods=["GET"]),
            Rule("/requests", endpoint="requests", methods=["GET"]),
            Rule("/requests/reset", endpoint="requests_reset", methods=["POST"]),
            Rule("/faults", endpoint="faults_list", methods=["GET"]),
            Rule("/faults", endpoint="faults_add", methods=["POST"]),
            Rule("/faults", endpoint="faults_clear", methods=["DELETE"]),
            Rule("/clock", endpoint="clock_get", methods=["GET"]),
            Rule("/clock", endpoint="clock_set", methods=["POST"]),
            Rule("/state", endpoint="state", methods=["GET"]),
            Rule("/reset", endpoint="reset", methods=["POST"]),
            Rule("/external_urls", endpoint="external_urls_get", methods=["GET"]),
            Rule("/external_urls", endpoint="external_urls_set", methods=["POST"]),
        ], strict_slashes=False)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one WSGI request."""
        request = Request(environ)
        try:
            endpoint, _ = self._url_map.bind_to_environ(environ).match()
            response: Response = getattr(self, f"_{endpoint}")(request)
        except _BadRequest as exc:
            response = _json({"error": str(exc)}, 400)
        except FaultRuleError as exc:
            response = _json({"error": f"bad fault rule: {exc}"}, 400)
        except NotFound:
            response = _json({"error": f"no control route {request.path}; see sandbox/README.md"}, 404)
        except HTTPException as exc:
            response = _json({"error": exc.description}, exc.code or 400)
        return response(environ, start_response)

    def _info(self, request: Request) -> Response:
        return _json(self._sandbox.info)

    def _requests(self, request: Request) -> Response:
        return _json(self._sandbox.requests.to_json())

    def _requests_reset(self, request: Request) -> Response:
        self._sandbox.requests.reset()
        return _json(self._sandbox.requests.to_json())

    def _faults_list(self, request: Request) -> Response:
        return _json(self._sandbox.faults.to_json())

    def _faults_add(self, request: Request) -> Response:
        rule = self._sandbox.faults.add(_body(request))
        return _json(rule.to_json(), 201)

    def _faults_clear(self, request: Request) -> Response:
        self._sandbox.faults.clear()
        return _json(self._sandbox.faults.to_json())

    def _clock_get(self, request: Request) -> Response:
        return _json(self.clock_json())

    def _clock_set(self, request: Request) -> Response:
        body = _body(request)
        clock = self._sandbox.clock
        if "advance" in body:
            seconds = body["advance"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise _BadRequest(f'"advance" must be a number of seconds >= 0, got {seconds!r}')
            clock.advance(float(seconds))
        elif "now" in body:
            try:
                when = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
            except ValueError as exc:
                raise _BadRequest(f'"now" must be an ISO 8601 time like 2026-11-23T09:00:00Z: {exc}') from exc
            frozen = body.get("frozen", False)
            if not isinstance(frozen, bool):
                raise _BadRequest(f'"frozen" must be true or false, got {frozen!r}')
            clock.set(when, frozen=frozen)
            self._frozen = frozen
        else:
            raise _BadRequest('give {"now": "<ISO time>", "frozen": bool} or {"advance": <seconds>}')
        return _json(self.clock_json())

    def clock_json(self) -> dict[str, Any]:
        """The clock as ``GET /_sandbox/clock`` answers it."""
        return {"now": self._sandbox.clock.now().isoformat(), "frozen": self._frozen}

    def forget_clock(self) -> None:
        """Note that the clock was replaced by one following real time (after a reset)."""
        self._frozen = False

    def _state(self, request: Request) -> Response:
        return _json(self._sandbox.snapshot())

    def _external_urls_get(self, request: Request) -> Response:
        return _json(self._sandbox.external_urls())

    def _external_urls_set(self, request: Request) -> Response:
        from okr_sync.sandbox.server import SandboxError

        body = _body(request)
        if not body:
            raise _BadRequest('give {"<emulator>": "<http(s) URL>" or null}, e.g. {"gitlab": '
                              '"http://gitlab.internal.example:8443"}')
        try:
            for name, url in body.items():
                self._sandbox.set_external_url(name, url)
        except SandboxError as exc:
            raise _BadRequest(str(exc)) from exc
        return _json(self._sandbox.external_urls())

    def _reset(self, request: Request) -> Response:
        self._sandbox.reset()
        return _json({"reset": True, "fixture": self._sandbox.fixture_name})
