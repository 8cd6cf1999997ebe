"""Azure DevOps faults and hostile answers against the emulator: Retry-After honoured by exactly one retry
layer (a wait above the cap defers the tracker instead), 5xx retried, dropped answers after a write landed
never duplicate a comment or lose a tag, unreadable items skipped with a problem, secrets never shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.config.errors import AuthError, DeferredError
from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
from okr_sync.connectors.azure_devops.transport import RULES
from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.responses import classify
from okr_sync.mapping import HomeItem
from okr_sync.sandbox.ado import AdoEmulator
from tests.contract.harness_azure_devops import HOOK_PASSWORD, Client, kr_status, settings_for

WIQL = "POST /ado/okr/Portal/_apis/wit/wiql"
PAT = "sandbox-ado-pat"


def _connector(sb: Any, slept: list[float] | None = None, **overrides: Any) -> AzureDevOpsConnector:
    sleep = slept.append if slept is not None else (lambda seconds: None)
    return AzureDevOpsConnector("ado", settings_for(sb, **overrides), sleep=sleep)


def test_retry_after_is_honoured_once(make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    control = control_of(sb)
    control.fault(WIQL, "429", retry_after=2, times=1)
    slept: list[float] = []
    connector = _connector(sb, slept)
    connector.pull(None, PullSpec())
    assert slept == [2.0] and connector.requests_made == 2


def test_throttling_beyond_the_cap_defers_the_tracker(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"rate_limit": {"requests": 1, "per_seconds": 120}}})
    slept: list[float] = []
    connector = _connector(sb, slept)
    connector.me()
    with pytest.raises(DeferredError) as caught:
        connector.pull(None, PullSpec())
    assert slept == [] and connector.requests_made == 2, "no request before Retry-After (about 120 s) allows"
    assert caught.value.retry_after is not None and caught.value.retry_after > 30


def test_server_errors_are_retried(make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    Client(sb).create("Work", **{"System.Tags": "kr:OBJ1-KR1"})
    control_of(sb).fault(WIQL, "503", times=2)
    connector = _connector(sb)
    assert len(connector.pull(None, PullSpec()).items) == 1
    assert connector.requests_made == 5, "WIQL 503, 503, 200; batch; states of User Story"


def test_a_dropped_answer_after_a_write_landed_neither_duplicates_nor_loses(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    client = Client(sb)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic", **{"System.Tags": "budget"})))
    control = control_of(sb)
    control.fault("PATCH /ado/okr/_apis/wit/workitems/*", "drop", phase="after", times=1)
    control.fault("POST /ado/okr/Portal/_apis/wit/workItems/*/comments", "drop", phase="after", times=1)
    connector = _connector(sb)
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    desired = [DesiredHome(home=home, subject_id="OBJ1-KR1", title="KR", status=kr_status("OBJ1-KR1", 0.4))]
    results = connector.apply(connector.plan_writes(desired, connector.read_homes([home], spec)))
    assert all(r.ok for r in results), [r.error for r in results]
    assert client.get(int(home.key))["fields"]["System.Tags"] == "budget; okr-status:on-track"
    assert sum("okr-sync:status:" in c["text"] for c in client.comments(int(home.key))) == 1
    assert connector.plan_writes(desired, connector.read_homes([home], spec)) == []


class HostileAdo(AdoEmulator):
    """Answers a batch whose first item has tags that are a list and a garbage date."""

    def _batch(self, request: Any, user: Any, base: str, project: str | None = None) -> Any:
        status, body, headers = super()._batch(request, user, base, project)
        if body["value"] and body["value"][0]:
            body["value"][0]["fields"]["System.Tags"] = ["not", "text"]
            body["value"][0]["fields"]["System.ChangedDate"] = "\u202e2026"
        return status, body, headers


def test_an_unreadable_item_is_a_problem_not_a_failed_pull(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"work_items": [{"title": "A"}, {"title": "B"}]}},
                      emulator_factories={"azure_devops": HostileAdo})
    result = _connector(sb).pull(None, PullSpec())
    assert [i.title for i in result.items] == ["B"]
    assert result.problems and "work item 1 is not what Azure DevOps sends" in result.problems[0].message


def test_rejected_pat_and_sign_in_page_are_auth_errors_without_secrets(make_sandbox: Callable[..., Any],
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    sb = make_sandbox("empty")
    caplog.set_level(logging.DEBUG)
    wrong = "ado-pat-leak-check-4242"
    with pytest.raises(AuthError) as caught:
        _connector(sb, token=wrong).pull(None, PullSpec())
    text = str(caught.value) + repr(caught.value) + caplog.text
    assert "Work Items Read & Write" in text
    for secret in (wrong, PAT, HOOK_PASSWORD):
        assert secret not in text
    signed_out = classify(203, tracker="ado", subject="the WIQL query", detail="<html>Sign In</html>", rules=RULES)
    assert isinstance(signed_out, AuthError) and "sign-in page" in signed_out.message
