"""GitLab write-back against the sandbox with the real python-gitlab: the status label swap, the
description block (byte for byte outside the markers, also after a person's edit), the weekly note
upsert, request counts, and manual values from the KR owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.gitlab.writeback import BEGIN, END, splice
from okr_sync.mapping import (
    CheckIn,
    HomeItem,
    ItemRef,
    KrStatusValue,
    WeekExecution,
    checkin_marker,
)
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, client, kr_status, settings_for

ISSUE = "/gitlab/api/v4/projects/{id}/issues/{issue_iid}"
DESCRIPTION = "## Why\r\nCitizens wait *less*.  \n\n<!-- a person's own comment -->\ntrailing spaces   \n\n"
FIXTURE: dict[str, Any] = {"gitlab": {
    "users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"},
              {"username": "ana.costa", "token": "t-ana"}, {"username": "rui", "token": "t-rui"},
              {"username": "viewer", "token": "sandbox-gitlab-readonly", "read_only": True}],
    "issues": [{"project": PROJECT, "title": "KR home", "description": DESCRIPTION,
                "labels": ["kr-home", "okr-status::at-risk", "team::permits", "Priority 1"],
                "created_at": "2026-11-02T09:00:00Z"}],
}}
HOME = HomeItem("gitlab", f"{PROJECT}#1")


def _checkin(week: str = "2026-W48", progress: float = 0.42) -> CheckIn:
    execution = WeekExecution(week=week, planned=2, executed=1, rate=0.5, unplanned=0)
    return CheckIn(kr_id="OBJ1-KR1", week=week, progress=progress, previous_progress=0.30,
                   done_this_week=(ItemRef("okr/work#2", "Publish data", "ana.costa"),), findings=(),
                   blocked=(), overdue=(), plans=(("ana.costa", (ItemRef("okr/work#3", "Train staff"),)),),
                   execution=execution, next_week="2026-W49", status=KrStatusValue.ON_TRACK, expected=0.4,
                   forecast=None, generated_at=datetime(2026, 11, 27, 9, tzinfo=UTC))


def _desired(progress: float = 0.42, status: KrStatusValue = KrStatusValue.ON_TRACK,
             checkin: CheckIn | None = None) -> DesiredHome:
    return DesiredHome(home=HOME, subject_id="OBJ1-KR1", title="Permits in 5 days",
                       status=kr_status("OBJ1-KR1", progress, status), checkin=checkin, owner_mention="@ana.costa")


@pytest.fixture
def setup(make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> tuple[Any, Any, GitLabConnector]:
    sb = make_sandbox(FIXTURE)
    return sb, control_of(sb), GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)


def _sync(connector: GitLabConnector, desired: list[DesiredHome]) -> list[str]:
    writes = connector.plan_writes(desired, connector.read_homes([d.home for d in desired], PullSpec()))
    results = connector.apply(writes)
    assert all(r.ok for r in results), [str(r.error) for r in results]
    return [w.target for w in writes]


def test_label_swap_leaves_every_other_label(setup: tuple[Any, Any, GitLabConnector]) -> None:
    sb, control, connector = setup
    control.reset_requests()
    writes = connector.plan_writes([_desired()], connector.read_homes([HOME], PullSpec()))
    label = next(w for w in writes if w.target == "status label")
    assert (label.old, label.new) == ("okr-status::at-risk", "okr-status::on-track")
    assert "okr-status::at-risk → okr-status::on-track" in label.describe()
    control.reset_requests()
    assert all(r.ok for r in connector.apply([label]))
    assert control.requests()["by_route"] == {f"PUT {ISSUE}": 1}
    issue = client(sb).projects.get(PROJECT).issues.get(1)
    assert sorted(issue.labels) == sorted(["kr-home", "okr-status::on-track", "team::permits", "Priority 1"])


def test_description_outside_the_markers_is_kept_byte_for_byte(setup: tuple[Any, Any, GitLabConnector]) -> None:
    sb, control, connector = setup
    project = client(sb).projects.get(PROJECT)
    states = connector.read_homes([HOME], PullSpec())
    writes = connector.plan_writes([_desired()], states)
    # a person edits the description between okr-sync's read and its write
    issue = project.issues.get(1)
    edited = "Edited by a person.\n" + DESCRIPTION + "More text after.\n"
    issue.description = edited
    issue.save()
    control.reset_requests()
    assert all(r.ok for r in connector.apply([w for w in writes if w.target == "status block"]))
    assert control.requests()["by_route"] == {f"GET {ISSUE}": 1, f"PUT {ISSUE}": 1}
    text = project.issues.get(1).description
    assert text.startswith(edited), "the person's edit and everything before the block survive byte for byte"
    assert text[len(edited):].startswith("\n" + BEGIN + "\n<!-- okr-sync:status:OBJ1-KR1 -->")
    assert text.endswith(END + "\n")

    # a new status replaces only what lies between the markers, with text now on both sides
    issue = project.issues.get(1)
    issue.description = "Before.\n" + text + "After, by a person.\n"
    issue.save()
    _sync(connector, [_desired(0.55)])
    final = project.issues.get(1).description
    start, end = final.index(BEGIN) + len(BEGIN), final.index(END)
    assert final[:start] == "Before.\n" + text[: text.index(BEGIN) + len(BEGIN)]
    assert final[end:] == END + "\nAfter, by a person.\n"
    assert "55 %" in final[start:end] and "42 %" not in final[start:end]


def test_unchanged_kr_costs_no_write(setup: tuple[Any, Any, GitLabConnector]) -> None:
    _, control, connector = setup
    desired = [_desired(checkin=_checkin())]
    assert _sync(connector, desired) == ["status label", "status block", "check-in 2026-W48"]
    control.reset_requests()
    assert _sync(connector, desired) == []
    counts = control.requests()
    assert counts["writes"] == 0
    assert counts["by_route"] == {"GET /gitlab/api/v4/projects/{id}/issues": 1,
                                  f"GET {ISSUE}/notes": 1}, "read_homes: one list call + one notes call per home"


def test_weekly_note_upserted_twice_is_one_note(setup: tuple[Any, Any, GitLabConnector]) -> None:
    sb, control, connector = setup
    _sync(connector, [_desired(checkin=_checkin(progress=0.42))])
    control.reset_requests()
    assert _sync(connector, [_desired(checkin=_checkin(progress=0.47))]) == ["check-in 2026-W48"]
    assert control.requests()["by_route"].get(f"PUT {ISSUE}/notes/{{note_id}}") == 1
    _sync(connector, [_desired(checkin=_checkin(week="2026-W49"))])
    notes = client(sb).projects.get(PROJECT).issues.get(1).notes.list(get_all=True)
    marked = [n.body for n in notes if "okr-sync:checkin" in n.body]
    assert len(marked) == 2
    week48 = next(b for b in marked if checkin_marker("OBJ1-KR1", "2026-W48") in b)
    assert "47 %" in week48 and week48.rstrip().endswith("Owner: @ana.costa")


def test_a_check_in_whose_post_landed_but_failed_is_not_posted_twice(
        setup: tuple[Any, Any, GitLabConnector]) -> None:
    sb, control, connector = setup
    control.fault("POST /gitlab/api/v4/projects/*/notes", "504", times=1, phase="after")
    control.reset_requests()
    _sync(connector, [_desired(checkin=_checkin())])
    assert sum(rule["injected"] for rule in control.faults()["rules"]) == 1
    routes = control.requests()["by_route"]
    assert routes[f"POST {ISSUE}/notes"] == 1 and routes[f"GET {ISSUE}/notes"] == 2, "re-read before a retry"
    notes = client(sb).projects.get(PROJECT).issues.get(1).notes.list(get_all=True)
    assert len([n for n in notes if "okr-sync:checkin" in n.body]) == 1


def test_manual_value_latest_note_by_the_owner_wins(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    for token, body in (("t-ana", "Update: okr-value: 10 is not a line start"), ("t-ana", "okr-value: 12"),
                        ("t-ana", "Progress note\nOKR-Value: 14,5 permits\n"), ("t-rui", "okr-value: 99")):
        client(sb, token).projects.get(PROJECT).issues.get(1).notes.create({"body": body})
    spec = PullSpec(manual_homes={HOME: "OBJ1-KR1"}, owners={"OBJ1-KR1": "@ana.costa"}, locale="pt-BR")
    state = connector.read_homes([HOME], spec)[HOME]
    assert state.manual is not None and (state.manual.value, state.manual.author) == (14.5, "ana.costa")
    assert state.manual.at.tzinfo is not None
    assert [(i.text, i.name, i.why) for i in state.ignored] == [("99", "rui", "rui is not the KR owner")]


def test_a_manual_value_is_read_in_the_locale_and_only_from_an_owner(make_sandbox: Callable[..., Any]) -> None:
    """Issue 19: ``14,5`` under ``en`` is ambiguous (the owner's older 12 counts meanwhile, and the note says
    why 14,5 does not); a KR without owner takes no one's value — as on Jira and Planner."""
    sb = make_sandbox(FIXTURE)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    for body in ("okr-value: 12", "okr-value: 14,5 permits"):
        client(sb, "t-ana").projects.get(PROJECT).issues.get(1).notes.create({"body": body})
    state = connector.read_homes([HOME], PullSpec(manual_homes={HOME: "OBJ1-KR1"},
                                                  owners={"OBJ1-KR1": "ana.costa"}))[HOME]
    assert state.manual is not None and state.manual.value == 12.0
    assert [i.why for i in state.ignored] == ["'14,5' is ambiguous in locale en, which writes 1,234.5; write 14.5"]
    nobody = connector.read_homes([HOME], PullSpec(manual_homes={HOME: "OBJ1-KR1"}))[HOME]
    assert nobody.manual is None and len(nobody.ignored) == 2
    assert {i.why for i in nobody.ignored} == {"the KR has no owner in okr-sync.yaml; add owner (or owners)"}


