"""GitLab webhook deliveries: token check, events okr-sync reacts to, events it ignores, size limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from okr_sync.connectors.base import WebhookRejected
from okr_sync.connectors.gitlab.connector import GitLabConnector
from tests.contract.harness_gitlab import NO_SLEEP, WEBHOOK_SECRET, settings_for

ISSUE_HOOK = {"object_kind": "issue", "project": {"path_with_namespace": "transparency/portal"},
              "object_attributes": {"iid": 12, "action": "update"}}
NOTE_HOOK = {"object_kind": "note", "project": {"path_with_namespace": "transparency/portal"},
             "object_attributes": {"noteable_type": "Issue", "note": "okr-value: 12"}, "issue": {"iid": 7}}
MR_NOTE_HOOK = {**NOTE_HOOK, "object_attributes": {"noteable_type": "MergeRequest"}, "merge_request": {"iid": 3}}


class _Offline:
    """Parsing a webhook makes no request: a sandbox-shaped stand-in that is never contacted."""

    info: ClassVar[dict[str, Any]] = {"gitlab": {"url": "http://127.0.0.1:9/gitlab", "token": "unused-token"}}


@pytest.fixture
def connector() -> Iterator[GitLabConnector]:
    made = GitLabConnector("gitlab", settings_for(_Offline()), sleep=NO_SLEEP)
    yield made
    assert made.requests_made == 0


def _headers(event: str, token: str | None = WEBHOOK_SECRET) -> dict[str, str]:
    headers = {"x-gitlab-event": event, "Content-Type": "application/json"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return headers


@pytest.mark.parametrize(
    ("event", "payload", "keys"),
    [("Issue Hook", ISSUE_HOOK, {"transparency/portal#12"}),
     ("Confidential Issue Hook", ISSUE_HOOK, {"transparency/portal#12"}),
     ("Note Hook", NOTE_HOOK, {"transparency/portal#7"})],
    ids=["issue", "confidential-issue", "note"],
)
def test_issue_and_note_hooks_name_the_changed_issue(connector: GitLabConnector, event: str,
                                                     payload: dict[str, Any], keys: set[str]) -> None:
    result = connector.parse_webhook(_headers(event), json.dumps(payload).encode(), max_bytes=10_000)
    assert (result.keys, result.ignored, result.event, result.tracker) == (keys, False, event, "gitlab")


@pytest.mark.parametrize(
    ("event", "payload"),
    [("Push Hook", {"object_kind": "push"}), ("Pipeline Hook", {}), ("Note Hook", MR_NOTE_HOOK), ("", {})],
    ids=["push", "pipeline", "merge-request-note", "no-event-header"],
)
def test_other_events_are_ignored(connector: GitLabConnector, event: str, payload: dict[str, Any]) -> None:
    result = connector.parse_webhook(_headers(event), json.dumps(payload).encode(), max_bytes=10_000)
    assert result.ignored and result.keys == frozenset()


@pytest.mark.parametrize("token", [None, "wrong-token", WEBHOOK_SECRET + "x", ""], ids=["missing", "wrong",
                                                                                     "longer", "empty"])
def test_wrong_or_missing_token_is_401(connector: GitLabConnector, token: str | None) -> None:
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook(_headers("Issue Hook", token), json.dumps(ISSUE_HOOK).encode(), max_bytes=10_000)
    assert caught.value.status == 401 and "X-Gitlab-Token" in str(caught.value)
    assert WEBHOOK_SECRET not in str(caught.value)


def test_oversized_body_is_413_before_anything_else(connector: GitLabConnector) -> None:
    body = json.dumps({**ISSUE_HOOK, "padding": "x" * 2000}).encode()
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook(_headers("Issue Hook", token=None), body, max_bytes=1000)
    assert caught.value.status == 413 and str(len(body)) in str(caught.value)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"], ids=["not-json", "not-an-object"])
def test_unreadable_issue_hook_is_400(connector: GitLabConnector, body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook(_headers("Issue Hook"), body, max_bytes=10_000)
    assert caught.value.status == 400


def test_no_configured_secret_accepts_any_token() -> None:
    open_connector = GitLabConnector("gitlab", settings_for(_Offline(), webhook_secret=None),
                                     sleep=NO_SLEEP)
    result = open_connector.parse_webhook(_headers("Issue Hook", None), json.dumps(ISSUE_HOOK).encode(),
                                          max_bytes=10_000)
    assert result.keys == {"transparency/portal#12"}
