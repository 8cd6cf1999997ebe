"""Trackers that answer with URLs of another host (issue 18, acceptance 2): pulls and edits still reach only
the configured URL.

Each emulator is given an *external URL* on an unreachable name (``*.internal.example``), as a GitLab whose
``external_url`` differs from the address okr-sync uses, or a Graph front door behind a proxy. A socket-level
guard records every host name anything tries to resolve and refuses all but the loopback sandbox; the
sandbox's own counters show that every request arrived there.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from okr_sync.config.errors import SkippableError
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.urls import rebase, split_api_root
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, settings_for

GITLAB_EXTERNAL = "http://gitlab.internal.example:8443"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def foreign_lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every non-loopback host name something tried to resolve (and was refused)."""
    tried: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            tried.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: {name} is not the configured host")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield tried


def _set_external(sb: Any, **urls: str | None) -> None:
    answer = requests.post(f"{sb.control_url}/external_urls", json=urls, timeout=5)
    assert answer.status_code == 200, answer.text


def _issues(count: int) -> dict[str, Any]:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    return {"gitlab": {"issues": [{"project": PROJECT, "title": f"Task {n}", "labels": ["kr::OBJ1-KR1"],
                                   "created_at": (start + n * timedelta(minutes=5)).isoformat()}
                                  for n in range(count)]}}


def test_gitlab_links_of_another_host_are_followed_on_the_configured_one(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any], foreign_lookups: list[str]) -> None:
    sb = make_sandbox(_issues(250))
    _set_external(sb, gitlab=GITLAB_EXTERNAL)
    control = control_of(sb)
    raw = requests.get(f"{sb.info['gitlab']['url']}/api/v4/projects/1/issues?per_page=100", timeout=5,
                       headers={"PRIVATE-TOKEN": sb.info["gitlab"]["token"]})
    assert raw.links["next"]["url"].startswith(f"{GITLAB_EXTERNAL}/api/v4/projects/1/issues?")  # the trap is set
    control.reset_requests()
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)

    pulled = connector.pull(None, PullSpec())

    assert len(pulled.items) == 250 and pulled.problems == [] and pulled.full
    assert control.requests()["total"] == connector.requests_made == 3  # ⌈250/100⌉, every one at the sandbox
    assert foreign_lookups == []


def test_gitlab_sandbox_under_a_path_prefix_external_url(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any], foreign_lookups: list[str]) -> None:
    """GitLab served under /gitlab by a proxy that GitLab itself knows as https://git.example.gov/."""
    sb = make_sandbox(_issues(120), external_urls={"gitlab": "https://git.internal.example/"})
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    pulled = connector.pull(None, PullSpec())
    assert len(pulled.items) == 120 and connector.requests_made == 2
    assert foreign_lookups == []


@pytest.mark.parametrize(("url", "base", "root", "expected"), [
    ("http://gitlab.internal.example:8443/api/v4/projects/1/issues?page=2&per_page=100",
     "http://127.0.0.1:9/gitlab", "/api/v4", "http://127.0.0.1:9/gitlab/api/v4/projects/1/issues?page=2&per_page=100"),
    ("https://git.example.gov/prefix/api/v4/groups/okr%2Fsub/issues?labels=a%2Cb&page=3",
     "https://proxy:8443/", "/api/v4", "https://proxy:8443/api/v4/groups/okr%2Fsub/issues?labels=a%2Cb&page=3"),
    ("/api/v4/users?page=2", "https://gitlab.example.gov", "/api/v4", "https://gitlab.example.gov/api/v4/users?page=2"),
    ("https://graph.microsoft.com/v1.0/planner/plans/p/tasks?$skiptoken=abc",
     "http://127.0.0.1:9/graph", "/v1.0", "http://127.0.0.1:9/graph/v1.0/planner/plans/p/tasks?$skiptoken=abc"),
    ("https://jira.internal.example/jira/rest/api/2/issue/10001/comment/10000",
     "https://jira.example.gov", "/rest", "https://jira.example.gov/rest/api/2/issue/10001/comment/10000"),
], ids=["other-host-and-port", "other-prefix", "relative", "graph-next-link", "jira-comment-self"])
def test_rebase_keeps_path_and_query_under_the_configured_base(url: str, base: str, root: str,
                                                               expected: str) -> None:
    assert rebase(url, base, root, tracker="t", what="the link") == expected


@pytest.mark.parametrize("url", [
    "https://gitlab.internal.example/users/sign_in?redirect=/api/v4/projects",
    "https://gitlab.internal.example/api/v45/projects",
    "ftp://gitlab.internal.example/api/v4/projects",
    "javascript:alert(1)",
], ids=["login-page", "lookalike-root", "not-http", "script"])
def test_a_link_outside_the_api_is_refused_with_the_fix(url: str) -> None:
    with pytest.raises(SkippableError) as raised:
        rebase(url, "https://gitlab.example.gov", "/api/v4", tracker="gitlab", what="the next-page link of issues")
    message = str(raised.value)
    assert "nothing was sent there" in message and "external_url" in message
    assert "redirect=" not in message  # the query of a refused link is not repeated


