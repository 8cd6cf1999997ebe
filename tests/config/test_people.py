"""The people directory in the configuration (issue 14, acceptance 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text
from okr_sync.engine.domain import build_domain

BASE = (Path(__file__).parent / "base.yaml").read_text()
PEOPLE = """people:
  - {id: maria, name: Maria Souza, department: State Attorney's Office, email: maria@pge.example.gov,
     identities: {jira: "712020:maria", gitlab: maria.souza}}
  - {id: joao, name: João Lima, department: State Attorney's Office, identities: {jira: "712020:joao"}}
  - {id: ana, name: Ana Costa, department: Public Prosecutor's Office, identities: {gitlab: ana.costa}}
"""


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigurationError) as caught:
        load_text(text, file="okr-sync.yaml", environ={})
    return [(p.path, p.message) for p in caught.value.problems]


def test_directory_is_valid_and_gives_kr_departments() -> None:
    text = BASE.replace("        department: State Attorney's Office\n", "") + PEOPLE
    settings = load_text(text, environ={}).settings
    assert [p.id for p in settings.people] == ["maria", "joao", "ana"]
    assert build_domain(settings).key_results["OBJ1-KR1"].department == "State Attorney's Office"


def test_unknown_owner_gets_did_you_mean() -> None:
    text = BASE.replace("        owner: ana\n", "        owner: anna\n") + PEOPLE
    assert ("objectives.0.key_results.1.owner",
            "unknown person 'anna'; did you mean 'ana'? (owners are ids of the people directory)") in _problems(text)


def test_duplicate_identity_is_an_error() -> None:
    text = BASE + PEOPLE.replace('identities: {gitlab: ana.costa}', 'identities: {gitlab: Maria.Souza}')
    problem = "identity 'Maria.Souza' on gitlab is already maria's; one identity belongs to one person"
    assert ("people.2.identities.gitlab", problem) in _problems(text)


def test_identity_on_unknown_tracker() -> None:
    text = BASE + PEOPLE.replace("identities: {gitlab: ana.costa}", "identities: {youtrack: ana}")
    problem = "unknown tracker 'youtrack'; known: jira, gitlab, planner"
    assert ("people.2.identities.youtrack", problem) in _problems(text)


def test_person_without_department_on_cross_sector_objective() -> None:
    text = BASE.replace("        department: Public Prosecutor's Office\n", "") + PEOPLE.replace(
        "department: Public Prosecutor's Office, ", "")
    assert ("objectives.0.key_results.1.owner",
            "ana owns a KR of the cross-sector objective OBJ1 but has no department; give the person (or the KR) "
            "a department") in _problems(text)


def test_people_file_csv(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,name,department,email,jira,gitlab\n"
                                         "maria,Maria,SAO,m@x.gov,712020:m,maria\n"
                                         "joao,João,SAO,,712020:j,\n"
                                         "ana,Ana,PPO,,,ana\n", encoding="utf-8")
    config = tmp_path / "okr-sync.yaml"
    config.write_text(BASE + "people_file: people.csv\n", encoding="utf-8")
    settings = load_text(config.read_text(), file=str(config), environ={}).settings
    assert settings.person("joao") is not None and settings.person("joao").identities == {"jira": "712020:j"}  # type: ignore[union-attr]


def test_missing_people_file(tmp_path: Path) -> None:
    config = tmp_path / "okr-sync.yaml"
    assert _problems(BASE + "people_file: nobody.csv\n") == [
        ("people_file", "people file nobody.csv not found (paths are relative to the configuration file)")]
    assert config.parent.exists()
