"""``okr-sync people import --from …`` against the sandbox: users listed through each connector, matched
to the directory by e-mail, proposals printed as YAML, nothing changed (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from okr_sync.cli.demo import demo_config_path, demo_environment
from okr_sync.cli.main import app
from okr_sync.config.people import Person
from okr_sync.engine.people import import_yaml, propose_import
from okr_sync.sandbox.fixtures import demo_story


def _demo_env(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in demo_environment(sb.info).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OKRSYNC_STATE__URL", f"sqlite:///{tmp_path / 'never-created.db'}")


def _run(source: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["people", "import", "--from", source, "--config", str(demo_config_path())])
    data = yaml.safe_load(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, data, result.output


def test_jira_cloud_and_planner_users_are_all_mapped_already(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    _demo_env(sb, monkeypatch, tmp_path)
    for source in ("jira", "planner"):
        code, data, output = _run(source)
        assert code == 0, output
        assert data["missing_identities"] == [] and data["conflicts"] == [], source
        # the bot and the viewer have e-mails no person has: proposed as new entries, nobody else
        new = {p["email"] for p in data["new_people"]}
        assert not new & {p.email for p in demo_story.PEOPLE}, source
        assert f"{len(demo_story.PEOPLE)} already mapped" in output, (source, output.splitlines()[0])
    assert not (tmp_path / "never-created.db").exists()  # changing nothing, not even the state store


def test_jira_server_usernames_conflict_with_configured_account_ids(make_sandbox: Any,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    sb = make_sandbox("demo", jira_deployment="server")
    _demo_env(sb, monkeypatch, tmp_path)
    code, data, output = _run("jira")
    assert code == 0, output
    conflicts = {c["id"]: c for c in data["conflicts"]}
    assert set(conflicts) == {p.id for p in demo_story.PEOPLE}
    maria = conflicts["maria.souza"]
    assert maria["found"] == "maria.souza" and maria["configured"].startswith("712020:")
    assert {p["id"] for p in data["new_people"]} == {"okr-bot", "viewer"}


def test_gitlab_shows_no_emails_to_non_admins(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    _demo_env(sb, monkeypatch, tmp_path)
    code, data, output = _run("gitlab")
    assert code == 0, output
    # people's usernames are configured already; the bot and viewer have no visible e-mail
    assert f"{len(demo_story.PEOPLE)} already mapped" in output
    assert {u["identity"] for u in data["without_email"]} == {"okr-bot", "viewer"}
    assert data["new_people"] == [] and data["missing_identities"] == []


def test_unknown_tracker_is_a_usage_error(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sb = make_sandbox("empty")
    _demo_env(sb, monkeypatch, tmp_path)
    code, _, output = _run("redmine")
    assert code == 2 and "no such tracker" in output and "jira (jira)" in output


def test_proposal_matches_by_email_case_insensitively() -> None:
    people = [Person(id="ana", name="Ana", email="Ana.Costa@MPE.example.gov", identities={"gitlab": "ana"}),
              Person(id="rui", name="Rui", email="rui@pge.example.gov"),
              Person(id="bea", name="Bea", email="bea@pge.example.gov", identities={"jira": "acc-old"})]
    users = [{"identity": "acc-ana", "name": "Ana Costa", "email": "ana.costa@mpe.example.gov"},
             {"identity": "acc-rui", "name": "Rui", "email": "RUI@pge.example.gov"},
             {"identity": "acc-bea", "name": "Bea", "email": "bea@pge.example.gov"},
             {"identity": "acc-new", "name": "Ana C.", "email": "ana@other.example.gov"},
             {"identity": "acc-new2", "name": "Ana D.", "email": "ana@third.example.gov"},
             {"identity": "acc-hidden", "name": "Hidden", "email": None}]
    proposal = propose_import("jira", people, users)
    assert proposal.missing_identities == [{"id": "ana", "identities": {"jira": "acc-ana"}},
                                           {"id": "rui", "identities": {"jira": "acc-rui"}}]
    assert proposal.conflicts == [{"id": "bea", "configured": "acc-old", "found": "acc-bea", "name": "Bea"}]
    assert [p["id"] for p in proposal.new_people] == ["ana-2", "ana-3"]  # never an existing or repeated id
    assert proposal.without_email == [{"identity": "acc-hidden", "name": "Hidden"}]
    text = import_yaml(proposal)
    assert text.startswith("# okr-sync people import --from jira: 6 user(s) read; 0 already mapped, 2 ")
    assert yaml.safe_load(text)["new_people"][0]["identities"] == {"jira": "acc-new"}


def test_emulator_user_lists_page_like_the_services(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    from okr_sync.config.errors import SyncError
    from okr_sync.config.load import load_config
    from okr_sync.engine.runtime import open_connectors

    sb = make_sandbox("demo", jira_deployment="server")
    _demo_env(sb, monkeypatch, tmp_path)
    settings = load_config(demo_config_path()).settings
    connectors: dict[str, Any] = open_connectors(settings, only={"jira", "planner"})
    try:
        planner = connectors["planner"]
        url = f"{settings.trackers['planner'].graph_url.rstrip('/')}/users?$select=id,mail&$top=3"  # type: ignore[union-attr]
        before = planner.requests_made
        users = planner._ops._pages(lambda: planner._ops.graph.users.with_url(url), "users")
        assert len(users) == len(demo_story.PEOPLE) and all(set(u) <= {"id", "mail"} for u in users)
        assert planner.requests_made - before == -(-len(users) // 3)  # one request per page of 3
        jira = connectors["jira"]
        jira.session.client()
        with pytest.raises(SyncError):  # /users/search is Cloud only
            jira.session.call(lambda: jira.session.client()._get_json("users/search"), subject="users", retry=False)
        assert len(jira.list_users()) == len(demo_story.PEOPLE) + 2  # Server: /user/search?username=.
    finally:
        for connector in connectors.values():
            connector.close()
