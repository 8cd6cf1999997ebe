"""The behaviour every connector owes the engine, as pytest tests against a live (emulated) tracker.

Subclass :class:`ConnectorContract` and give it a ``harness`` fixture returning a :class:`Harness` for
your tracker: the tests create items through the tracker's own API, then check what the connector
reads and writes. Tests of optional capabilities run only when the connector has them.
"""

from __future__ import annotations

from typing import Any, Protocol

import pytest

from okr_sync.config.errors import AuthError
from okr_sync.connectors.base import Connector, DesiredHome, PullSpec, WebhookRejected
from okr_sync.connectors.capabilities import ReceivesWebhooks
from okr_sync.mapping import HomeItem
from okr_sync.testing.declarations import declaration_problems


class Harness(Protocol):
    """A tracker (usually an emulator) the contract suite can arrange data on."""

    kind: str

    def connector(self, *, token: str | None = None) -> Connector:
        """A connector configured against the tracker (``token`` replaces the configured secret)."""
        ...

    def secrets(self) -> list[str]:
        """Every secret configured (none may appear in an error)."""
        ...

    def create_home(self, kr_id: str) -> HomeItem:
        """A KR home item, created through the tracker's API."""
        ...

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        """A work item linked to ``kr_id`` by the configured link rules; returns its key."""
        ...

    def touch(self, key: str) -> None:
        """Change an item (e.g. its title) through the tracker's API."""
        ...

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        """The pull spec for these KR homes."""
        ...

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        """A correctly authenticated webhook delivery naming ``keys`` (connectors that take webhooks)."""
        ...

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        """A desired state of a KR home."""
        ...


class ConnectorContract:
    """The contract tests; pytest collects them from a ``Test…`` subclass that provides ``harness``."""

    def test_declares_what_it_must(self, harness: Harness) -> None:
        """The plugin and connector class declare what the registry, validation and engine read."""
        assert declaration_problems(harness.kind) == []

    def test_pull_links_work_and_idle_pull_is_empty(self, harness: Harness) -> None:
        """A pull links items by the rules, reports done, and an idle incremental pull reads nothing."""
        home = harness.create_home("OBJ1-KR1")
        first = harness.create_item("OBJ1-KR1")
        second = harness.create_item("OBJ1-KR1", done=True)
        connector = harness.connector()
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

    def test_pull_reads_past_one_page(self, harness: Harness) -> None:
        """Paging by the declared page size reaches the item after a full page."""
        connector = harness.connector()
        if connector.page_size is None:
            pytest.skip(f"{harness.kind}: the server sets page sizes")
        home = harness.create_home("OBJ1-KR1")
        keys = {harness.create_item("OBJ1-KR1") for _ in range(connector.page_size + 1)}
        result = connector.pull(None, harness.spec({"OBJ1-KR1": home}))
        assert keys <= {item.key for item in result.items}, f"a pull stopped at the page size {connector.page_size}"

    def test_write_back_is_idempotent(self, harness: Harness) -> None:
        """Writes make the home show the desired state; planning again finds nothing to write."""
        home = harness.create_home("OBJ1-KR1")
        connector = harness.connector()
        spec = harness.spec({"OBJ1-KR1": home})
        desired = [harness.desired(home, "OBJ1-KR1", 0.42)]
        writes = connector.plan_writes(desired, connector.read_homes([home], spec))
        assert writes, "a fresh home item needs writes"
        results = connector.apply(writes)
        assert all(result.ok for result in results), [r.error for r in results]
        assert connector.plan_writes(desired, connector.read_homes([home], spec)) == []

    def test_missing_home_is_reported_not_raised(self, harness: Harness) -> None:
        """A deleted or mistyped home comes back as exists=False, not an exception."""
        home = harness.create_home("OBJ1-KR1")
        missing = HomeItem(home.tracker, home.key + "404" if not home.key.isdigit() else "999999")
        states = harness.connector().read_homes([missing], harness.spec({"OBJ1-KR1": missing}))
        assert states[missing].exists is False

    def test_webhook_authentication(self, harness: Harness) -> None:
        """Deliveries are authenticated (a tampered signed body is 401) and size-capped (413)."""
        connector: Any = harness.connector()
        if not isinstance(connector, ReceivesWebhooks):
            pytest.skip(f"{harness.kind}: takes no webhooks")
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

    def test_bad_credentials_are_an_auth_error_without_the_token(self, harness: Harness) -> None:
        """Rejected credentials are an AuthError that never shows a secret."""
        home = harness.create_home("OBJ1-KR1")
        wrong = "wrong-token-zz9-plural-z-alpha"
        connector = harness.connector(token=wrong)
        with pytest.raises(AuthError) as caught:
            connector.pull(None, harness.spec({"OBJ1-KR1": home}))
        text = str(caught.value) + repr(caught.value)
        for secret in [wrong, *harness.secrets()]:
            assert secret not in text
