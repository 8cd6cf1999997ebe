"""Response table, retry layer, redaction and webhook checks shared by every connector."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.base import WebhookRejected
from okr_sync.connectors.redact import redact
from okr_sync.connectors.responses import BAD_BODY, DROPPED, TIMEOUT, classify, retry_after_seconds
from okr_sync.connectors.retry import RetryPolicy, with_retries
from okr_sync.connectors.webhooks import check_hmac_sha256, check_size, check_token

ROWS = [
    (400, SkippableError, "rejected the request for PGE-2"),
    (401, AuthError, "credentials rejected"),
    (403, AuthError, "permission missing for PGE-2"),
    (404, SkippableError, "PGE-2 not found"),
    (409, RetriableError, "conflict while writing PGE-2"),
    (412, RetriableError, "PGE-2 changed since it was read"),
    (422, SkippableError, "could not process the change to PGE-2"),
    (429, RetriableError, "rate limited"),
    (500, RetriableError, "HTTP 500 on PGE-2"),
    (503, RetriableError, "HTTP 503 on PGE-2"),
    (418, SkippableError, "HTTP 418"),
    (TIMEOUT, RetriableError, "within the timeout on PGE-2"),
    (DROPPED, RetriableError, "connection to the tracker dropped on PGE-2"),
    (BAD_BODY, RetriableError, "unreadable body"),
]


@pytest.mark.parametrize(("status", "disposition", "fragment"), ROWS, ids=[str(r[0]) for r in ROWS])
def test_response_table(status: int | str, disposition: type[SyncError], fragment: str) -> None:
    error = classify(status, tracker="jira", subject="PGE-2", detail="Field 'x' cannot be set")
    assert type(error) is disposition
    assert fragment in str(error)
    assert str(error).startswith("jira: ")


def test_retry_after_in_seconds_and_as_http_date() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 <= (retry_after_seconds({"retry-after": format_datetime(later, usegmt=True)}) or 0) <= 31
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    error = classify(429, tracker="gitlab", subject="x", headers={"Retry-After": "3"})
    assert isinstance(error, RetriableError) and error.retry_after == 3


def test_retries_honour_retry_after_and_stop() -> None:
    slept: list[float] = []
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RetriableError("busy", retry_after=2)
        return "ok"

    assert with_retries(flaky, sleep=slept.append) == "ok"
    assert slept == [2, 2] and calls == 3

    def always() -> None:
        raise RetriableError("down")

    with pytest.raises(RetriableError):
        with_retries(always, policy=RetryPolicy(attempts=4, base=1, cap=4), sleep=slept.append)
    assert len(slept) == 2 + 3 and all(0 <= s <= 4 for s in slept[2:])


def test_non_retriable_errors_are_not_retried() -> None:
    calls = 0

    def denied() -> None:
        nonlocal calls
        calls += 1
        raise AuthError("no")

    with pytest.raises(AuthError):
        with_retries(denied, sleep=lambda s: None)
    assert calls == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET https://bot:s3cr3t@jira.example.gov/rest", "GET https://***@jira.example.gov/rest"),
        ("url?private_token=abcd1234&page=2", "url?private_token=***&page=2"),
        ("Authorization: Bearer abc.def", "Authorization: ***"),
        ("PRIVATE-TOKEN: glpat-xyz", "PRIVATE-TOKEN: ***"),
        ("token glpat-secret-1 leaked", "token *** leaked"),
    ],
    ids=["url-userinfo", "query-token", "bearer", "gitlab-header", "configured-secret"],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text, ["glpat-secret-1"]) == expected


def test_webhook_checks() -> None:
    body = b'{"webhookEvent": "jira:issue_updated"}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    check_hmac_sha256(body, good, "s3cret", tracker="jira")
    for signature in (None, "sha256=00", "sha1=" + good[7:]):
        with pytest.raises(WebhookRejected) as caught:
            check_hmac_sha256(body, signature, "s3cret", tracker="jira")
        assert caught.value.status == 401 and "s3cret" not in str(caught.value)
    with pytest.raises(WebhookRejected):
        check_hmac_sha256(body + b" ", good, "s3cret", tracker="jira")
    check_token("t0k3n", "t0k3n", tracker="gitlab", header_name="X-Gitlab-Token")
    with pytest.raises(WebhookRejected) as caught:
        check_token(None, "t0k3n", tracker="gitlab", header_name="X-Gitlab-Token")
    assert caught.value.status == 401
    with pytest.raises(WebhookRejected) as caught:
        check_size(b"x" * 11, 10, tracker="gitlab")
    assert caught.value.status == 413
