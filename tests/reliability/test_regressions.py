"""Unit-level regression tests for the product failures this suite found (each also covered end to end in
the suite's own files; these pin the exact behaviour of the fixed functions, cheaply)."""

from __future__ import annotations

import pytest

from okr_sync.config.errors import AuthError, RetriableError
from okr_sync.config.types import parse_duration
from okr_sync.connectors.base import WebhookRejected
from okr_sync.connectors.gitlab.items import parse_time as gitlab_time
from okr_sync.connectors.jira.homes import _comment_page
from okr_sync.connectors.jira.items import parse_time as jira_time
from okr_sync.connectors.jira.pull import _checked
from okr_sync.connectors.responses import DROPPED, TLS, classify
from okr_sync.connectors.webhooks import check_hmac_sha256, json_body

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("value", ["yesterday", "\u202e2026", "2026-13-45T99:00:00Z", "[]"])
def test_unreadable_tracker_times_are_unknown_not_a_crash(value: str) -> None:
    assert jira_time(value) is None and gitlab_time(value) is None


@pytest.mark.parametrize("page", [{}, None, [], {"issues": {"a": 1}}, {"issues": [], "total": "many"},
                                  {"issues": [], "total": True}], ids=str)
def test_a_search_answer_without_a_list_of_issues_is_unreadable(page: object) -> None:
    with pytest.raises(ValueError, match="search answer"):
        _checked(lambda: page)


def test_a_search_answer_with_issues_passes() -> None:
    assert _checked(lambda: {"issues": [{"key": "A-1"}], "total": 1})["issues"] == [{"key": "A-1"}]


@pytest.mark.parametrize("page", ["none", None, {"comments": "x"}, {"comments": [1]},
                                  {"comments": [], "total": "2"}], ids=str)
def test_a_broken_comment_page_is_unreadable_never_empty(page: object) -> None:
    with pytest.raises(ValueError):
        _comment_page(page)


def test_non_ascii_signatures_are_refused_not_a_type_error() -> None:
    with pytest.raises(WebhookRejected) as refused:
        check_hmac_sha256(b"{}", "sha256=\u202e\u00e9", "secret", tracker="jira")
    assert refused.value.status == 401


def test_absurdly_nested_json_is_a_400() -> None:
    with pytest.raises(WebhookRejected) as refused:
        json_body(b"[" * 50_000 + b"]" * 50_000, tracker="gitlab", expected="an object")
    assert refused.value.status == 400


def test_a_certificate_failure_is_not_retried_but_a_drop_is() -> None:
    assert isinstance(classify(TLS, tracker="jira", subject="serverInfo", detail="certificate verify failed"),
                      AuthError)
    assert isinstance(classify(DROPPED, tracker="jira", subject="serverInfo"), RetriableError)


@pytest.mark.parametrize("value", [float("inf"), 1e300, "99999999999999d"], ids=str)
def test_durations_too_long_to_represent_are_a_value_error(value: object) -> None:
    with pytest.raises(ValueError, match="not a usable duration"):
        parse_duration(value)
