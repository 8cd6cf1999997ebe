"""One table that turns what a tracker answered into what okr-sync does about it.

Each row matches a status code (and optionally a fragment of the error body) and names a disposition —
an error class from :mod:`config.errors` — plus a message template that says what to do. Connectors pass
their own rows first (``rules=JIRA_RULES + DEFAULT_RULES``); the first matching row wins. Transport
failures (timeouts, dropped connections) and unreadable bodies (an HTML error page from a proxy, truncated
JSON) are classified here too, so there is exactly one place to change and test.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError

TIMEOUT = "timeout"
DROPPED = "dropped"
BAD_BODY = "bad_body"
TLS = "tls"
"""The tracker's TLS certificate could not be verified: not transient, so never retried."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Match → disposition. ``when`` is a status code, a range ``(lo, hi)``, or a transport failure name."""

    when: int | tuple[int, int] | str
    disposition: type[SyncError]
    message: str
    body_contains: str | None = None

    def matches(self, status: int | str, body: str) -> bool:
        """Whether this row applies."""
        if isinstance(self.when, tuple):
            hit = isinstance(status, int) and self.when[0] <= status <= self.when[1]
        else:
            hit = status == self.when
        return hit and (self.body_contains is None or self.body_contains.lower() in body.lower())


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(400, SkippableError, "the tracker rejected the request for {subject}: {detail}"),
    Rule(401, AuthError, "credentials rejected; check the token configured for this tracker (and that it has "
                         "not expired)"),
    Rule(403, AuthError, "permission missing for {subject}: {detail}; grant the okr-sync account this permission"),
    Rule(404, SkippableError, "{subject} not found, or the okr-sync account cannot see it"),
    Rule(409, RetriableError, "conflict while writing {subject}; will retry"),
    Rule(412, RetriableError, "{subject} changed since it was read (stale ETag); will re-read and retry"),
    Rule(422, SkippableError, "the tracker could not process the change to {subject}: {detail}"),
    Rule(429, RetriableError, "rate limited by the tracker; backing off"),
    Rule((500, 599), RetriableError, "the tracker failed with HTTP {status} on {subject}; will retry"),
    Rule(TIMEOUT, RetriableError, "no answer from the tracker within the timeout on {subject}; will retry"),
    Rule(DROPPED, RetriableError, "the connection to the tracker dropped on {subject}; will retry"),
    Rule(TLS, AuthError, "the tracker's TLS certificate could not be verified on {subject} ({detail}); set ca_cert "
                         "to the CA bundle that signed it (verify_tls: false only for a test system)"),
    Rule(BAD_BODY, RetriableError, "the tracker answered {subject} with an unreadable body ({detail}); will retry"),
    Rule((400, 499), SkippableError, "the tracker refused the request for {subject} with HTTP {status}: {detail}"),
)


def retry_after_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (either delta-seconds or an HTTP date), or None."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - (time.time() if now is None else now))


def classify(
    status: int | str,
    *,
    tracker: str,
    subject: str,
    detail: str = "",
    headers: Mapping[str, str] | None = None,
    rules: Sequence[Rule] = DEFAULT_RULES,
) -> SyncError:
    """The error (disposition + message) for a response or transport failure.

    ``detail`` is the tracker's own error text (already free of secrets); ``subject`` names the issue key,
    field or scope so the message says where.
    """
    body = detail or ""
    for rule in rules:
        if rule.matches(status, body):
            message = rule.message.format(subject=subject, detail=_trim(body) or "no detail given", status=status)
            if rule.disposition is RetriableError:
                return RetriableError(message, tracker=tracker, subject=None,
                                      retry_after=retry_after_seconds(headers))
            return rule.disposition(message, tracker=tracker)
    return SyncError(f"unexpected answer {status} on {subject}: {_trim(body)}", tracker=tracker)


def _trim(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
