"""One table that turns what a tracker answered — or what its client library raised — into what okr-sync does.

Each row matches a status code, a range, a transport failure name, or an exception *type* of a client
library (python-gitlab, jira/requests, kiota/httpx/azure-identity), optionally a fragment of the error
body, and names a disposition — an error class from :mod:`config.errors` — plus a message template that
says what to do. Connectors pass their own rows first (``rules=JIRA_RULES + DEFAULT_RULES``); the first
matching row wins. A library's HTTP error is read for its answer (status, body, headers) by the
connector's ``answer`` function and then matched by status like any response.

Redaction happens here, inside classification: the subject, the tracker's detail and the final message
go through :func:`connectors.redact.redact` with the connector's secrets, so no classified error can
carry one. Every classified error has a typed ``http_status`` (the status answered, None for a failure
without an answer).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.redact import redact

TIMEOUT = "timeout"
DROPPED = "dropped"
BAD_BODY = "bad_body"
TLS = "tls"
"""The tracker's TLS certificate could not be verified: not transient, so never retried."""

Key = int | tuple[int, int] | str | type[BaseException] | tuple[type[BaseException], ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a library's HTTP error says the tracker answered."""

    status: int | str
    detail: str = ""
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """Match → disposition.

    ``when``: a status code, a range ``(lo, hi)``, a transport failure name (:data:`TIMEOUT`, …) or an
    exception type (or tuple of types) a client library raises. ``detail`` reads an exception's detail
    for the message (default: its type name).
    """

    when: Key
    disposition: type[SyncError]
    message: str
    body_contains: str | None = None
    detail: Callable[[BaseException], str] | None = None

    def matches(self, status: int | str, body: str) -> bool:
        """Whether this row applies to an answer (or a named transport failure)."""
        when = self.when
        if _types(when) is not None:
            return False
        if isinstance(when, tuple):
            low, high = when
            hit = isinstance(status, int) and isinstance(low, int) and isinstance(high, int) and low <= status <= high
        else:
            hit = status == when
        return hit and (self.body_contains is None or self.body_contains.lower() in body.lower())

    def catches(self, exc: BaseException) -> bool:
        """Whether this row applies to an exception."""
        types = _types(self.when)
        return types is not None and isinstance(exc, types)


def _types(when: Key) -> tuple[type[BaseException], ...] | None:
    """The exception types a key names, or None for a status, range or failure name."""
    if isinstance(when, type):
        return (when,)
    if isinstance(when, tuple) and all(isinstance(t, type) for t in when) and not (when and isinstance(when[0], int)):
        return tuple(t for t in when if isinstance(t, type))
    return None


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


def transport_rules(*, tls: type[BaseException] | tuple[type[BaseException], ...],
                    timeout: type[BaseException] | tuple[type[BaseException], ...],
                    dropped: type[BaseException] | tuple[type[BaseException], ...],
                    bad_body: type[BaseException] | tuple[type[BaseException], ...] = (ValueError, KeyError),
                    bad_body_detail: Callable[[BaseException], str] = lambda exc: type(exc).__name__,
                    ) -> tuple[Rule, ...]:
    """Exception-type rows for a client library's transport failures, with the default messages.

    Order matters: TLS errors are connection errors in requests, so they come first.
    """
    default = {rule.when: rule for rule in DEFAULT_RULES if isinstance(rule.when, str)}
    return (
        Rule(tls, AuthError, default[TLS].message, detail=tls_reason),
        Rule(timeout, RetriableError, default[TIMEOUT].message),
        Rule(dropped, RetriableError, default[DROPPED].message),
        Rule(bad_body, RetriableError, default[BAD_BODY].message, detail=bad_body_detail),
    )


def tls_reason(exc: BaseException) -> str:
    """A short, secret-free reason for a TLS failure."""
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else "TLS handshake failed"


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
    secrets: Iterable[str] = (),
) -> SyncError:
    """The error (disposition + message) for a response or named transport failure, secrets redacted.

    ``detail`` is the tracker's own error text; ``subject`` names the issue key, field or scope so the
    message says where.
    """
    secrets = list(secrets)
    body = redact(detail or "", secrets)
    subject = redact(subject, secrets)
    for rule in rules:
        if rule.matches(status, body):
            return _error(rule, status, tracker=tracker, subject=subject, detail=body, headers=headers,
                          secrets=secrets)
    error = SyncError(redact(f"unexpected answer {status} on {subject}: {_trim(body)}", secrets), tracker=tracker)
    error.http_status = status if isinstance(status, int) else None
    return error


def classify_exception(
    exc: BaseException,
    *,
    tracker: str,
    subject: str,
    rules: Sequence[Rule],
    answer: Callable[[BaseException], Answer | None] = lambda _exc: None,
    secrets: Iterable[str] = (),
) -> SyncError:
    """The error for anything a client library raised: its answer by status, else its type, else unreadable.

    ``answer`` reads a library's HTTP error (``JIRAError``, ``GitlabHttpError``, kiota's ``APIError``)
    into an :class:`Answer`; other exceptions are matched by the type rows of ``rules``.
    """
    if isinstance(exc, SyncError):
        return exc
    got = answer(exc)
    if got is not None:
        return classify(got.status, tracker=tracker, subject=subject, detail=got.detail, headers=got.headers,
                        rules=rules, secrets=secrets)
    secrets = list(secrets)
    for rule in rules:
        if rule.catches(exc):
            detail = rule.detail(exc) if rule.detail is not None else type(exc).__name__
            return _error(rule, None, tracker=tracker, subject=redact(subject, secrets),
                          detail=redact(detail, secrets), headers=None, secrets=secrets)
    return classify(BAD_BODY, tracker=tracker, subject=subject, detail=type(exc).__name__, rules=rules,
                    secrets=secrets)


def _error(rule: Rule, status: int | str | None, *, tracker: str, subject: str, detail: str,
           headers: Mapping[str, str] | None, secrets: list[str]) -> SyncError:
    shown = status if status is not None else "(no answer)"
    message = redact(rule.message.format(subject=subject, detail=_trim(detail) or "no detail given", status=shown,
                                         tracker=tracker), secrets)
    error: SyncError
    if issubclass(rule.disposition, RetriableError):
        error = rule.disposition(message, tracker=tracker, subject=None, retry_after=retry_after_seconds(headers))
    else:
        error = rule.disposition(message, tracker=tracker)
    error.http_status = status if isinstance(status, int) else None
    return error


def _trim(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
