"""Lossless translation between mapping's ``WorkItem`` and a ``work_items`` row, and its fingerprint.

The fingerprint is a hash of every field of the item in a canonical form; the store compares it with
the stored one to tell which pulled items really changed (and so which KRs need recomputing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from okr_sync.mapping import StatusCategory, WorkItem

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_decode = json.JSONDecoder().decode


def _utc(value: datetime | None, *, item: WorkItem, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"state store: work item {item.tracker}:{item.key} has a naive {field} "
            f"({value.isoformat()}); connectors must produce aware UTC datetimes"
        )
    return value.astimezone(UTC)


def fingerprint(item: WorkItem) -> str:
    """Content hash of every field of ``item`` (32 hex characters; times compared as UTC instants)."""
    canonical = (
        item.tracker, item.key, item.title, str(item.status), tuple(item.kr_ids), bool(item.blocked),
        item.assignee, item.due, item.planned_week, item.points, item.estimate,
        tuple(sorted((str(k), float(v)) for k, v in item.numbers.items())),
        _utc(item.updated, item=item, field="updated"), _utc(item.completed, item=item, field="completed"),
        item.url,
    )
    return hashlib.blake2b(repr(canonical).encode(), digest_size=16).hexdigest()


def _numbers_json(numbers: Mapping[str, float]) -> str:
    if not numbers:
        return "{}"
    return _encode({str(k): float(v) for k, v in sorted(numbers.items())})


def item_row(item: WorkItem, digest: str) -> dict[str, Any]:
    """The ``work_items`` row for ``item`` with its precomputed fingerprint."""
    return {
        "tracker": item.tracker,
        "key": item.key,
        "fingerprint": digest,
        "title": item.title,
        "status": str(item.status),
        "kr_ids": _encode(list(item.kr_ids)),
        "blocked": bool(item.blocked),
        "assignee": item.assignee,
        "due": item.due,
        "planned_week": item.planned_week,
        "points": item.points,
        "estimate": item.estimate,
        "numbers": _numbers_json(item.numbers),
        "updated": _utc(item.updated, item=item, field="updated"),
        "completed": _utc(item.completed, item=item, field="completed"),
        "url": item.url,
    }


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def item_from_row(row: Any) -> WorkItem:
    """Rebuild the ``WorkItem`` stored in ``row`` (tuples as tuples, times aware UTC)."""
    return WorkItem(
        tracker=row["tracker"],
        key=row["key"],
        title=row["title"],
        status=StatusCategory(row["status"]),
        kr_ids=tuple(_decode(row["kr_ids"])),
        blocked=bool(row["blocked"]),
        assignee=row["assignee"],
        due=_as_date(row["due"]),
        planned_week=row["planned_week"],
        points=row["points"],
        estimate=row["estimate"],
        numbers={} if row["numbers"] == "{}" else _decode(row["numbers"]),
        updated=row["updated"],
        completed=row["completed"],
        url=row["url"],
    )
