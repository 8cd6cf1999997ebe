"""The GitLab connector's response table, row by row, driven by what the sandbox answers (its emulator and
its fault injection) to the real python-gitlab: disposition, retries made, the subject named in the
message, and never the token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.base import PullSpec, Write
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.mapping import HomeItem
from okr_sync.sandbox.gitlab import GitLabEmulator
from tests.contract.harness_gitlab import PROJECT, client, settings_for

TOKEN = "sandbox-gitlab-token"
LIST = "GET /gitlab/api/v4/projects/*/issues"
LINKS = "/projects/okr%2Fwork/issues/1/links"
FIXTURE: dict[str, Any] = {"gitlab": {
    "users": [{"username": "okr-bot", "token": TOKEN},
              {"username": "viewer", "token": "sandbox-gitlab-readonly", "read_only": True}],
    "issues": [{"project": PROJECT, "title": "Home", "labels": ["kr::OBJ1-KR1"]},
               {"project": PROJECT, "title": "Work"}],
    "links": [{"source": f"{PROJECT}#1", "target": f"{PROJECT}#2"}],
}}


class BrokenBodyGitLab(GitLabEmulator):
    """The real emulator behind a proxy that answers issue lists with an HTML page (status 200)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve normally, but replace the body of issue list answers."""
        answer = list(super().__call__(environ, lambda *a, **k: None))
        if environ.get("sandbox.route", "").endswith("/issues") and environ["REQUEST_METHOD"] == "GET":
            start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", "29")])
            return [b"<html>Bad gateway page</html>"]
        data = b"".join(answer)
        status = "201 Created" if environ["REQUEST_METHOD"] == "POST" else "200 OK"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


@dataclass(frozen=True)
class Case:
    """One row: how to provoke the answer, what the connector does, what it must say."""

    id: str
    faults: tuple[dict[str, Any], ...] = ()
    act: str = "pull"
    token: str | None = None
    disposition: type[SyncError] = RetriableError
    fragment: str = ""
    subject: str = "issues of project okr/work"
    requests: int = 5
    sleeps: tuple[float, ...] | None = None


def _fault(kind: str, **rule: Any) -> dict[str, Any]:
    return {"route": LIST, "kind": kind, **rule}


CASES = [
    Case("401", token="glpat-wrong-7777", disposition=AuthError, fragment="credentials rejected", requests=1),
    Case("403", act="write", token="sandbox-gitlab-readonly", disposition=AuthError, fragment="permission missing",
         subject="labels of okr/work#1", requests=1),
    Case("404", act="write-missing", disposition=SkippableError, fragment="not found",
         subject="labels of okr/work#404", requests=1),
    Case("409", act="link-twice", disposition=SkippableError, fragment="Issue(s) already assigned",
         subject="link okr/work#1 → #2", requests=1),
    Case("422", act="link-self", disposition=SkippableError, fragment="Source cannot be related to itself",
         subject="link okr/work#1 → #1", requests=1),
    Case("429", faults=(_fault("429", retry_after=3),), fragment="rate limited", sleeps=(3, 3, 3, 3)),
    Case("429-then-ok", faults=(_fault("429", retry_after=2, times=1),), disposition=type(None), requests=2,
         sleeps=(2,)),
    Case("500", faults=(_fault("500"),), fragment="HTTP 500 on issues of project okr/work"),
    Case("502", faults=(_fault("502"),), fragment="HTTP 502"),
    Case("503-then-ok", faults=(_fault("503", times=2),), disposition=type(None), requests=3),
    Case("504", faults=(_fault("504"),), fragment="HTTP 504"),
    Case("timeout", faults=(_fault("hang", hang_seconds=2, times=5),), fragment="within the timeout"),
    Case("dropped", faults=(_fault("drop"),), fragment="connection to the tracker dropped"),
    Case("invalid-json", act="pull-broken", fragment="unreadable body"),
]


def _act(case: Case, connector: GitLabConnector) -> SyncError | None:
    if case.act.startswith("pull"):
        try:
            connector.pull(None, PullSpec())
        except SyncError as exc:
            return exc
        return None
    if case.act.startswith("write"):
        key = f"{PROJECT}#404" if case.act == "write-missing" else f"{PROJECT}#1"
        write = Write(HomeItem("gitlab", key), "status label", None, "okr-status::done",
                      {"add": ["okr-status::done"], "remove": []})
        [result] = connector.apply([write])
        return result.error
    target = "1" if case.act == "link-self" else "2"
    try:
        connector.transport.request("post", LINKS, subject=f"link okr/work#1 → #{target}",
                                    body={"target_project_id": PROJECT, "target_issue_iid": target})
    except SyncError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_response_table(case: Case, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    extra = {"emulator_factories": {"gitlab": BrokenBodyGitLab}} if case.act == "pull-broken" else {}
    sb = make_sandbox(FIXTURE, **extra)
    control = control_of(sb)
    for rule in case.faults:
        control.fault(**rule)
    slept: list[float] = []
    connector = GitLabConnector("gitlab", settings_for(sb, token=case.token, timeout=0.5), sleep=slept.append)
    control.reset_requests()

    error = _act(case, connector)

    assert type(error) is case.disposition, error
    assert connector.requests_made == case.requests
    if case.id != "timeout":  # hung requests are counted by the sandbox only once they end
        assert control.requests()["total"] == case.requests
    if case.sleeps is not None:
        assert tuple(slept) == case.sleeps, "Retry-After is honoured, by exactly one retry layer"
    if error is not None:
        text = str(error) + repr(error)
        assert case.fragment in text and case.subject in text
        assert str(error).startswith("gitlab: ")
        for secret in (TOKEN, case.token or TOKEN, "sandbox-gitlab-readonly", "gitlab-hook-secret-0f3a"):
            assert secret not in text


def test_retrying_stops_within_max_retry_time(make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    control = control_of(sb)
    control.fault(LIST, "hang", hang_seconds=3)
    connector = GitLabConnector("gitlab", settings_for(sb, timeout=0.4, max_retry_time="1s"), sleep=lambda s: None)
    with pytest.raises(RetriableError):
        connector.pull(None, PullSpec())
    assert 2 <= connector.requests_made <= 4, "max_retry_time (1 s) bounds attempts of 0.4 s each"


def test_the_library_does_not_retry_on_its_own(make_sandbox: Callable[..., Any],
                                               control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    control = control_of(sb)
    control.fault(LIST, "429", retry_after=1)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=lambda s: None)
    with pytest.raises(RetriableError):
        connector.transport.request("get", "/projects/okr%2Fwork/issues", subject="x", retry=False)
    assert control.requests()["total"] == 1 == connector.requests_made
    assert client(sb).projects.get(PROJECT).issues.get(1).title == "Home"


def test_logs_carry_no_secret(make_sandbox: Callable[..., Any], control_of: Callable[..., Any],
                              caplog: pytest.LogCaptureFixture) -> None:
    sb = make_sandbox(FIXTURE)
    control_of(sb).fault(LIST, "503", times=2)
    caplog.set_level(logging.DEBUG)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=lambda s: None)
    connector.pull(None, PullSpec())
    wrong = GitLabConnector("gitlab", settings_for(sb, token="glpat-leak-check-31337"), sleep=lambda s: None)
    with pytest.raises(AuthError):
        wrong.pull(None, PullSpec())
    assert "retrying" in caplog.text and "HTTP 503" in caplog.text
    for secret in (TOKEN, "glpat-leak-check-31337", "gitlab-hook-secret-0f3a"):
        assert secret not in caplog.text
