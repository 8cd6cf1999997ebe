"""Fault injection for the sandbox: rules that make tracker routes fail the way real services do.

A rule names a route pattern, a fault kind and when it fires. The core consults the fault book on
every tracker request (never on ``/_sandbox`` or the identity endpoint) *before* the emulator sees the
request, so an injected fault has no side effect — unless the rule says ``"phase": "after"``, in which
case the emulator handles the request (the write happens) and its answer is replaced by the fault: the
"my write landed but I got a 504" case that idempotent write-back must survive.

Kinds:

- ``"500" "502" "503" "504"``: that status with the tracker's own error body;
- ``"429"``: Too Many Requests with ``Retry-After`` (seconds);
- ``"412"``: Precondition Failed (what Planner answers to a stale ``If-Match``); allowed on any route;
- ``"hang"``: wait ``hang_seconds`` (default 30, at most 300), then answer normally — longer than a
  client's timeout, so the client gives up first;
- ``"drop"``: close the TCP connection without any response.

Route patterns are matched against ``"<METHOD> <path>"`` (e.g. ``"PATCH /graph/v1.0/planner/tasks/T1"``;
the path includes the mount, never the query string), or against the path alone when the pattern
starts with ``/``. A pattern matches when it matches as a shell glob (``fnmatch``, case-sensitive) or
as a regular expression (``re.fullmatch``) — so ``"GET /jira/*"`` and ``"(GET|POST) /jira/.*/search"``
both work.

When a rule fires: ``every: n`` fires on the n-th, 2n-th, … matching request; ``probability: p`` fires
with probability p drawn from the book's seeded random generator (``seed``, default 0, so runs are
reproducible); neither fires on every matching request. ``times: n`` caps how often the rule fires
in total (``{"times": 2}`` alone = the first two matching requests fail). The first matching rule
that fires wins.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("500", "502", "503", "504", "429", "412", "hang", "drop")
MAX_HANG_SECONDS = 300.0
DEFAULT_HANG_SECONDS = 30.0
DEFAULT_RETRY_AFTER = 1.0
PHASES = ("before", "after")

_REASONS = {
    "500": "Internal Server Error",
    "502": "Bad Gateway",
    "503": "Service Unavailable",
    "504": "Gateway Timeout",
    "429": "Too Many Requests",
    "412": "Precondition Failed",
}


class FaultRuleError(ValueError):
    """A fault rule that cannot be used; the message says which field is wrong and what it accepts."""


@dataclass
class FaultRule:
    """One fault rule as registered through ``POST /_sandbox/faults``."""

    id: str
    route: str
    kind: str
    probability: float | None = None
    every: int | None = None
    times: int | None = None
    retry_after: float | None = None
    hang_seconds: float = DEFAULT_HANG_SECONDS
    phase: str = "before"
    matched: int = 0
    injected: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, rule_id: str, body: Any) -> FaultRule:
        """Validate a JSON rule body; raise :class:`FaultRuleError` naming the wrong field."""
        if not isinstance(body, dict):
            raise FaultRuleError('a fault rule must be a JSON object like '
                                 '{"route": "GET /jira/*", "kind": "503"}')
        unknown = set(body) - {"route", "kind", "probability", "every", "times", "retry_after",
                               "hang_seconds", "phase", "seed"}
        if unknown:
            raise FaultRuleError(f"unknown fault rule field(s) {sorted(unknown)}")
        route = body.get("route")
        if not isinstance(route, str) or not route.strip():
            raise FaultRuleError('"route" must be a non-empty glob or regex on "<METHOD> <path>"')
        kind = str(body.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise FaultRuleError(f'"kind" must be one of {list(FAULT_KINDS)}, got {body.get("kind")!r}')
        phase = body.get("phase", "before")
        if phase not in PHASES:
            raise FaultRuleError(f'"phase" must be "before" or "after", got {phase!r}')
        probability = _number(body, "probability", 0.0, 1.0)
        every = _integer(body, "every")
        times = _integer(body, "times")
        if probability is not None and every is not None:
            raise FaultRuleError('give either "probability" or "every", not both')
        retry_after = _number(body, "retry_after", 0.0, 86400.0)
        hang = _number(body, "hang_seconds", 0.0, MAX_HANG_SECONDS)
        try:
            regex: re.Pattern[str] | None = re.compile(route)
        except re.error:
            regex = None
        return cls(
            id=rule_id, route=route, kind=kind, probability=probability, every=every, times=times,
            retry_after=retry_after, hang_seconds=DEFAULT_HANG_SECONDS if hang is None else hang,
            phase=phase, _regex=regex,
        )

    def matches(self, method: str, path: str) -> bool:
        """Whether the request ``method path`` falls under this rule's route pattern."""
        target = path if self.route.startswith("/") else f"{method} {path}"
        if fnmatch.fnmatchcase(target, self.route):
            return True
        return self._regex is not None and self._regex.fullmatch(target) is not None

    def to_json(self) -> dict[str, Any]:
        """The rule as listed by ``GET /_sandbox/faults``."""
        return {
            "id": self.id, "route": self.route, "kind": self.kind, "probability": self.probability,
            "every": self.every, "times": self.times, "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds, "phase": self.phase, "matched": self.matched,
            "injected": self.injected,
        }


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise FaultRuleError(f'"{name}" must be a number between {low:g} and {high:g}, got {value!r}')
    return float(value)


