"""The contract every registered connector must pass (against the sandbox, real client libraries)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.config.errors import AuthError
from okr_sync.connectors.base import Connector, WebhookRejected
from okr_sync.connectors.registry import GROUP, connector_class, installed_kinds

KINDS = installed_kinds()


def test_the_three_trackers_are_registered() -> None:
    assert {"jira", "gitlab", "planner"} <= set(KINDS), f"entry-point group {GROUP} holds {KINDS}"


@pytest.fixture(params=KINDS)
def harness(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> Any:
    module = importlib.import_module(f"tests.contract.harness_{request.param}")
    return module.Harness(make_sandbox, control_of)


@pytest.mark.parametrize("kind", KINDS)
def test_connector_declares_what_it_must(kind: str) -> None:
    cls = connector_class(kind)
    assert cls.kind == kind
    assert isinstance(cls.page_size, int) and cls.page_size > 0
    assert cls.link_rules and all(isinstance(r, str) for r in cls.link_rules)
    assert cls.write_targets and all(isinstance(t, str) for t in cls.write_targets)
    for method in ("pull", "read_homes", "plan_writes", "apply", "parse_webhook", "close"):
        assert callable(getattr(cls, method, None)), f"{kind} connector lacks {method}"


def test_pull_links_work_and_idle_pull_is_empty(harness: Any) -> None:
    home = harness.create_home("OBJ1-KR1")
    first = harness.create_item("OBJ1-KR1")
    second = harness.create_item("OBJ1-KR1", done=True)
    connector: Connector = harness.connector()
    assert isinstance(connector, Connector)
    spec = harness.spec({"OBJ1-KR1": home})
    result = connector.pull(None, spec)
    linked = {item.key: item for item in result.items if "OBJ1-KR1" in item.kr_ids}
    assert {first, second} <= set(linked)
    assert linked[second].status == "done"
    idle = connector.pull(result.watermark, spec)
    assert [item.key for item in idle.items] == []
    harness.touch(first)
    changed = connector.pull(idle.watermark, spec)
    assert [item.key for item in changed.items] == [first]


def test_write_back_is_idempotent(harness: Any) -> None:
    home = harness.create_home("OBJ1-KR1")
    connector: Connector = harness.connector()
    spec = harness.spec({"OBJ1-KR1": home})
    desired = [harness.desired(home, "OBJ1-KR1", 0.42)]
    writes = connector.plan_writes(desired, connector.read_homes([home], spec))
    assert writes, "a fresh home item needs writes"
    assert all(result.ok for result in connector.apply(writes)), [r.error for r in connector.apply([])]
    assert connector.plan_writes(desired, connector.read_homes([home], spec)) == []


def test_missing_home_is_reported_not_raised(harness: Any) -> None:
    home = harness.create_home("OBJ1-KR1")
    missing = type(home)(home.tracker, home.key + "404" if not home.key.isdigit() else "999999")
    states = harness.connector().read_homes([missing], harness.spec({"OBJ1-KR1": missing}))
    assert states[missing].exists is False


def test_webhook_authentication(harness: Any) -> None:
    connector: Connector = harness.connector()
    key = harness.create_item("OBJ1-KR1")
    headers, body = harness.webhook([key])
    event = connector.parse_webhook(headers, body, max_bytes=1_000_000)
    assert key in event.keys
    tampered = body.replace(b"}", b" }", 1)
    if tampered != body and any("signature" in h.lower() for h in headers):
        with pytest.raises(WebhookRejected) as caught:
            connector.parse_webhook(headers, tampered, max_bytes=1_000_000)
        assert caught.value.status == 401
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook(headers, body, max_bytes=len(body) - 1)
    assert caught.value.status == 413


def test_bad_credentials_are_an_auth_error_without_the_token(harness: Any) -> None:
    home = harness.create_home("OBJ1-KR1")
    wrong = "wrong-token-zz9-plural-z-alpha"
    connector: Connector = harness.connector(token=wrong)
    with pytest.raises(AuthError) as caught:
        connector.pull(None, harness.spec({"OBJ1-KR1": home}))
    text = str(caught.value) + repr(caught.value)
    for secret in [wrong, *harness.secrets()]:
        assert secret not in text