def test_missing_home_and_read_only_token(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    missing = HomeItem("gitlab", f"{PROJECT}#404")
    gone = HomeItem("gitlab", "okr/nowhere#1")
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    states = connector.read_homes([HOME, missing, gone], PullSpec())
    assert [states[h].exists for h in (HOME, missing, gone)] == [True, False, False]
    viewer = GitLabConnector("gitlab", settings_for(sb, token=sb.info["gitlab"]["readonly_token"]), sleep=NO_SLEEP)
    writes = viewer.plan_writes([_desired()], viewer.read_homes([HOME], PullSpec()))
    results = viewer.apply(writes)
    assert len(results) == 2 and not any(r.ok for r in results), "each write fails on its own, none stops the rest"
    for result in results:
        assert result.error is not None and result.error.disposition == "auth"
        assert PROJECT + "#1" in str(result.error) and "sandbox-gitlab-readonly" not in str(result.error)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", f"{BEGIN}\nB\n{END}\n"),
        ("text", f"text\n\n{BEGIN}\nB\n{END}\n"),
        ("text\n", f"text\n\n{BEGIN}\nB\n{END}\n"),
        (f"a {BEGIN} orphan\n", f"a {BEGIN} orphan\n\n{BEGIN}\nB\n{END}\n"),
        (f"x\r\n{BEGIN}old{END}y {END}", f"x\r\n{BEGIN}\nB\n{END}y {END}"),
    ],
    ids=["empty", "no-newline", "newline", "orphan-begin", "crlf-and-stray-end"],
)
def test_splice_changes_only_the_block(before: str, after: str) -> None:
    assert splice(before, "B\n") == after
