"""Outputs of the OKR core: statuses, findings, weekly execution and the 3P check-in.

All fractions (progress, expected, gap, forecast, rate) are fractions such as 0.42, never percentages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from okr_sync.mapping.model import KrStatusValue, ScoreBand


class Severity(StrEnum):
    """How urgently a finding needs attention."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a KR's number came from: the rule, the items (keys) or the manual value by whom and when."""

    rule: str
    item_keys: tuple[str, ...] = ()
    manual_author: str | None = None
    manual_at: datetime | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_manual(self) -> bool:
        """True when the figure is the owner's manual value."""
        return self.manual_author is not None

    def describe(self) -> str:
        """One human sentence, e.g. ``manual value by ana.costa at 2026-11-20 10:00 UTC``."""
        if self.manual_author is not None and self.manual_at is not None:
            text = f"{self.rule}: manual value by {self.manual_author} at {self.manual_at:%Y-%m-%d %H:%M} UTC"
        else:
            text = f"{self.rule} over {len(self.item_keys)} item(s)"
        return "; ".join((text, *self.notes))


@dataclass(frozen=True, slots=True)
class Finding:
    """An explainable companion observation: rule, subject, reason with numbers, suggested action.

    ``facts`` holds the discrete facts that triggered the rule (item keys, a week, a status); the
    ``fingerprint`` hashes rule, subject and facts, so an acknowledgement stays valid until they change
    while small numeric drift (a gap moving from 0.18 to 0.19) does not reopen it.
    """

    rule: str
    severity: Severity
    subject: str
    reason: str
    action: str
    facts: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Stable 16-hex-digit identity of this finding's triggering facts."""
        raw = "\x1f".join((self.rule, self.subject, *self.facts))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class WeekExecution:
    """Planned vs executed work of one ISO week; ``rate`` is None when nothing was planned."""

    week: str
    planned: int
    executed: int
    rate: float | None
    unplanned: int
    planned_keys: tuple[str, ...] = ()
    executed_keys: tuple[str, ...] = ()
    unplanned_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KrStatus:
    """Everything the product says about one KR at one moment."""

    kr_id: str
    progress: float
    current: float | None
    band: ScoreBand
    status: KrStatusValue
    expected: float
    gap: float
    forecast: float | None
    provenance: Provenance
    findings: tuple[Finding, ...] = ()
    planned_vs_executed: tuple[WeekExecution, ...] = ()
    unit: str | None = None
    forecast_reconstructed: bool = False
    """The forecast fits progress reconstructed from item dates (``mapping.history``), not only recorded syncs."""


@dataclass(frozen=True, slots=True)
class ObjectiveStatus:
    """Roll-up of an objective from its KRs."""

    objective_id: str
    progress: float
    status: KrStatusValue
    expected: float
    departments: tuple[str, ...]
    cross_sector: bool
    kr_ids: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    band: ScoreBand = ScoreBand.RED
    gap: float = 0.0


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A work item as it appears in a check-in line."""

    key: str
    title: str
    assignee: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """The weekly 3P check-in of one KR: Progress, Problems, Plans, plus planned vs executed."""

    kr_id: str
    week: str
    progress: float
    previous_progress: float | None
    done_this_week: tuple[ItemRef, ...]
    findings: tuple[Finding, ...]
    blocked: tuple[ItemRef, ...]
    overdue: tuple[ItemRef, ...]
    plans: tuple[tuple[str, tuple[ItemRef, ...]], ...]
    execution: WeekExecution
    next_week: str
    status: KrStatusValue
    expected: float
    forecast: float | None
    generated_at: datetime
    carried_over: tuple[ItemRef, ...] = ()
    """Open items planned for ``week`` and not done: they carry over into next week's plans."""
    recent_weeks: tuple[WeekExecution, ...] = ()
    """Planned vs executed of the completed weeks up to ``week`` (oldest first, at most three)."""
    running_week: str | None = None
    """The week under way at ``generated_at`` when it is not among ``recent_weeks``."""
    confidence: int | None = None
    """The owner's confidence (0–10) that the KR will be reached, when they gave one."""
    note: str | None = None
    """The owner's one-line note or request for help, when they wrote one."""
    forecast_reconstructed: bool = False
    """The forecast leans on progress reconstructed from item dates (see ``KrStatus``)."""

    @property
    def delta(self) -> float | None:
        """Progress change since a week ago (None when unknown)."""
        if self.previous_progress is None:
            return None
        return self.progress - self.previous_progress


MarkerKind = Literal["status", "checkin"]
