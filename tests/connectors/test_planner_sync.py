"""Planner connector against the sandbox's Graph emulator with the real msgraph-sdk and azure-identity:
exact request accounting for pulls and write-back, idempotent writes, and the concurrent-edit case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.mapping import CheckIn, HomeItem, ItemRef, KrStatusValue, StatusCategory, WeekExecution, status_marker
from okr_sync.sandbox.server import Sandbox
from tests.contract.harness_planner import NO_SLEEP, PlannerAppliedCategories, PlannerPeople, desired, settings_for

G = "/graph/v1.0"
TASKS = f"GET {G}/planner/plans/{{plan_id}}/tasks"
BUCKETS = f"GET {G}/planner/plans/{{plan_id}}/buckets"
PLAN_DETAILS = f"GET {G}/planner/plans/{{plan_id}}/details"
TASK = f"GET {G}/planner/tasks/{{task_id}}"
DETAILS = f"GET {G}/planner/tasks/{{task_id}}/details"
PATCH_TASK = f"PATCH {G}/planner/tasks/{{task_id}}"
PATCH_DETAILS = f"PATCH {G}/planner/tasks/{{task_id}}/details"
LINKS = [{"bucket": "KR {kr}"}, {"title_prefix": "[{kr}]"}, {"category": "kr:{kr}"}]
USER = {"id": "a1a1a1a1-0000-4000-8000-000000000001", "displayName": "Ana Ruiz",
        "userPrincipalName": "ana@licensing.example", "mail": "ana@licensing.example"}
CATEGORIES = {"category1": "Not started", "category2": "On track", "category3": "At risk", "category4": "Off track",
              "category5": "Done", "category6": "Blocked", "category7": "kr:OBJ2-KR2", "category8": "Urgent"}
HOME_TEXT = "Owner: Ana. Targets agreed with the licensing board.\n"


def fixture(page_size: int = 100) -> dict[str, Any]:
    """Two plans: OKR (7 tasks, 5 linked, plus the KR home task) and Ops (2 tasks, 1 linked)."""
    okr_tasks = [
        {"title": "Digitise forms", "bucket": "KR OBJ2-KR1", "percentComplete": 100,
         "completedDateTime": "2026-11-10T12:00:00Z", "description": "Cases closed: 120"},
        {"title": "Train clerks", "bucket": "KR OBJ2-KR1", "percentComplete": 50,
         "dueDateTime": "2026-11-26T17:00:00Z", "appliedCategories": ["category6"], "assignments": [USER["id"]]},
        {"title": "[OBJ2-KR3] Survey applicants", "bucket": "Backlog"},
        {"title": "[OBJ2-KR3][OBJ2-KR1] Publish results", "bucket": "Backlog", "percentComplete": 50},
        {"title": "Clear the backlog", "bucket": "Backlog", "appliedCategories": ["category7"]},
        {"title": "Order printer toner", "bucket": "Backlog"},
        {"title": "KR OBJ2-KR1 home", "bucket": "Backlog", "description": HOME_TEXT,
         "checklist": [{"title": "Agree targets", "isChecked": True}], "assignments": [USER["id"]],
         "appliedCategories": ["category8"]},
    ]
    return {"planner": {
        "page_size": page_size, "users": [USER],
        "plans": [
            {"id": "planOKR000000000000000000001", "title": "OKR", "categories": CATEGORIES,
             "buckets": [{"name": "KR OBJ2-KR1"}, {"name": "Backlog"}], "tasks": okr_tasks},
            {"id": "planOps000000000000000000001", "title": "Ops", "categories": {"category1": "kr:OBJ2-KR2"},
             "buckets": [{"name": "Todo"}],
             "tasks": [{"title": "[OBJ2-KR2] Call applicants", "bucket": "Todo"},
                       {"title": "Team offsite", "bucket": "Todo"}]},
        ]},
        "meta": {"planner": {"plan": "OKR"}}}


PLANS = ["planOKR000000000000000000001", "planOps000000000000000000001"]


@pytest.fixture
def world(make_sandbox: Callable[..., Sandbox], control_of: Callable[..., Any]) -> Iterator[Any]:
    sb = make_sandbox(fixture())
    people = PlannerPeople(sb)
    yield sb, control_of(sb), people
    people.close()


def connector(sb: Sandbox, **overrides: Any) -> PlannerConnector:
    settings = settings_for(sb, **{"link": LINKS, "scope": {"plans": PLANS}, **overrides})
    return PlannerConnector("planner", settings, sleep=NO_SLEEP)


def task_id(sb: Sandbox, title: str) -> str:
    return next(t["id"] for t in sb.snapshot()["planner"]["tasks"] if t["title"] == title)


def routes(control: Any) -> dict[str, int]:
    return {k: v for k, v in control.requests()["by_route"].items() if k.startswith(("GET ", "PATCH ", "POST "))}


def test_first_pull_idle_pull_and_one_change_cost_exactly(world: Any) -> None:
    sb, control, people = world
    c = connector(sb)
    spec = PullSpec(number_fields=frozenset({"Cases closed"}))
    control.reset_requests()
    first = c.pull(None, spec)
    linked = {i.title: i for i in first.items if i.kr_ids}
    assert first.full and len(first.items) == 9 and len(linked) == 6
    assert routes(control) == {TASKS: 2, BUCKETS: 2, PLAN_DETAILS: 2, DETAILS: 6}
    assert c.requests_made == 12
    assert linked["Digitise forms"].numbers == {"Cases closed": 120.0}
    assert linked["Digitise forms"].status == StatusCategory.DONE and linked["Digitise forms"].kr_ids == ("OBJ2-KR1",)
    train = linked["Train clerks"]
    assert (train.status, train.blocked, train.planned_week, train.assignee) == (
        StatusCategory.IN_PROGRESS, True, "2026-W48", USER["id"])
    assert linked["[OBJ2-KR3][OBJ2-KR1] Publish results"].kr_ids == ("OBJ2-KR3", "OBJ2-KR1")
    assert linked["Clear the backlog"].kr_ids == ("OBJ2-KR2",)
    assert linked["[OBJ2-KR2] Call applicants"].kr_ids == ("OBJ2-KR2",)

    control.reset_requests()
    idle = c.pull(first.watermark, spec)
    assert idle.items == [] and not idle.full and routes(control) == {TASKS: 2}  # one call per plan

    people.patch_task(task_id(sb, "Train clerks"), percent_complete=100)
    control.reset_requests()
    changed = c.pull(idle.watermark, spec)
    assert [(i.title, i.status) for i in changed.items] == [("Train clerks", StatusCategory.DONE)]
    assert changed.items[0].updated is not None
    assert routes(control) == {TASKS: 2, BUCKETS: 1, PLAN_DETAILS: 1, DETAILS: 1}
    c.close()


def test_pull_without_number_fields_reads_no_details_and_pages_by_next_link(
        make_sandbox: Callable[..., Sandbox], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(fixture(page_size=3))
    control = control_of(sb)
    c = connector(sb, link=[{"title_prefix": "[{kr}]"}], blocked_category=None)
    control.reset_requests()
    result = c.pull(None, PullSpec())
    assert len(result.items) == 9
    assert routes(control) == {TASKS: 3 + 1}  # ⌈7/3⌉ + ⌈2/3⌉ pages; prefix rules need no bucket or category names
    assert c.requests_made == 4
    c.close()


def test_a_plan_that_is_gone_is_a_problem_and_the_others_still_pull(world: Any) -> None:
    sb, _, _ = world
    c = connector(sb, scope={"plans": ["planGone00000000000000000001", PLANS[1]]})
    result = c.pull(None, PullSpec())
    assert [p.subject for p in result.problems] == ["plan planGone00000000000000000001"]
    assert result.problems[0].disposition == "skippable" and "not found" in result.problems[0].message
    assert len(result.items) == 2 and not result.full
    c.close()


def test_write_back_writes_three_targets_once_then_nothing(world: Any) -> None:
    sb, control, people = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    c = connector(sb)
    want = [desired(home, "OBJ2-KR1", 0.424)]
    control.reset_requests()
    current = c.read_homes([home], PullSpec())
    assert routes(control) == {TASK: 1, DETAILS: 1, PLAN_DETAILS: 1}
    writes = c.plan_writes(want, current)
    assert [(w.target, w.old, w.new) for w in writes][:2] == [("percentComplete", "0", "42"),
                                                               ("status category", "Urgent", "On track")]
    assert writes[2].target == "status block" and writes[2].old is None
    control.reset_requests()
    assert all(r.ok for r in c.apply(writes))
    assert routes(control) == {PATCH_TASK: 2, PATCH_DETAILS: 1}  # ETags chained: no 412, no re-read
    control.reset_requests()
    assert c.plan_writes(want, c.read_homes([home], PullSpec())) == []
    assert PATCH_TASK not in routes(control) and PATCH_DETAILS not in routes(control)

    task = people.task(home.key)
    applied = {k for k, v in task.applied_categories.additional_data.items() if v}
    assert task.percent_complete == 42 and applied == {"category2", "category8"}
    assert set(task.assignments.additional_data) == {USER["id"]}
    text = people.description(home.key)
    assert text.startswith(HOME_TEXT.rstrip() + "\n\n") and text.rstrip().endswith(f"[{status_marker('OBJ2-KR1')}]")
    snapshot = next(d for d in sb.snapshot()["planner"]["taskDetails"] if d["id"] == home.key)
    assert [i["title"] for i in snapshot["checklist"].values()] == ["Agree targets"]

    done = c.plan_writes([desired(home, "OBJ2-KR1", 1.0, KrStatusValue.DONE)], c.read_homes([home], PullSpec()))
    assert [(w.target, w.new) for w in done][:2] == [("percentComplete", "100"), ("status category", "Done")]
    c.close()


def test_a_person_editing_between_read_and_write_keeps_their_change(world: Any) -> None:
    sb, control, people = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    c = connector(sb)
    want = [desired(home, "OBJ2-KR1", 0.3)]
    writes = c.plan_writes(want, c.read_homes([home], PullSpec()))
    # a person edits the task and its description after okr-sync read them
    people.patch_task(home.key, title="KR OBJ2-KR1 home (renamed)", due_date_time="2026-12-18T17:00:00Z",
                      applied_categories=PlannerAppliedCategories(additional_data={"category3": True}))
    people.patch_details(home.key, "Meeting moved to Friday.\n" + HOME_TEXT)
    control.reset_requests()
    results = c.apply(writes)
    assert all(r.ok for r in results), [r.error for r in results]
    counted = routes(control)
    assert counted[PATCH_TASK] == 3 and counted[PATCH_DETAILS] == 2  # one 412 each, then success
    assert counted[TASK] == 1 and counted[DETAILS] == 1  # one re-read each
    task = people.task(home.key)
    assert task.title == "KR OBJ2-KR1 home (renamed)" and task.percent_complete == 30
    assert task.due_date_time is not None and task.due_date_time.date().isoformat() == "2026-12-18"
    applied = {k for k, v in task.applied_categories.additional_data.items() if v}
    assert applied == {"category2", "category8"}  # okr-sync's status wins over "At risk"; "Urgent" stays
    text = people.description(home.key)
    assert text.startswith("Meeting moved to Friday.\n" + HOME_TEXT.rstrip())
    assert f"[{status_marker('OBJ2-KR1')}]" in text
    assert c.plan_writes(want, c.read_homes([home], PullSpec())) == []
    c.close()


def test_two_412s_fail_that_write_only(world: Any) -> None:
    sb, control, _ = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    c = connector(sb)
    writes = c.plan_writes([desired(home, "OBJ2-KR1", 0.3)], c.read_homes([home], PullSpec()))
    control.fault(f"PATCH {G}/planner/tasks/{home.key}/details", "412", times=2)
    results = {r.write.target: r for r in c.apply(writes)}
    assert results["percentComplete"].ok and results["status category"].ok
    error = results["status block"].error
    assert error is not None and error.disposition == "retriable" and f"task {home.key}" in str(error)
    c.close()


def test_manual_value_comes_from_the_owners_checklist_item(world: Any) -> None:
    sb, _, people = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    people.add_checklist_item(home.key, "okr-value: 1,250")
    author = sb.info["planner"]["client_id"]  # people here edit through the sandbox's one app registration
    c = connector(sb)
    spec = PullSpec(manual_homes={home: "OBJ2-KR1"}, owners={"OBJ2-KR1": author})
    manual = c.read_homes([home], spec)[home].manual
    assert manual is not None and (manual.value, manual.author) == (1250.0, author)
    assert manual.at.tzinfo is not None
    assert c.read_homes([home], spec)[home].acks == ()  # an unchecked item, and not an okr-ack one
    other = PullSpec(manual_homes={home: "OBJ2-KR1"}, owners={"OBJ2-KR1": "someone-else"})
    assert c.read_homes([home], other)[home].manual is None
    c.close()


def checkin(week: str, next_week: str, progress: float) -> CheckIn:
    return CheckIn(kr_id="OBJ2-KR1", week=week, progress=progress, previous_progress=0.2, done_this_week=(
        ItemRef("T1", "Digitise forms"),), findings=(), blocked=(), overdue=(), plans=(("Ana", (ItemRef(
            "T2", "Train clerks"),)),), execution=WeekExecution(week, 2, 1, 0.5, 0), next_week=next_week,
        status=KrStatusValue.ON_TRACK, expected=0.4, forecast=None, generated_at=datetime(2026, 11, 27, tzinfo=UTC))


def test_the_latest_check_in_replaces_last_weeks_and_is_written_once(world: Any) -> None:
    sb, control, people = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    c = connector(sb, write={"percent_complete": False, "status_category": False})
    for week, next_week in (("2026-W48", "2026-W49"), ("2026-W49", "2026-W50")):
        want = [replace(desired(home, "OBJ2-KR1", 0.3), checkin=checkin(week, next_week, 0.3))]
        writes = c.plan_writes(want, c.read_homes([home], PullSpec()))
        assert [w.target for w in writes][-1] == f"check-in {week}"
        assert all(r.ok for r in c.apply(writes))
        control.reset_requests()
        assert c.plan_writes(want, c.read_homes([home], PullSpec())) == []
        assert PATCH_DETAILS not in routes(control)
    text = people.description(home.key)
    assert text.startswith(HOME_TEXT.rstrip()) and text.count("[okr-sync:checkin:") == 1
    assert "[okr-sync:checkin:OBJ2-KR1:2026-W49]" in text and f"[{status_marker('OBJ2-KR1')}]" in text
    c.close()


def test_acknowledgements_are_checked_okr_ack_checklist_items(world: Any) -> None:
    sb, control, people = world
    home = HomeItem("planner", task_id(sb, "KR OBJ2-KR1 home"))
    people.add_checklist_item(home.key, "okr-ack: overdue_items", checked=True)
    c = connector(sb)
    control.reset_requests()
    (sign,) = c.read_homes([home], PullSpec())[home].acks
    assert routes(control) == {TASK: 1, DETAILS: 1, PLAN_DETAILS: 1}  # no extra request
    assert (sign.rule, sign.by, sign.source) == ("overdue_items", sb.info["planner"]["client_id"],
                                                 "checklist:5f0e4c1a-0000-4000-8000-000000000099")
    assert sign.at.tzinfo is not None
    c.close()
