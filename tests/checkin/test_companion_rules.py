"""Every companion rule: one case that triggers it and a near miss that does not (issue 10, acceptance 3).

Hand-computed on cycle 2026-Q4 (92 days) at Monday 2026-11-16 00:00 UTC, day 46 (ISO week 2026-W47; next
week 2026-W48 = Nov 23–29). The baseline KR — one item done on Nov 14, one in progress due Nov 25 — is
exactly on pace (0.5 of an expected 0.5) and triggers nothing; each case changes one fact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from okr_sync.mapping import (
    RULES,
    CompletionMeasure,
    Cycle,
    KeyResult,
    KrKind,
    ManualValue,
    MetricMeasure,
    Objective,
    ProgressPoint,
    StatusCategory,
    WorkItem,
    kr_status,
    objective_findings,
    unknown_kr_findings,
)

Q4 = Cycle("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
NOW = datetime(2026, 11, 16, tzinfo=UTC)
START = ProgressPoint(datetime(2026, 10, 1, tzinfo=UTC), 0.0)
DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def work(key: str, status: StatusCategory, **kw: object) -> WorkItem:
    kw.setdefault("kr_ids", ("KR1",))
    return WorkItem("jira", key, f"Item {key}", status, **kw)  # type: ignore[arg-type]


def a_kr(**kw: object) -> KeyResult:
    fields: dict[str, object] = {"id": "KR1", "title": "Settle faster", "objective_ids": ("O1",), "owner": "ana",
                                 "department": "Attorney", "kind": KrKind.VALUE, "measure": CompletionMeasure()}
    fields.update(kw)
    return KeyResult(**fields)  # type: ignore[arg-type]


def baseline_items(**changes: object) -> list[WorkItem]:
    first = work("A", DONE, completed=on(11, 14), due=date(2026, 11, 13), updated=on(11, 14))
    second = work("B", DOING, due=date(2026, 11, 25), updated=on(11, 15), assignee="bob")
    return [first, replace(second, **changes)]  # type: ignore[arg-type]


def kr_rules(kr: KeyResult | None = None, items: list[WorkItem] | None = None, *, manual: ManualValue | None = None,
             now: datetime = NOW) -> set[str]:
    status = kr_status(kr or a_kr(), Q4, baseline_items() if items is None else items, now=now, manual=manual,
                       history=(START,))
    return {f.rule for f in status.findings}


MANUAL = MetricMeasure(0, 100)
COUNT = MetricMeasure(0, 4, source="count")


def execution(second_week_done: bool) -> list[WorkItem]:
    """W45: 1 of 2 planned done; W46: 1 of 2, or 2 of 2; next week planned."""
    w45 = [work("P1", DONE, due=date(2026, 11, 6), completed=on(11, 5), updated=on(11, 15)),
           work("P2", TODO, due=date(2026, 11, 6), planned_week="2026-W48", updated=on(11, 15))]
    w46 = [work("Q1", DONE, due=date(2026, 11, 13), completed=on(11, 12), updated=on(11, 15)),
           work("Q2", DONE if second_week_done else TODO, due=date(2026, 11, 13), planned_week=None
                if second_week_done else "2026-W48", completed=on(11, 12) if second_week_done else None,
                updated=on(11, 15))]
    return w45 + w46 + [work("R", DOING, due=date(2026, 11, 25), updated=on(11, 15))]


def objective(**kw: object) -> Objective:
    fields: dict[str, object] = {"id": "O1", "title": "Faster settlements", "why": "Citizens wait less",
                                 "owner": "maria", "cycle": "2026-Q4"}
    fields.update(kw)
    return Objective(**fields)  # type: ignore[arg-type]


def krs_of_o1(count: int) -> list[KeyResult]:
    return [a_kr(id=f"KR{n}") for n in range(1, count + 1)]


Check = Callable[[], set[str]]
# rule → (a case that triggers it, a near miss that does not)
CASES: dict[str, tuple[Check, Check]] = {
    "behind_pace": (lambda: kr_rules(a_kr(measure=MANUAL), manual=ManualValue(30, "ana", on(11, 15))),  # gap .20
                    lambda: kr_rules(a_kr(measure=MANUAL), manual=ManualValue(41, "ana", on(11, 15)))),  # gap .09
    "not_started": (lambda: kr_rules(items=[]),  # no work 46 days in
                    lambda: kr_rules(items=[], now=datetime(2026, 10, 7, tzinfo=UTC))),  # 6 days: within grace
    "forecast_below_floor": (  # the line from 0 on Oct 1 through today: 0.30 → 0.60 at the end; 0.40 → 0.80
        lambda: kr_rules(a_kr(measure=MANUAL), manual=ManualValue(30, "ana", on(11, 15))),
        lambda: kr_rules(a_kr(measure=MANUAL), manual=ManualValue(40, "ana", on(11, 15)))),
    "no_plan_next_week": (lambda: kr_rules(items=baseline_items(due=date(2026, 12, 10))),
                          lambda: kr_rules(items=baseline_items(due=date(2026, 11, 29)))),  # Sunday of W48
    "blocked_items": (lambda: kr_rules(items=baseline_items(blocked=True)),
                      lambda: kr_rules(items=[replace(baseline_items()[0], blocked=True), baseline_items()[1]])),
    "overdue_items": (lambda: kr_rules(items=baseline_items(due=date(2026, 11, 15), planned_week="2026-W48")),
                      lambda: kr_rules(items=baseline_items(due=date(2026, 11, 16), planned_week="2026-W48"))),
    "stale_kr": (  # last change 15 days ago vs exactly 14
        lambda: kr_rules(items=[work("A", DONE, completed=on(10, 31), updated=on(10, 31)),
                                work("B", DOING, due=date(2026, 11, 25), updated=datetime(2026, 11, 1, tzinfo=UTC)
                                     - timedelta(minutes=1))]),
        lambda: kr_rules(items=[work("A", DONE, completed=on(10, 31), updated=on(10, 31)),
                                work("B", DOING, due=date(2026, 11, 25), updated=datetime(2026, 11, 2, tzinfo=UTC))])),
    "low_execution": (lambda: kr_rules(items=execution(second_week_done=False)),
                      lambda: kr_rules(items=execution(second_week_done=True))),
    "deliverable_kr": (lambda: kr_rules(a_kr(kind=KrKind.DELIVERABLE)), lambda: kr_rules(a_kr(kind=KrKind.QUALITY))),
    "kr_without_owner": (lambda: kr_rules(a_kr(owner="  ")), lambda: kr_rules(a_kr(owner="ana"))),
    "manual_superseded": (  # linked items changed on Nov 15: a manual value from Nov 1 is older, Nov 15 10:00 newer
        lambda: kr_rules(a_kr(measure=COUNT), manual=ManualValue(3, "ana", on(11, 1))),
        lambda: kr_rules(a_kr(measure=COUNT), manual=ManualValue(3, "ana", on(11, 15) + timedelta(hours=1)))),
    "objective_without_why": (
        lambda: {f.rule for f in objective_findings(objective(why="  "), None, krs_of_o1(1))},
        lambda: {f.rule for f in objective_findings(objective(), None, krs_of_o1(1))}),
    "objective_without_owner": (
        lambda: {f.rule for f in objective_findings(objective(owner=None), None, krs_of_o1(1))},
        lambda: {f.rule for f in objective_findings(objective(), None, krs_of_o1(1))}),
    "too_many_krs": (lambda: {f.rule for f in objective_findings(objective(), None, krs_of_o1(6))},
                     lambda: {f.rule for f in objective_findings(objective(), None, krs_of_o1(5))}),
    "unknown_kr": (lambda: {f.rule for f in unknown_kr_findings([work("X", TODO, kr_ids=("OBJ9-KR1",))], {"KR1"})},
                   lambda: {f.rule for f in unknown_kr_findings([work("X", TODO, kr_ids=("KR1",))], {"KR1"})}),
}


def test_every_rule_has_a_trigger_and_a_near_miss() -> None:
    assert set(CASES) == set(RULES)


def test_the_baseline_kr_triggers_nothing() -> None:
    assert kr_rules() == set()


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_triggers(rule: str) -> None:
    assert rule in CASES[rule][0]()


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_near_miss_does_not_trigger(rule: str) -> None:
    assert rule not in CASES[rule][1]()
