"""Work items for store tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from okr_sync.mapping import StatusCategory, WorkItem

T0 = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def item(key: str, *kr_ids: str, tracker: str = "jira", **fields: Any) -> WorkItem:
    """A todo item linked to ``kr_ids``; override any field by keyword."""
    values: dict[str, Any] = {"title": f"work {key}", "status": StatusCategory.TODO, "updated": T0}
    values.update(fields)
    return WorkItem(tracker=tracker, key=key, kr_ids=tuple(kr_ids), **values)


def rich_item() -> WorkItem:
    """An item with every field set, including a non-UTC offset and unicode."""
    return WorkItem(
        tracker="gitlab",
        key="transparency/portal#12",
        title="Publish «permits» dataset — phase 2",
        status=StatusCategory.IN_PROGRESS,
        kr_ids=("OBJ1-KR2", "OBJ2-KR1", "OBJ1-KR2"),
        blocked=True,
        assignee="Ana Souza",
        due=date(2026, 3, 31),
        planned_week="2026-W10",
        points=5.0,
        estimate=12.5,
        numbers={"cases_closed": 42.0, "days_saved": 0.1 + 0.2},
        updated=datetime(2026, 3, 2, 14, 0, 0, 7, tzinfo=timezone(timedelta(hours=-3))),
        completed=datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
        url="https://gitlab.example.gov/transparency/portal/-/issues/12",
    )


def many(count: int, *, tracker: str = "jira", version: int = 1, krs: int = 50) -> list[WorkItem]:
    """``count`` items spread over ``krs`` KRs, titled with ``version``."""
    return [WorkItem(tracker=tracker, key=f"P-{n}", title=f"v{version} item {n}", status=StatusCategory.DONE
                     if n % 3 == 0 else StatusCategory.TODO, kr_ids=(f"KR{n % krs}",), points=float(n % 8),
                     numbers={"n": float(n)}, updated=T0 + timedelta(seconds=n))
            for n in range(count)]