def test_split_api_root() -> None:
    assert split_api_root("https://graph.microsoft.com/v1.0/") == ("https://graph.microsoft.com", "/v1.0")
    assert split_api_root("http://127.0.0.1:9/graph/v1.0") == ("http://127.0.0.1:9/graph", "/v1.0")


def test_planner_next_links_of_another_host_are_followed_on_the_configured_one(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any], foreign_lookups: list[str]) -> None:
    from okr_sync.connectors.planner.connector import PlannerConnector
    from tests.contract.harness_planner import settings_for as planner_settings

    tasks = [{"title": f"[OBJ1-KR1] Step {n}", "percentComplete": 50 if n % 2 else 0} for n in range(7)]
    sb = make_sandbox({"planner": {"page_size": 3, "plans": [{"title": "OKR", "tasks": tasks}]}},
                      external_urls={"planner": "https://graph.internal.example/v1.0"})
    control = control_of(sb)
    connector = PlannerConnector("planner", planner_settings(sb), sleep=NO_SLEEP)
    try:
        control.reset_requests()
        pulled = connector.pull(None, PullSpec())
        assert sorted(item.title for item in pulled.items) == sorted(t["title"] for t in tasks)
        assert pulled.problems == []
        assert control.count("GET /graph/v1.0/planner/plans/{plan_id}/tasks") == 3  # pages of 3, all here
        assert foreign_lookups == []
    finally:
        connector.close()


def test_emulators_build_their_urls_from_the_external_url_until_reset(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    _set_external(sb, jira="https://jira.internal.example/", gitlab=GITLAB_EXTERNAL)
    jira = requests.get(f"{sb.info['jira']['url']}/rest/api/2/serverInfo", timeout=5).json()
    assert jira["baseUrl"] == "https://jira.internal.example"
    gitlab = requests.get(f"{sb.info['gitlab']['url']}/api/v4/projects/1", timeout=5,
                          headers={"PRIVATE-TOKEN": sb.info["gitlab"]["token"]}).json()
    assert gitlab["_links"]["self"] == f"{GITLAB_EXTERNAL}/api/v4/projects/1"
    bad = requests.post(f"{sb.control_url}/external_urls", json={"redmine": "http://x.example"}, timeout=5)
    assert bad.status_code == 400 and all(name in bad.json()["error"] for name in sb.emulators)
    sb.reset()
    assert requests.get(f"{sb.control_url}/external_urls", timeout=5).json() == dict.fromkeys(sb.emulators)


@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_jira_comment_edits_reach_the_configured_site(make_sandbox: Callable[..., Any], control_of: Callable[..., Any],
                                                      foreign_lookups: list[str], deployment: str) -> None:
    """Jira builds comment ``self`` from its Base URL: edits still go to the configured URL."""
    from okr_sync.connectors.base import DesiredHome
    from okr_sync.connectors.jira.connector import JiraConnector
    from okr_sync.mapping import HomeItem
    from tests.contract.harness_jira import JiraSite, kr_status, server_fixture
    from tests.contract.harness_jira import settings as jira_settings

    sb = make_sandbox(server_fixture() if deployment == "server" else "empty", jira_deployment=deployment)
    site = JiraSite(sb)
    try:
        site.okr_fields()
        key = site.create_issue("Recover tax debt", kind="Key Result")
        _set_external(sb, jira="https://jira.internal.example:8443/jira")
        assert site.client.add_comment(key, "people's comment").self.startswith("https://jira.internal.example")
        control = control_of(sb)
        conn = JiraConnector("jira", jira_settings(site.info), sleep=lambda _: None)
        home = HomeItem("jira", key)
        for progress in (0.2, 0.5):  # the second sync edits the status comment in place
            wanted = [DesiredHome(home=home, subject_id="OBJ1-KR1", title="Recover tax debt",
                                  status=kr_status("OBJ1-KR1", progress))]
            results = conn.apply(conn.plan_writes(wanted, conn.read_homes([home], PullSpec())))
            assert results and all(r.ok for r in results), [r.error for r in results]
        edits = [n for route, n in control.requests()["by_route"].items()
                 if route.startswith("PUT /jira/rest/api/2/issue/") and route.endswith("/comment/{id}")]
        assert edits == [1]
        assert len(site.comments(key)) == 2  # people's comment and one status comment
        assert foreign_lookups == []
    finally:
        site.close()
