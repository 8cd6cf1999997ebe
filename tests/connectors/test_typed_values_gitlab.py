"""Issue 19 on GitLab, with python-gitlab against the sandbox: numbers in scoped labels are read in the
configured locale, and one that cannot be read is reported with the issue, never read as something else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, settings_for

FIXTURE: dict[str, Any] = {"gitlab": {
    "users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"}],
    "issues": [
        {"project": PROJECT, "title": "Recover debts of firm A", "labels": ["kr::OBJ1-KR1", "Recovered::1.234,5"],
         "created_at": "2026-11-02T09:00:00Z"},
        {"project": PROJECT, "title": "Recover debts of firm B", "labels": ["kr::OBJ1-KR1", "Recovered::3,6"],
         "created_at": "2026-11-03T09:00:00Z"},
        {"project": PROJECT, "title": "Recover debts of firm C", "labels": ["kr::OBJ1-KR1", "Recovered::2000"],
         "created_at": "2026-11-04T09:00:00Z"},
    ],
}}


def pull(sb: Any, locale: str) -> tuple[dict[str, dict[str, float]], list[str]]:
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    result = connector.pull(None, PullSpec(number_fields=frozenset({"Recovered"}), kr_ids=frozenset({"OBJ1-KR1"}),
                                           locale=locale))
    return {item.title[-6:]: item.numbers for item in result.items}, [p.message for p in result.problems]


def test_scoped_label_numbers_follow_the_locale(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    numbers, problems = pull(sb, "pt-BR")
    assert numbers == {"firm A": {"Recovered": 1234.5}, "firm B": {"Recovered": 3.6}, "firm C": {"Recovered": 2000.0}}
    assert problems == []
    numbers, problems = pull(sb, "en")
    assert numbers == {"firm A": {}, "firm B": {}, "firm C": {"Recovered": 2000.0}}
    assert sorted(problems) == [
        f"issue {PROJECT}#1: label 'Recovered::1.234,5' not used: '1.234,5' is ambiguous in locale en, which "
        "writes 1,234.5; write 1234.5",
        f"issue {PROJECT}#2: label 'Recovered::3,6' not used: '3,6' is ambiguous in locale en, which writes "
        "1,234.5; write 3.6",
    ]
