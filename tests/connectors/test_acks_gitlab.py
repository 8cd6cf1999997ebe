"""Acknowledgement signs on GitLab KR home issues, read by ``read_homes`` through the real python-gitlab
against the sandbox: labels ``okr-ack:<rule>`` (dated by the issue's creation: GitLab's issue JSON does not
say when a label came) and ``okr-ack: <rule>`` lines in people's notes; okr-sync's own notes and system notes
never count; reading them costs no request beyond the list call and the notes call okr-sync made before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from okr_sync.connectors.base import AckSign, PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.mapping import HomeItem
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, client, settings_for

LIST = "GET /gitlab/api/v4/projects/{id}/issues"
NOTES = "GET /gitlab/api/v4/projects/{id}/issues/{issue_iid}/notes"
CREATED = "2026-11-02T09:00:00+00:00"
NOTED = "2026-11-21T15:30:00+00:00"
HOME = HomeItem("gitlab", f"{PROJECT}#1")
OWN_CHECKIN = ("<!-- okr-sync:checkin:OBJ1-KR1:2026-W48 -->\n### Check-in 2026-W48\n"
               "Two items are overdue. To acknowledge, write a note:\n\nokr-ack: overdue_items\n")
FIXTURE: dict[str, Any] = {"gitlab": {
    "users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"},
              {"username": "ana.costa", "token": "t-ana"},
              {"username": "viewer", "token": "sandbox-gitlab-readonly", "read_only": True}],
    "issues": [{"project": PROJECT, "title": "KR home", "author": "ana.costa", "created_at": CREATED,
                "labels": ["kr-home", "okr-ack:stale_kr", "okr-status::at-risk"],
                "notes": [{"body": "okr-ack: stale_kr", "author": "ana.costa", "system": True,
                           "created_at": "2026-11-03T09:00:00Z"}]}],
}}


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Any]) -> Any:
    return make_sandbox(FIXTURE)


def _read(sb: Any, control: Any, **overrides: Any) -> tuple[tuple[AckSign, ...], dict[str, int]]:
    connector = GitLabConnector("gitlab", settings_for(sb, **overrides), sleep=NO_SLEEP)
    control.reset_requests()
    state = connector.read_homes([HOME], PullSpec())[HOME]
    return state.acks, control.requests()["by_route"]


def _signs_by_people(sb: Any, control: Any) -> int:
    """Ana adds a label and writes a note; okr-sync posts its check-in (with the hint). Returns Ana's note id."""
    control.set_clock(NOTED, frozen=True)
    issue = client(sb, "t-ana").projects.get(PROJECT).issues.get(1)
    issue.labels = [*issue.labels, "OKR-ACK:Overdue-Items"]
    issue.save()
    note = issue.notes.create({"body": "The vendor is late; we know.\nokr-ack: blocked_items, behind-pace\n"
                                       "(see the okr-ack: wiki page)"})
    issue.notes.create({"body": "Nothing to acknowledge."})
    client(sb).projects.get(PROJECT).issues.get(1).notes.create({"body": OWN_CHECKIN})
    return int(note.id)


def test_label_and_note_signs_with_rule_author_time_and_source(
        sandbox: Any, control_of: Callable[..., Any]) -> None:
    control = control_of(sandbox)
    before, before_counts = _read(sandbox, control)
    assert before_counts == {LIST: 1, NOTES: 1}
    assert before == (AckSign("stale_kr", "unknown", datetime.fromisoformat(CREATED), "label"),), \
        "a system note never counts, even with an okr-ack line"

    note_id = _signs_by_people(sandbox, control)
    acks, counts = _read(sandbox, control)
    assert counts == before_counts, "signs cost no request beyond the home list and its notes"
    created = datetime.fromisoformat(CREATED)
    assert [(s.rule, s.by, s.source) for s in acks] == [
        ("overdue_items", "unknown", "label"), ("stale_kr", "unknown", "label"),  # labels: see ack_signs' docstring
        ("behind_pace", "ana.costa", f"note:{note_id}"), ("blocked_items", "ana.costa", f"note:{note_id}")]
    assert [s.at for s in acks[:2]] == [created, created]
    noted = datetime.fromisoformat(NOTED)
    assert all(timedelta(0) <= s.at - noted < timedelta(seconds=1) for s in acks[2:]), "the note's creation"
    again, _ = _read(sandbox, control)
    assert again == acks, "okr-sync's own writes (its note) leave the signs' identities unchanged"


def test_notes_are_not_read_for_signs_alone(sandbox: Any, control_of: Callable[..., Any]) -> None:
    control = control_of(sandbox)
    _signs_by_people(sandbox, control)
    acks, counts = _read(sandbox, control, write={"checkin_note": False})
    assert counts == {LIST: 1}, "without check-ins or a manual value, no notes call (as before)"
    assert {(s.rule, s.source) for s in acks} == {("stale_kr", "label"), ("overdue_items", "label")}


def test_configured_label_prefix(sandbox: Any, control_of: Callable[..., Any]) -> None:
    control = control_of(sandbox)
    issue = client(sandbox).projects.get(PROJECT).issues.get(1)
    issue.labels = ["kr-home", "ack::stale-kr", "okr-ack:blocked_items"]
    issue.save()
    acks, _ = _read(sandbox, control, write={"ack_label_prefix": "ack::"})
    assert [(s.rule, s.source) for s in acks] == [("stale_kr", "label")]
