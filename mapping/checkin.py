"""Compose the weekly 3P check-in of a KR: Progress, Problems, Plans, plus planned vs executed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from okr_sync.mapping.execution import is_planned_for, planned_vs_executed
from okr_sync.mapping.model import KeyResult, StatusCategory, WorkItem, require_aware
from okr_sync.mapping.results import CheckIn, ItemRef, KrStatus
from okr_sync.mapping.weeks import next_week, week_bounds, week_end_utc, week_start_utc

UNASSIGNED = "unassigned"
_OPEN = (StatusCategory.TODO, StatusCategory.IN_PROGRESS)


def item_ref(item: WorkItem) -> ItemRef:
    """The short form of a work item used in check-in lines."""
    return ItemRef(item.key, item.title, item.assignee, item.url)


def _refs(items: Sequence[WorkItem]) -> tuple[ItemRef, ...]:
    return tuple(item_ref(item) for item in sorted(items, key=lambda item: item.key))


def compose_checkin(
    kr: KeyResult,
    kr_status: KrStatus,
    items: Sequence[WorkItem],
    week: str,
    *,
    now: datetime,
    previous_progress: float | None,
) -> CheckIn:
    """Check-in of ``kr`` for ``week`` as seen at ``now``.

    Progress: progress now vs ``previous_progress`` (a week ago) and items completed in the week.
    Problems: the KR's findings, blocked open items, open items past due at ``now``.
    Plans: open items due in or tagged for the following week, grouped by assignee (sorted, with
    ``unassigned`` last).
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
    by_assignee: dict[str, list[WorkItem]] = {}
    for item in open_items:
        if is_planned_for(item, upcoming, monday, sunday):
            by_assignee.setdefault(item.assignee or UNASSIGNED, []).append(item)
    order = sorted(by_assignee, key=lambda name: (name == UNASSIGNED, name.casefold(), name))
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
    )
