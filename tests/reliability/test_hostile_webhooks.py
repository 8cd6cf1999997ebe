"""Hostile webhook deliveries (issue 12): huge, malformed, unsigned, wrongly signed, replayed.

Each connector's ``parse_webhook`` is called as the daemon calls it. Expected: 413 for bodies over the
limit (before any parsing), 401 for missing or wrong credentials (before the body is parsed, so nothing
unauthenticated is even read), 400 for bodies that are not what the tracker sends, and never any other
exception. A replayed, correctly signed delivery is accepted again — it only asks for a debounced cycle,
which writes nothing new (see test_daemon_replays_start_no_writes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from okr_sync.config.load import load_text
from okr_sync.connectors.base import WebhookEvent, WebhookRejected
from okr_sync.connectors.registry import connector_class, plugin_for
from tests.reliability.figures import Figures

pytestmark = pytest.mark.reliability

LIMIT = 64 * 1024
JIRA_SECRET = "jira-hook-secret-456"
GITLAB_SECRET = "gitlab-hook-secret-xyz"
PLANNER_STATE = "planner-client-state-qrs"
ADO_USER, ADO_PASSWORD = "okr-hook", "ado-hook-password-tuv"
BASE = (Path(__file__).resolve().parents[1] / "config" / "base.yaml").read_text(encoding="utf-8")


def connectors() -> dict[str, Any]:
    settings = load_text(BASE, environ={}).settings
    trackers = dict(settings.trackers)
    trackers["gitlab"] = trackers["gitlab"].model_copy(update={"webhook_secret": _secret(GITLAB_SECRET)})
    trackers["planner"] = trackers["planner"].model_copy(update={"webhook_client_state": _secret(PLANNER_STATE)})
    made = {name: connector_class(t.kind)(name, t) for name, t in trackers.items()}
    ado = plugin_for("azure_devops").settings.model_validate({
        "kind": "azure_devops", "url": "https://dev.azure.com/agency", "auth": {"token": "unused-pat"},
        "scope": {"project": "Portal"}, "webhook_username": ADO_USER, "webhook_password": ADO_PASSWORD})
    made["azure_devops"] = connector_class("azure_devops")("azure_devops", ado)
    return made


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


@pytest.fixture(scope="module")
def trackers() -> Any:
    made = connectors()
    yield made
    for connector in made.values():
        connector.close()


def signed(body: bytes, secret: str = JIRA_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


JIRA_OK = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "PGE-7"}}).encode()
GITLAB_OK = json.dumps({"object_kind": "issue", "project": {"path_with_namespace": "transparency/portal"},
                        "object_attributes": {"iid": 3}}).encode()
PLANNER_OK = json.dumps({"value": [{"clientState": PLANNER_STATE, "changeType": "updated",
                                    "resource": "planner/tasks/abc"}]}).encode()
GITLAB_HEADERS = {"X-Gitlab-Token": GITLAB_SECRET, "X-Gitlab-Event": "Issue Hook"}
ADO_OK = json.dumps({"eventType": "workitem.updated", "resource": {"workItemId": 7, "rev": 3}}).encode()


def basic(user: str = ADO_USER, password: str = ADO_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


DEEP = b"[" * 30_000 + b"]" * 30_000  # within the size limit, deeper than Python's recursion limit
HUGE = b'{"a": "' + b"x" * (LIMIT + 10) + b'"}'
Case = tuple[str, dict[str, str], bytes, int | str]  # tracker, headers, body, expected status or "ok"/"ignored"

CASES: dict[str, Case] = {
    # Jira: HMAC-SHA256 over the body in X-Hub-Signature
    "jira-valid": ("jira", signed(JIRA_OK), JIRA_OK, "ok"),
    "jira-unsigned": ("jira", {}, JIRA_OK, 401),
    "jira-wrong-secret": ("jira", signed(JIRA_OK, "guess"), JIRA_OK, 401),
    "jira-sha1-algorithm": ("jira", {"X-Hub-Signature": "sha1=" + hashlib.sha1(JIRA_OK).hexdigest()}, JIRA_OK, 401),
    "jira-empty-signature": ("jira", {"X-Hub-Signature": ""}, JIRA_OK, 401),
    "jira-prefix-only": ("jira", {"X-Hub-Signature": "sha256="}, JIRA_OK, 401),
    "jira-garbage-signature": ("jira", {"X-Hub-Signature": "sha256=\u202e\u0000zz"}, JIRA_OK, 401),
    "jira-replay-tampered-body": ("jira", signed(JIRA_OK), JIRA_OK.replace(b"PGE-7", b"PGE-8"), 401),
    "jira-signature-of-empty-body": ("jira", signed(b""), JIRA_OK, 401),
    "jira-truncated-signature": ("jira", {"X-Hub-Signature": signed(JIRA_OK)["X-Hub-Signature"][:-4]}, JIRA_OK, 401),
    "jira-huge-unsigned": ("jira", {}, HUGE, 413),
    "jira-huge-signed": ("jira", signed(HUGE), HUGE, 413),
    "jira-signed-not-json": ("jira", signed(b"<html>502</html>"), b"<html>502</html>", 400),
    "jira-signed-truncated-json": ("jira", signed(JIRA_OK[:20]), JIRA_OK[:20], 400),
    "jira-signed-array": ("jira", signed(b"[1,2]"), b"[1,2]", 400),
    "jira-signed-invalid-utf8": ("jira", signed(b"\xff\xfe{}"), b"\xff\xfe{}", 400),
    "jira-signed-deep-nesting": ("jira", signed(DEEP), DEEP, 400),
    "jira-signed-empty": ("jira", signed(b""), b"", 400),
    "jira-signed-wrong-types": ("jira", signed(b'{"webhookEvent": 5, "issue": [1]}'),
                                b'{"webhookEvent": 5, "issue": [1]}', "ignored"),
    "jira-signed-key-null": ("jira", signed(b'{"webhookEvent": "jira:issue_updated", "issue": {"key": null}}'),
                             b'{"webhookEvent": "jira:issue_updated", "issue": {"key": null}}', "ignored"),
    "jira-signed-other-event": ("jira", signed(b'{"webhookEvent": "sprint_started"}'),
                                b'{"webhookEvent": "sprint_started"}', "ignored"),
    # GitLab: shared token in X-Gitlab-Token
    "gitlab-valid": ("gitlab", GITLAB_HEADERS, GITLAB_OK, "ok"),
    "gitlab-no-token": ("gitlab", {"X-Gitlab-Event": "Issue Hook"}, GITLAB_OK, 401),
    "gitlab-wrong-token": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Token": "guess"}, GITLAB_OK, 401),
    "gitlab-token-other-case": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Token": GITLAB_SECRET.upper()}, GITLAB_OK, 401),
    "gitlab-token-prefix": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Token": GITLAB_SECRET[:-1]}, GITLAB_OK, 401),
    "gitlab-token-padded": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Token": GITLAB_SECRET + " "}, GITLAB_OK, 401),
    "gitlab-token-empty": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Token": ""}, GITLAB_OK, 401),
    "gitlab-unauthenticated-garbage": ("gitlab", {"X-Gitlab-Event": "Issue Hook"}, b"\x00\xff", 401),
    "gitlab-huge": ("gitlab", GITLAB_HEADERS, HUGE, 413),
    "gitlab-not-json": ("gitlab", GITLAB_HEADERS, b"<!DOCTYPE html><h1>Bad gateway</h1>", 400),
    "gitlab-truncated-json": ("gitlab", GITLAB_HEADERS, GITLAB_OK[:30], 400),
    "gitlab-array": ("gitlab", GITLAB_HEADERS, b"[]", 400),
    "gitlab-deep-nesting": ("gitlab", GITLAB_HEADERS, DEEP, 400),
    "gitlab-invalid-utf8": ("gitlab", GITLAB_HEADERS, b'{"a": "\xff"}', 400),
    "gitlab-iid-is-a-list": ("gitlab", GITLAB_HEADERS, GITLAB_OK.replace(b'"iid": 3', b'"iid": [3]'), "ignored"),
    "gitlab-iid-negative": ("gitlab", GITLAB_HEADERS, GITLAB_OK.replace(b'"iid": 3', b'"iid": "-3"'), "ignored"),
    "gitlab-project-is-a-string": ("gitlab", GITLAB_HEADERS,
                                   b'{"project": "x", "object_attributes": {"iid": 1}}', "ignored"),
    "gitlab-note-on-merge-request": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Event": "Note Hook"},
                                     b'{"object_attributes": {"noteable_type": "MergeRequest"}}', "ignored"),
    "gitlab-unknown-event": ("gitlab", {**GITLAB_HEADERS, "X-Gitlab-Event": "\u202ePush Hook"}, b"{}", "ignored"),
    # Planner: clientState in every notification
    "planner-valid": ("planner", {}, PLANNER_OK, "ok"),
    "planner-no-client-state": ("planner", {}, PLANNER_OK.replace(f'"clientState": "{PLANNER_STATE}", '.encode(),
                                                                   b""), 401),
    "planner-wrong-client-state": ("planner", {}, PLANNER_OK.replace(PLANNER_STATE.encode(), b"guess"), 401),
    "planner-client-state-number": ("planner", {}, PLANNER_OK.replace(f'"{PLANNER_STATE}"'.encode(), b"42"), 401),
    "planner-one-of-two-unsigned": ("planner", {}, json.dumps({"value": [
        {"clientState": PLANNER_STATE, "resource": "planner/tasks/a"}, {"resource": "planner/tasks/b"}]}).encode(),
        401),
    "planner-huge": ("planner", {}, HUGE, 413),
    "planner-not-json": ("planner", {}, b"<html><body>Service Unavailable</body></html>", 400),
    "planner-truncated": ("planner", {}, PLANNER_OK[:40], 400),
    "planner-value-not-a-list": ("planner", {}, b'{"value": {"clientState": "x"}}', 400),
    "planner-value-of-strings": ("planner", {}, b'{"value": ["a", "b"]}', 400),
    # Azure DevOps: the service hook's basic credentials
    "ado-valid": ("azure_devops", basic(), ADO_OK, "ok"),
    "ado-no-credentials": ("azure_devops", {}, ADO_OK, 401),
    "ado-wrong-password": ("azure_devops", basic(password="guess"), ADO_OK, 401),
    "ado-wrong-user": ("azure_devops", basic(user="someone"), ADO_OK, 401),
    "ado-password-prefix": ("azure_devops", basic(password=ADO_PASSWORD[:-1]), ADO_OK, 401),
    "ado-bearer": ("azure_devops", {"Authorization": f"Bearer {ADO_PASSWORD}"}, ADO_OK, 401),
    "ado-not-base64": ("azure_devops", {"Authorization": "Basic \u202e!!"}, ADO_OK, 401),
    "ado-unauthenticated-garbage": ("azure_devops", {}, b"\x00\xff", 401),
    "ado-huge": ("azure_devops", basic(), HUGE, 413),
    "ado-not-json": ("azure_devops", basic(), b"<html>502</html>", 400),
    "ado-array": ("azure_devops", basic(), b"[]", 400),
    "ado-deep-nesting": ("azure_devops", basic(), DEEP, 400),
    "ado-id-a-string": ("azure_devops", basic(), ADO_OK.replace(b'"workItemId": 7', b'"workItemId": "7"'), "ignored"),
    "ado-id-negative": ("azure_devops", basic(), ADO_OK.replace(b'"workItemId": 7', b'"workItemId": -7'), "ignored"),
    "ado-other-event": ("azure_devops", basic(), b'{"eventType": "git.push", "resource": {"id": 1}}', "ignored"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_webhook_delivery(case: str, trackers: dict[str, Any], figures: Figures) -> None:
    tracker, headers, body, expected = CASES[case]
    connector = trackers[tracker]
    try:
        event = connector.parse_webhook(headers, body, max_bytes=LIMIT)
    except WebhookRejected as exc:
        assert exc.status == expected, f"{case}: {exc.status} {exc}"
        assert JIRA_SECRET not in str(exc) and GITLAB_SECRET not in str(exc) and PLANNER_STATE not in str(exc)
        assert ADO_PASSWORD not in str(exc)
        assert len(str(exc)) < 500, "a rejection message must stay short (no echo of the body)"
    else:
        assert isinstance(event, WebhookEvent)
        assert expected in ("ok", "ignored"), f"{case}: accepted ({event}), expected {expected}"
        assert event.ignored == (expected == "ignored"), event
    figures.add("hostile", "webhooks")


def test_planner_deep_nesting_is_a_400(trackers: dict[str, Any]) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        trackers["planner"].parse_webhook({}, DEEP, max_bytes=LIMIT)
    assert rejected.value.status == 400


# --- through the daemon: replays, and a nested body never a 500 ------------------------------------------


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_daemon_replays_start_no_writes(make_sandbox: Any, control_of: Any, tmp_path: Path,
                                        figures: Figures) -> None:
    from pydantic import SecretStr

    from okr_sync.daemon.service import Daemon
    from okr_sync.engine.runtime import open_connectors
    from okr_sync.sandbox.fixtures.demo_story import AS_OF
    from okr_sync.store.state import StateStore
    from tests.sync.support import demo_settings, sqlite_url

    sb = make_sandbox("demo")
    control = control_of(sb)
    base = demo_settings(sb, sqlite_url(tmp_path))
    trackers = dict(base.trackers)
    trackers["jira"] = trackers["jira"].model_copy(update={"webhook_secret": SecretStr(JIRA_SECRET)})
    settings = base.model_copy(update={
        "trackers": trackers,
        "schedule": base.schedule.model_copy(update={"interval": timedelta(hours=1),
                                                     "debounce": timedelta(seconds=0.3)}),
        "server": base.server.model_copy(update={"listen": "127.0.0.1:0", "max_body_bytes": LIMIT}),
    })
    store = StateStore.open(settings.state.url)
    daemon = Daemon(settings, store, open_connectors(settings), secrets=[JIRA_SECRET], clock=lambda: AS_OF)
    daemon.start()
    try:
        deadline = time.monotonic() + 120
        while daemon.cycles_done < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert daemon.cycles_done == 1
        writes_after_first = control.requests()["writes"]
        url = f"http://{daemon.address}/webhooks/jira"
        statuses = [_post(url, JIRA_OK, signed(JIRA_OK)) for _ in range(20)]
        assert set(statuses) == {202}, statuses
        assert _post(url, DEEP, signed(DEEP)) == 400
        assert _post(url, JIRA_OK.replace(b"PGE-7", b"PGE-1"), signed(JIRA_OK)) == 401
        deadline = time.monotonic() + 60
        while daemon.cycles_done < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # any further (wrongly undebounced) cycle would start now
        cycles = daemon.cycles_done
    finally:
        daemon.stop()
        store.close()
    assert 2 <= cycles <= 3, f"20 replayed deliveries caused {cycles - 1} cycles; the debounce should merge them"
    assert control.requests()["writes"] == writes_after_first, "a replayed delivery led to new writes"
    figures.add("hostile", "webhooks", 22)
