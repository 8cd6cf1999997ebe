"""Domain inputs of the OKR core: work items, cycles, objectives, key results and thresholds.

Everything here is plain data (frozen, slotted dataclasses) so that the sync engine can build it from
the state store and the mapping functions can recompute thousands of KRs quickly. Validation that
would otherwise surface as a wrong number later (a metric whose target equals its baseline, a partial
credit outside 0..1) happens at construction and raises ``ValueError`` naming the field and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal


class StatusCategory(StrEnum):
    """Tracker-neutral status of a work item."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class KrStatusValue(StrEnum):
    """Status of a KR or objective, derived from pace (see ``mapping.pace``)."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DONE = "done"


class KrKind(StrEnum):
    """Family of a key result: outcome (value, quality) or a flagged deliverable."""

    VALUE = "value"
    QUALITY = "quality"
    DELIVERABLE = "deliverable"


class ScoreBand(StrEnum):
    """Traffic-light score of a KR's progress (0.7 is success for challenging KRs)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One piece of work in a tracker, already translated by its connector.

    Times are aware UTC. Items are hashable (``numbers`` takes part in equality but not in the hash).
    """

    tracker: str
    key: str
    title: str
    status: StatusCategory
    kr_ids: tuple[str, ...] = ()
    blocked: bool = False
    assignee: str | None = None
    due: date | None = None
    planned_week: str | None = None
    points: float | None = None
    estimate: float | None = None
    numbers: Mapping[str, float] = field(default_factory=dict, hash=False)  # compared, not hashed
    updated: datetime | None = None
    completed: datetime | None = None
    url: str | None = None

    @property
    def last_change(self) -> datetime | None:
        """Latest of ``updated`` and ``completed`` (None when neither is known)."""
        if self.updated is None:
            return self.completed
        if self.completed is None or self.completed <= self.updated:
            return self.updated
        return self.completed


@dataclass(frozen=True, slots=True)
class Cycle:
    """An OKR cycle (quarter or year); ``end`` is inclusive."""

    id: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"cycle {self.id!r}: end {self.end} is before start {self.start}; swap or fix the dates"
            )


@dataclass(frozen=True, slots=True)
class ManualValue:
    """A value entered by a KR owner in the tracker (time is aware UTC)."""

    value: float
    author: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ProgressPoint:
    """One past progress figure of a KR, used for the forecast."""

    at: datetime
    progress: float


@dataclass(frozen=True, slots=True)
class CompletionMeasure:
    """Progress = done share of linked work, weighted by count, story points or estimate."""

    weight: Literal["count", "points", "estimate"] = "count"
    partial_credit: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.partial_credit <= 1.0:
            raise ValueError(
                f"completion measure: partial_credit {self.partial_credit} must lie in 0..1 "
                "(0.5 gives in-progress items half credit)"
            )


@dataclass(frozen=True, slots=True)
class MetricMeasure:
    """Progress = (current - baseline) / (target - baseline), for increasing or decreasing targets."""

    baseline: float
    target: float
    stretch: float | None = None
    unit: str | None = None
    source: Literal["manual", "sum", "max", "last", "count"] = "manual"
    field: str | None = None
    count_status: StatusCategory | None = None
    items: Literal["done", "any"] = "done"
    """Which linked items a field source reads: done ones only, or any not cancelled."""

    def __post_init__(self) -> None:
        if self.target == self.baseline:
            raise ValueError(
                f"metric measure: target equals baseline ({self.target}); set a target that differs"
            )
        if self.stretch is not None and (self.stretch - self.target) * (self.target - self.baseline) <= 0:
            raise ValueError(
                f"metric measure: stretch {self.stretch} must lie beyond target {self.target} "
                f"as seen from baseline {self.baseline}"
            )
        if self.source in ("sum", "max", "last") and not self.field:
            raise ValueError(
                f"metric measure: source {self.source!r} needs `field` naming the numeric field to read"
            )


Measure = CompletionMeasure | MetricMeasure


@dataclass(frozen=True, slots=True)
class HomeItem:
    """The tracker item where a KR's or objective's status is written."""

    tracker: str
    key: str


@dataclass(frozen=True, slots=True)
class Objective:
    """The change wanted and why it matters; may align to several parent objectives."""

    id: str
    title: str
    why: str | None
    owner: str | None
    cycle: str
    departments: tuple[str, ...] = ()
    weight: float = 1.0
    parents: tuple[str, ...] = ()
    home: HomeItem | None = None


@dataclass(frozen=True, slots=True)
class KeyResult:
    """A measurable outcome serving one or more objectives."""

    id: str
    title: str
    objective_ids: tuple[str, ...]
    owner: str | None
    department: str | None
    kind: KrKind
    measure: Measure
    weight: float = 1.0
    milestones: tuple[tuple[date, float], ...] = ()
    home: HomeItem | None = None
    confidence: int | None = None
    owners: tuple[str, ...] = ()
    """Every owner, ``owner`` first (co-owned KRs name several; empty means just ``owner``)."""
    departments: tuple[str, ...] = ()
    """Every owner's department (a cross-agency KR counts each), ``department`` first."""

    @property
    def all_owners(self) -> tuple[str, ...]:
        """``owners``, or ``(owner,)`` for a KR built without them."""
        return self.owners or ((self.owner,) if self.owner else ())


def require_aware(now: datetime, function: str, subject: str) -> datetime:
    """``now`` converted to UTC; a naive datetime is refused because its zone is unknown."""
    if now.tzinfo is UTC:
        return now
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(
            f"{function}({subject!r}): now={now.isoformat()} has no time zone; pass an aware datetime, "
            "e.g. datetime.now(UTC)"
        )
    return now.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every tunable number of the method in one place (defaults follow DESIGN.md)."""

    red_below: float = 0.4
    green_from: float = 0.7
    on_track_gap: float = 0.10
    at_risk_gap: float = 0.25
    not_started_days: int = 7
    stale_days: int = 14
    low_execution_rate: float = 0.6
    low_execution_weeks: int = 2
    max_krs: int = 5
    forecast_floor: float = 0.7
    forecast_min_days: float = 1.0
    """A trend needs history spanning at least this many days; seconds apart it is noise."""
    recent_weeks: int = 4
