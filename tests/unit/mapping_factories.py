"""Small builders for mapping unit tests (imported by the tests in this directory)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from okr_sync.mapping import (
    CompletionMeasure,
    Cycle,
    KeyResult,
    KrKind,
    Measure,
    StatusCategory,
    WorkItem,
)

Q4 = Cycle("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))  # 92 days
START = datetime(2026, 10, 1, tzinfo=UTC)

TODO = StatusCategory.TODO
DOING = StatusCategory.IN_PROGRESS
DONE = StatusCategory.DONE
CANCELLED = StatusCategory.CANCELLED


def day(n: float) -> datetime:
    """``n`` days after the start of Q4 2026 (UTC)."""
    return START + timedelta(days=n)


def at(y: int, m: int, d: int, h: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(y, m, d, h, tzinfo=UTC)


def item(key: str, status: StatusCategory = TODO, **kw: object) -> WorkItem:
    """A Jira work item linked to KR1 unless ``kr_ids`` is given."""
    kw.setdefault("kr_ids", ("KR1",))
    return WorkItem("jira", key, kw.pop("title", f"Item {key}"), status, **kw)  # type: ignore[arg-type]


def kr(measure: Measure | None = None, **kw: object) -> KeyResult:
    """A value KR ``KR1`` of objective ``O1`` with an owner and a department unless overridden."""
    fields: dict[str, object] = {
        "id": "KR1", "title": "Key result", "objective_ids": ("O1",), "owner": "ana",
        "department": "Attorney", "kind": KrKind.VALUE, "measure": measure or CompletionMeasure(),
    }
    fields.update(kw)
    return KeyResult(**fields)  # type: ignore[arg-type]