def _integer(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FaultRuleError(f'"{name}" must be a whole number >= 1, got {value!r}')
    return value


@dataclass(frozen=True)
class Fault:
    """A decision to inject: the rule's kind and parameters, resolved for one request."""

    rule_id: str
    kind: str
    phase: str
    retry_after: float | None
    hang_seconds: float


class FaultBook:
    """The thread-safe set of fault rules of one sandbox, with counts of what it injected."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._seed = seed
        self._random = random.Random(seed)
        self._injected: Counter[str] = Counter()

    def add(self, body: Any) -> FaultRule:
        """Register a rule from its JSON body (a ``seed`` in it reseeds the book's generator)."""
        with self._lock:
            rule = FaultRule.from_json(f"fault-{next(self._ids)}", body)
            if isinstance(body, dict) and "seed" in body:
                seed = body["seed"]
                if isinstance(seed, bool) or not isinstance(seed, int):
                    raise FaultRuleError(f'"seed" must be an integer, got {seed!r}')
                self._seed = seed
                self._random.seed(seed)
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        """Remove every rule, reset the counts and reseed the generator."""
        with self._lock:
            self._rules.clear()
            self._injected.clear()
            self._random.seed(self._seed)

    def decide(self, method: str, path: str) -> Fault | None:
        """The fault to inject into this request, if a rule fires; updates the rule's counters."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.times is not None and rule.injected >= rule.times:
                    continue
                if rule.every is not None:
                    fires = rule.matched % rule.every == 0
                elif rule.probability is not None:
                    fires = self._random.random() < rule.probability
                else:
                    fires = True
                if fires:
                    rule.injected += 1
                    self._injected[rule.kind] += 1
                    return Fault(rule.id, rule.kind, rule.phase, rule.retry_after, rule.hang_seconds)
            return None

    def to_json(self) -> dict[str, Any]:
        """Rules and injection counts, as ``GET /_sandbox/faults`` answers."""
        with self._lock:
            return {
                "seed": self._seed,
                "rules": [rule.to_json() for rule in self._rules],
                "injected": sum(self._injected.values()),
                "by_kind": dict(self._injected),
            }


def status_line(kind: str) -> str:
    """The HTTP status line of an error fault kind (``"503"`` → ``"503 Service Unavailable"``)."""
    return f"{kind} {_REASONS[kind]}"


def error_body(tracker: str, kind: str, request_id: str, date: str) -> dict[str, Any]:
    """The error document ``tracker`` (jira, gitlab, planner) itself sends with status ``kind``."""
    reason = _REASONS[kind]
    if tracker == "jira":
        messages = {
            "429": "Rate limit exceeded. Retry after the number of seconds in the Retry-After header.",
            "412": "The request's precondition failed.",
        }
        return {"errorMessages": [messages.get(kind, f"{reason} (injected by the sandbox)")], "errors": {}}
    if tracker == "azure_devops":  # VssServiceException shape (sandbox/ado.py)
        return {"$id": "1", "innerException": None, "typeKey": "VssServiceException", "errorCode": 0,
                "message": "TF400733: The request has been throttled." if kind == "429" else
                f"{kind} {reason} (injected by the sandbox)"}
    if tracker == "gitlab":
        if kind == "429":
            return {"message": "Retry later"}
        return {"message": f"{kind} {reason}"}
    codes = {
        "500": "generalException", "502": "BadGateway", "503": "serviceNotAvailable",
        "504": "gatewayTimeout", "429": "TooManyRequests", "412": "PreconditionFailed",
    }
    messages = {
        "429": "Too many requests. Retry after the number of seconds in the Retry-After header.",
        "412": "The If-Match header does not match the entity's current ETag.",
    }
    return {
        "error": {
            "code": codes[kind],
            "message": messages.get(kind, f"{reason} (injected by the sandbox)."),
            "innerError": {"date": date, "request-id": request_id, "client-request-id": request_id},
        }
    }
