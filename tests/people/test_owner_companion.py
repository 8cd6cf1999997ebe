"""Companion rules per owner: no plan next week on any KR, and team work linked to no KR (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from okr_sync.mapping import (
    OWNER_RULES,
    RULES,
    CompletionMeasure,
    HomeItem,
    KeyResult,
    KrKind,
    Severity,
    StatusCategory,
    WorkItem,
    owners_without_plan,
    unlinked_team_work,
)

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday in 2026-W47; next week is 2026-W48
W48_DAY = date(2026, 11, 25)
TODO, DOING, DONE = StatusCategory.TODO, StatusCategory.IN_PROGRESS, StatusCategory.DONE


def kr(kr_id: str, owner: str | None) -> KeyResult:
    return KeyResult(kr_id, f"KR {kr_id}", ("O1",), owner, None, KrKind.VALUE, CompletionMeasure())


def item(tracker: str, key: str, krs: tuple[str, ...] = (), *, status: StatusCategory = TODO,
         assignee: str | None = None, due: date | None = None, week: str | None = None) -> WorkItem:
    return WorkItem(tracker, key, f"Item {key}", status, kr_ids=krs, assignee=assignee, due=due, planned_week=week)


def test_rules_are_listed() -> None:
    assert set(OWNER_RULES) == {"owner_without_plan", "unlinked_team_work"} and not set(OWNER_RULES) & set(RULES)


def test_owner_with_no_plan_on_any_kr_gets_one_finding() -> None:
    krs = [kr("KR1", "ana"), kr("KR2", "ana"), kr("KR3", "rui")]
    items = {"KR1": [item("jira", "A-1", ("KR1",), due=date(2026, 11, 10))],
             "KR2": [],
             "KR3": [item("gitlab", "g#1", ("KR3",), week="2026-W48")]}
    found = owners_without_plan(krs, items, now=NOW)
    assert [(f.rule, f.subject, f.severity) for f in found] == [("owner_without_plan", "ana", Severity.WARNING)]
    assert "2026-W48" in found[0].reason and "KR1, KR2" in found[0].reason
    assert found[0].facts == ("2026-W48", "KR1", "KR2")


def test_a_plan_in_another_tracker_on_another_kr_covers_the_owner() -> None:
    krs = [kr("KR1", "ana"), kr("KR2", "ana")]
    items = {"KR1": [], "KR2": [item("planner", "task-1", ("KR2",), due=W48_DAY)]}
    assert owners_without_plan(krs, items, now=NOW) == ()


def test_cancelled_items_are_no_plan_but_work_done_early_is() -> None:
    krs = [kr("KR1", "ana")]
    cancelled = item("jira", "A-2", ("KR1",), status=StatusCategory.CANCELLED, week="2026-W48")
    assert [f.subject for f in owners_without_plan(krs, {"KR1": [cancelled]}, now=NOW)] == ["ana"]
    early = item("jira", "A-1", ("KR1",), status=DONE, due=W48_DAY)
    assert owners_without_plan(krs, {"KR1": [cancelled, early]}, now=NOW) == ()


def test_finished_krs_ended_cycles_and_ownerless_krs_do_not_trigger() -> None:
    krs = [kr("KR1", "ana"), kr("KR2", "rui"), kr("KR3", None)]
    found = owners_without_plan(krs, {}, now=NOW, finished={"KR1"}, cycle_ends={"KR2": date(2026, 11, 20)})
    assert found == ()


def test_unlinked_team_work_is_summarised_per_owner() -> None:
    krs = [kr("KR1", "ana"), kr("KR2", "rui")]
    linked = {"KR1": [item("jira", "A-1", ("KR1",), assignee="acc-1"),
                      item("gitlab", "p#1", ("KR1",), assignee="bea")],
              "KR2": [item("jira", "A-9", ("KR2",), assignee="acc-9")]}
    loose = [item("jira", f"A-{n}", assignee="acc-1") for n in range(10, 15)] + [
        item("gitlab", "p#7", status=DOING, assignee="bea"),
        item("gitlab", "p#8", status=DONE, assignee="bea"),      # finished: not asked about
        item("jira", "A-20", assignee="someone-else"),          # not on anyone's team
        item("jira", "A-21")]                                   # unassigned
    everything = [i for group in linked.values() for i in group] + loose
    found = unlinked_team_work(krs, linked, everything)
    assert [(f.rule, f.subject, f.severity) for f in found] == [("unlinked_team_work", "ana", Severity.INFO)]
    finding = found[0]
    assert finding.reason.startswith("6 open item(s) assigned to ana's team link to no KR")
    assert "and 3 more" in finding.reason and "Is this work for a KR?" in finding.action
    assert finding.facts == ("6", "gitlab:p#7", "jira:A-10", "jira:A-11")


def test_directory_resolution_joins_identities_across_trackers() -> None:
    # the same person is acc-1 in Jira and maria in GitLab: her unlinked GitLab work is on ana's team
    people = {("jira", "acc-1"): "maria", ("gitlab", "maria"): "maria"}
    krs = [kr("KR1", "ana")]
    linked = {"KR1": [item("jira", "A-1", ("KR1",), assignee="acc-1")]}
    loose = [item("gitlab", "p#3", assignee="maria")]
    without = unlinked_team_work(krs, linked, [*linked["KR1"], *loose])
    assert without == ()
    found = unlinked_team_work(krs, linked, [*linked["KR1"], *loose],
                               resolve=lambda tracker, who: people.get((tracker, who)))
    assert [f.facts for f in found] == [("1", "gitlab:p#3")]


def test_owner_own_unlinked_work_counts_and_linked_work_never_does() -> None:
    krs = [kr("KR1", "ana")]
    linked = {"KR1": [item("jira", "A-1", ("KR1",), assignee="ana")]}
    assert unlinked_team_work(krs, linked, linked["KR1"]) == ()
    found = unlinked_team_work(krs, {"KR1": []}, [item("jira", "A-2", assignee="Ana")])
    assert [f.subject for f in found] == ["ana"]


def test_home_items_are_not_unlinked_work() -> None:
    home = HomeItem("gitlab", "p#1")
    objective_home = HomeItem("jira", "O-1")
    krs = [replace(kr("KR1", "ana"), home=home)]
    linked = {"KR1": [item("jira", "A-1", ("KR1",), assignee="ana")]}
    homes = [item("gitlab", "p#1", assignee="ana"), item("jira", "O-1", assignee="ana")]
    assert unlinked_team_work(krs, linked, [*linked["KR1"], *homes], homes=[objective_home]) == ()
    found = unlinked_team_work(krs, linked, [*linked["KR1"], *homes])
    assert [f.facts for f in found] == [("1", "jira:O-1")]
