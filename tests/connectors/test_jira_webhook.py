"""Jira webhooks: ``jira:issue_*`` deliveries, ``X-Hub-Signature`` HMAC-SHA256, size limit; and no secret in logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.config.errors import AuthError
from okr_sync.connectors.base import PullSpec, WebhookRejected
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.jira.settings import JiraTracker
from tests.contract.harness_jira import WEBHOOK_SECRET, JiraSite, settings, signed, webhook_body

SITE = {"url": "http://127.0.0.1:9/jira", "user": "okr-bot", "token": "sandbox-jira-token"}


def connector(**overrides: Any) -> JiraConnector:
    return JiraConnector("jira", settings(SITE, **overrides), sleep=lambda _: None)


def test_signed_issue_event_names_the_issue() -> None:
    body = webhook_body("OKR-7", "jira:issue_updated")
    event = connector().parse_webhook(signed(body), body, max_bytes=10_000)
    assert event.keys == frozenset({"OKR-7"}) and event.event == "jira:issue_updated" and not event.ignored


@pytest.mark.parametrize("event", ["jira:issue_created", "jira:issue_deleted"])
def test_other_issue_events_count_too(event: str) -> None:
    body = webhook_body("OKR-8", event)
    assert connector().parse_webhook(signed(body), body, max_bytes=10_000).keys == {"OKR-8"}


def test_events_without_an_issue_are_ignored() -> None:
    body = json.dumps({"webhookEvent": "sprint_started", "sprint": {"id": 1}}).encode()
    event = connector().parse_webhook(signed(body), body, max_bytes=10_000)
    assert event.ignored and event.keys == frozenset()


def header_sets(body: bytes) -> dict[str, dict[str, str]]:
    other = webhook_body("OKR-99")
    return {
        "wrong-signature": signed(body, "some-other-secret"),
        "missing-signature": {"Content-Type": "application/json"},
        "replayed-body-signature": signed(other),  # a valid signature, but for another body
        "not-sha256": {"X-Hub-Signature": "sha1=" + signed(body)["X-Hub-Signature"].split("=", 1)[1]},
    }


@pytest.mark.parametrize("case", ["wrong-signature", "missing-signature", "replayed-body-signature", "not-sha256"])
def test_bad_signatures_are_rejected_with_401(case: str) -> None:
    body = webhook_body("OKR-7")
    with pytest.raises(WebhookRejected) as caught:
        connector().parse_webhook(header_sets(body)[case], body, max_bytes=10_000)
    assert caught.value.status == 401
    assert WEBHOOK_SECRET not in str(caught.value)


def test_oversized_bodies_are_rejected_with_413_before_anything_else() -> None:
    body = webhook_body("OKR-7") + b" " * 2048
    with pytest.raises(WebhookRejected) as caught:
        connector().parse_webhook({}, body, max_bytes=1024)
    assert caught.value.status == 413


def test_no_secret_configured_accepts_unsigned_deliveries() -> None:
    body = webhook_body("OKR-7")
    event = connector(webhook_secret=None).parse_webhook({}, body, max_bytes=10_000)
    assert event.keys == {"OKR-7"}


def test_signed_garbage_is_a_400() -> None:
    body = b"{not json"
    with pytest.raises(WebhookRejected) as caught:
        connector().parse_webhook(signed(body), body, max_bytes=10_000)
    assert caught.value.status == 400


def test_secrets_never_reach_the_logs(make_sandbox: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    site = JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    site.okr_fields()
    site.create_issue("Item", labels=["kr:OBJ1-KR1"])
    caplog.set_level(logging.DEBUG)
    good = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    result = good.pull(None, PullSpec())
    good.pull(result.watermark, PullSpec())
    wrong = "wrong-token-zz9-plural-z-alpha"
    bad = JiraConnector("jira", settings(site.info, token=wrong), sleep=lambda _: None)
    with pytest.raises(AuthError):
        bad.pull(None, PullSpec())
    text = caplog.text
    assert text, "the connector logs something"
    for secret in (site.info["token"], wrong, WEBHOOK_SECRET):
        assert secret not in text
    assert "@sandbox.example" not in "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO
                                               and r.name.startswith("okr_sync"))
    site.close()


def test_settings_type_is_the_jira_model() -> None:
    assert isinstance(connector().settings, JiraTracker)
