"""The one response table: keyed by status and by client-library exception type, redacting inside
classification, every classified error with a typed ``http_status``."""

from __future__ import annotations

import httpx
import pytest
import requests
from jira import JIRAError

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.gitlab.transport import RULES as GITLAB_RULES
from okr_sync.connectors.jira.session import RULES as JIRA_RULES
from okr_sync.connectors.jira.session import _answer as jira_answer
from okr_sync.connectors.planner.graph import RULES as PLANNER_RULES
from okr_sync.connectors.planner.graph import UnreadableBody
from okr_sync.connectors.responses import BAD_BODY, Answer, classify, classify_exception

SECRET = "glpat-s3cr3t-t0k3n-value"


def test_classification_redacts_subject_detail_and_message() -> None:
    error = classify(403, tracker="gitlab", subject=f"https://gitlab.example.gov/api?private_token={SECRET}",
                     detail=f"token {SECRET} lacks the api scope", secrets=[SECRET])
    assert isinstance(error, AuthError) and error.http_status == 403
    assert SECRET not in str(error) and SECRET not in error.message and "***" in error.message


@pytest.mark.parametrize(("rules", "exc", "kind", "fragment"), [
    (JIRA_RULES, requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] x"), AuthError,
     "certificate verify failed"),
    (JIRA_RULES, requests.exceptions.ConnectTimeout("slow"), RetriableError, "within the timeout"),
    (JIRA_RULES, requests.exceptions.ConnectionError("reset"), RetriableError, "dropped"),
    (JIRA_RULES, ValueError("bad json"), RetriableError, "not the JSON Jira sends: ValueError"),
    (GITLAB_RULES, requests.exceptions.ReadTimeout("slow"), RetriableError, "within the timeout"),
    (GITLAB_RULES, requests.exceptions.ChunkedEncodingError("cut"), RetriableError, "dropped"),
    (PLANNER_RULES, httpx.ReadTimeout("slow"), RetriableError, "within the timeout"),
    (PLANNER_RULES, httpx.ConnectError("refused"), RetriableError, "dropped"),
    (PLANNER_RULES, UnreadableBody(f"HTTP 200 with text/html instead of JSON {SECRET}"), RetriableError,
     "text/html instead of JSON ***"),
    (PLANNER_RULES, RuntimeError("something else"), RetriableError, "unreadable body (RuntimeError)"),
], ids=["jira-tls", "jira-timeout", "jira-dropped", "jira-json", "gitlab-timeout", "gitlab-chunked",
        "planner-timeout", "planner-connect", "planner-unreadable", "unknown-type"])
def test_exception_types_are_rows_of_the_table(rules: tuple, exc: BaseException, kind: type[SyncError],
                                                fragment: str) -> None:
    error = classify_exception(exc, tracker="t", subject="search", rules=rules, secrets=[SECRET])
    assert type(error) is kind and fragment in error.message, error.message
    assert error.http_status is None, "no answer, no status"


def test_a_library_http_error_is_classified_by_what_was_answered() -> None:
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = "7"
    response.headers["Content-Type"] = "application/json"
    exc = JIRAError(status_code=429, text=f"slow down, {SECRET}", response=response)
    error = classify_exception(exc, tracker="jira", subject="search", rules=JIRA_RULES, answer=jira_answer,
                               secrets=[SECRET])
    assert isinstance(error, RetriableError) and error.retry_after == 7.0 and error.http_status == 429
    assert SECRET not in str(error)


def test_an_answer_without_a_status_is_an_unreadable_body() -> None:
    error = classify_exception(KeyError("x"), tracker="t", subject="s", rules=GITLAB_RULES,
                               answer=lambda _exc: Answer(BAD_BODY, "HTML"))
    assert isinstance(error, RetriableError) and "unreadable body (HTML)" in error.message
    skipped = classify(404, tracker="gitlab", subject="okr/work#9", rules=GITLAB_RULES)
    assert isinstance(skipped, SkippableError) and skipped.http_status == 404
