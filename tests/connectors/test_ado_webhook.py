"""Azure DevOps service-hook deliveries: basic credentials checked in constant time, work item events give the
changed ids, other events are ignored, bad bodies refused."""

from __future__ import annotations

import base64
import json

import pytest

from okr_sync.connectors.azure_devops.webhook import parse_delivery
from okr_sync.connectors.base import WebhookEvent, WebhookRejected


def _auth(user: str = "hook", password: str = "s3cret") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _parse(headers: dict[str, str], body: object, *, max_bytes: int = 100_000) -> WebhookEvent:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_delivery("ado", headers, raw, max_bytes=max_bytes, username="hook", password="s3cret")


@pytest.mark.parametrize(("event", "resource", "key"), [
    ("workitem.updated", {"workItemId": 7, "rev": 3}, "7"),
    ("workitem.created", {"id": 8, "rev": 1}, "8"),
    ("workitem.commented", {"id": 9, "rev": 4}, "9"),
])
def test_work_item_events_name_the_item(event: str, resource: dict[str, int], key: str) -> None:
    parsed = _parse(_auth(), {"eventType": event, "resource": resource})
    assert parsed.keys == frozenset({key}) and not parsed.ignored


def test_other_events_are_ignored() -> None:
    parsed = _parse(_auth(), {"eventType": "git.push", "resource": {"id": 1}})
    assert parsed.ignored and parsed.keys == frozenset()


@pytest.mark.parametrize("headers", [{}, _auth(password="wrong"), _auth(user="other"),
                                     {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}])
def test_wrong_or_missing_credentials_are_401(headers: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected) as caught:
        _parse(headers, {"eventType": "workitem.updated", "resource": {"workItemId": 7}})
    assert caught.value.status == 401 and "s3cret" not in str(caught.value)


def test_bad_bodies_are_400_and_big_ones_413() -> None:
    with pytest.raises(WebhookRejected) as caught:
        _parse(_auth(), b"<html>")
    assert caught.value.status == 400
    with pytest.raises(WebhookRejected) as caught:
        _parse(_auth(), {"eventType": "workitem.updated"}, max_bytes=10)
    assert caught.value.status == 413
