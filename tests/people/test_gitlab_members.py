"""GitLab ``people import`` reads the members of the configured groups and projects, never every user of the
instance (on gitlab.com that is the whole SaaS) — issue 18, point 6."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.gitlab.connector import GitLabConnector
from tests.contract.harness_gitlab import NO_SLEEP, settings_for

CROWD = [f"civil.servant{n:03d}" for n in range(130)]


def _fixture() -> dict[str, Any]:
    users = [{"username": "okr-bot", "token": "sandbox-gitlab-token"},
             {"username": "ana", "name": "Ana Costa", "token": "t-ana"},
             {"username": "bea", "name": "Bea Lima", "token": "t-bea"},
             {"username": "carl", "token": "t-carl"},
             {"username": "outsider", "token": "t-outsider"},
             {"username": "project_1_bot_5f2c1e", "token": "t-bot"}]
    users += [{"username": name, "token": f"t-{name}"} for name in CROWD]
    return {"gitlab": {
        "users": users,
        "groups": [{"path": "okr", "members": {"okr-bot": "developer", "ana": "reporter",
                                                **dict.fromkeys(CROWD, "guest")}},
                   {"path": "okr/sub", "members": {"carl": "developer"}},
                   {"path": "elsewhere", "members": {"outsider": "owner"}}],
        "projects": [{"path": "okr/work", "members": {"bea": "maintainer", "ana": "developer",
                                                      "project_1_bot_5f2c1e": "maintainer"}}]}}


def test_people_are_the_scope_members_paged_and_deduplicated(
        make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(_fixture())
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb, scope={"projects": ["okr/work"], "groups": ["okr"]}),
                                sleep=NO_SLEEP)
    control.reset_requests()

    people = connector.list_users()

    names = [p["identity"] for p in people]
    assert sorted(names) == sorted(["okr-bot", "ana", "bea", *CROWD])  # no outsider, no subgroup-only, no bot
    assert len(names) == len(set(names))
    assert {p["identity"]: p["name"] for p in people}["ana"] == "Ana Costa"
    assert all(p["email"] is None for p in people)  # member lists show no e-mail to non-administrators
    assert control.requests()["by_route"] == {  # 132 group members and 133 project members: 2 pages each
        "GET /gitlab/api/v4/groups/{id}/members/all": 2, "GET /gitlab/api/v4/projects/{id}/members/all": 2}


def test_members_all_includes_ancestors_with_the_highest_level(make_sandbox: Callable[..., Any]) -> None:
    import gitlab

    sb = make_sandbox(_fixture())
    gl = gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=sb.info["gitlab"]["token"])
    sub = {m.username: m.access_level for m in gl.groups.get("okr/sub").members_all.list(get_all=True)}
    assert sub["carl"] == 30 and sub["ana"] == 20 and "outsider" not in sub
    direct = {m.username for m in gl.groups.get("okr/sub").members.list(get_all=True)}
    assert direct == {"carl"}
    work = {m.username: m.access_level for m in gl.projects.get("okr/work").members_all.list(get_all=True)}
    assert work["ana"] == 30 and work["bea"] == 40  # the project's Developer beats the group's Reporter
