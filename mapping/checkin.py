"""Compose the weekly 3P check-in of a KR: Progress, Problems, Plans, plus planned vs executed.

A check-in is read in the weekly meeting in about 30 seconds, so composing it also *chooses*:
:func:`checkin_problems` keeps at most :data:`MAX_PROBLEMS` problems, most severe first, names each
item once and gives each piece of advice once; :func:`checkin_plans` lists next week's items by
person with the carry-overs of the reviewed week, leaving out items already named as problems. The
full detail (every finding, every item) stays in the report.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from okr_sync.mapping.execution import is_planned_for, planned_vs_executed, weeks_execution
from okr_sync.mapping.model import KeyResult, StatusCategory, WorkItem, require_aware
from okr_sync.mapping.results import CheckIn, Finding, ItemRef, KrStatus, Severity
from okr_sync.mapping.weeks import iso_week, next_week, previous_week, week_bounds, week_end_utc, week_start_utc

UNASSIGNED = "unassigned"
MAX_PROBLEMS = 3
"""Problems a check-in shows; the rest are counted and left to the report."""
RECENT_WEEKS = 3
"""Completed weeks of planned vs executed a check-in shows."""
_OPEN = (StatusCategory.TODO, StatusCategory.IN_PROGRESS)
_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
_RULE_RANK = {"blocked_items": 0, "overdue_items": 1, "behind_pace": 2}
ITEM_RULES = ("blocked_items", "overdue_items")
"""Findings about named items: the check-in lists the items themselves (by title) instead of the reason."""


def item_ref(item: WorkItem) -> ItemRef:
    """The short form of a work item used in check-in lines."""
    return ItemRef(item.key, item.title, item.assignee, item.url)


def _refs(items: Sequence[WorkItem]) -> tuple[ItemRef, ...]:
    return tuple(item_ref(item) for item in sorted(items, key=lambda item: item.key))


def _recent_weeks(week: str, now: datetime) -> tuple[tuple[str, ...], str | None]:
    """The completed weeks up to ``week`` (at most :data:`RECENT_WEEKS`) and the running week, if later."""
    weeks = [week]
    while len(weeks) < RECENT_WEEKS:
        weeks.insert(0, previous_week(weeks[0]))
    completed = tuple(w for w in weeks if week_end_utc(w) <= now)
    running = iso_week(now.date())
    shown_running = running if running not in completed and week_start_utc(running) <= now else None
    return completed, shown_running


def compose_checkin(
    kr: KeyResult,
    kr_status: KrStatus,
    items: Sequence[WorkItem],
    week: str,
    *,
    now: datetime,
    previous_progress: float | None,
    confidence: int | None = None,
    note: str | None = None,
) -> CheckIn:
    """Check-in of ``kr`` for ``week`` as seen at ``now``.

    Progress: progress now vs ``previous_progress`` (a week ago) and items completed in the week.
    Problems: the KR's findings, blocked open items, open items past due at ``now``.
    Plans: open items due in or tagged for the following week, grouped by assignee (sorted, with
    ``unassigned`` last), and the carry-overs: open items planned for ``week`` that are not done.
    ``confidence`` and ``note`` are the owner's own words (the configured confidence when not given).
    """
    now = require_aware(now, "compose_checkin", kr.id)
    if kr_status.kr_id != kr.id:
        raise ValueError(
            f"check-in: status belongs to KR {kr_status.kr_id!r}, not {kr.id!r}; pass the KR's own status"
        )
    start, end = week_start_utc(week), week_end_utc(week)
    done = [
        item for item in items
        if item.status is StatusCategory.DONE and item.completed is not None and start <= item.completed < end
    ]
    open_items = [item for item in items if item.status in _OPEN]
    today = now.date()
    upcoming = next_week(week)
    monday, sunday = week_bounds(upcoming)
    this_monday, this_sunday = week_bounds(week)
    by_assignee: dict[str, list[WorkItem]] = {}
    carried: list[WorkItem] = []
    for item in open_items:
        if is_planned_for(item, upcoming, monday, sunday):
            by_assignee.setdefault(item.assignee or UNASSIGNED, []).append(item)
        elif is_planned_for(item, week, this_monday, this_sunday):
            carried.append(item)
    order = sorted(by_assignee, key=lambda name: (name == UNASSIGNED, name.casefold(), name))
    completed, running = _recent_weeks(week, now)
    return CheckIn(
        kr_id=kr.id,
        week=week,
        progress=kr_status.progress,
        previous_progress=previous_progress,
        done_this_week=_refs(done),
        findings=kr_status.findings,
        blocked=_refs([item for item in open_items if item.blocked]),
        overdue=_refs([item for item in open_items if item.due is not None and item.due < today]),
        plans=tuple((name, _refs(by_assignee[name])) for name in order),
        execution=planned_vs_executed(items, week),
        next_week=upcoming,
        status=kr_status.status,
        expected=kr_status.expected,
        forecast=kr_status.forecast,
        generated_at=now,
        carried_over=_refs(carried),
        recent_weeks=weeks_execution(items, completed) if completed else (),
        running_week=running,
        confidence=kr.confidence if confidence is None else confidence,
        note=note,
        forecast_reconstructed=kr_status.forecast_reconstructed,
    )


@dataclass(frozen=True, slots=True)
class Problem:
    """One entry of a check-in's Problems: a finding, the items it names (each once) and its advice.

    ``items`` is empty for findings that are not about items; ``advice`` is empty when an earlier
    problem of the same check-in already gave the same advice.
    """

    finding: Finding
    items: tuple[ItemRef, ...]
    advice: str


def _rank(finding: Finding) -> tuple[int, int]:
    return _SEVERITY_RANK.get(finding.severity, 3), _RULE_RANK.get(finding.rule, 9)


def checkin_problems(checkin: CheckIn, advised: Collection[str] = ()) -> tuple[tuple[Problem, ...], int]:
    """The problems a check-in shows (at most :data:`MAX_PROBLEMS`, most severe first) and how many more
    there are. A blocked item that is also overdue is named once, as blocked; advice is given once, and
    not at all when it is in ``advised`` (already given above, e.g. in an owner's digest of several KRs)."""
    refs = {"blocked_items": checkin.blocked, "overdue_items": checkin.overdue}
    named: set[str] = set()
    advised = set(advised)
    problems: list[Problem] = []
    for finding in sorted(checkin.findings, key=_rank):
        items: tuple[ItemRef, ...] = ()
        if finding.rule in ITEM_RULES:
            items = tuple(ref for ref in refs[finding.rule] if ref.key not in named)
            if not items:
                continue
            named.update(ref.key for ref in items)
        advice = "" if finding.action in advised else finding.action
        advised.add(finding.action)
        problems.append(Problem(finding, items, advice))
    return tuple(problems[:MAX_PROBLEMS]), max(0, len(problems) - MAX_PROBLEMS)


def named_in_problems(checkin: CheckIn) -> set[str]:
    """Keys of the items the shown problems name (a plan does not repeat them)."""
    shown, _ = checkin_problems(checkin)
    return {ref.key for problem in shown for ref in problem.items}


def checkin_plans(checkin: CheckIn) -> tuple[tuple[str, tuple[tuple[ItemRef, bool], ...]], ...]:
    """Next week's plans by person: (name, ((item, carried over?), …)), without items named as problems.

    Carry-overs join their assignee's list after the items planned for next week; people keep the
    order of ``checkin.plans`` (sorted, ``unassigned`` last)."""
    skip = named_in_problems(checkin)
    people: dict[str, list[tuple[ItemRef, bool]]] = {}
    for name, refs in checkin.plans:
        people.setdefault(name, []).extend((ref, False) for ref in refs if ref.key not in skip)
    for ref in checkin.carried_over:
        if ref.key not in skip:
            people.setdefault(ref.assignee or UNASSIGNED, []).append((ref, True))
    order = sorted(people, key=lambda name: (name == UNASSIGNED, name.casefold(), name))
    return tuple((name, tuple(people[name])) for name in order if people[name])
