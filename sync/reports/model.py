"""What one report shows, gathered from the domain, the state store and one :class:`Computed`.

Burn-up charts show three things per KR and objective: the expected pace (linear, or the KR's milestones),
the actual progress, and the forecast at cycle end. Actual progress is the recorded history (one point per
sync that changed it) plus a weekly line *reconstructed* from today's items (``mapping.history``), so a new
installation shows its past weeks too; where nothing is known the line has a gap, never a zero.

People show by name (the people directory) and every KR, objective and item carries its tracker URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from okr_sync.config.plugins import installed
from okr_sync.engine.acks import acknowledged_fingerprints, suppressed_count, without_acknowledged
from okr_sync.mapping import (
    Cycle,
    Finding,
    HomeItem,
    KeyResult,
    KrStatus,
    ObjectiveStatus,
    WeekExecution,
    WorkItem,
    cycle_end_utc,
    cycle_start_utc,
    elapsed_share,
    expected_progress,
    iso_week,
    weeks_execution,
)
from okr_sync.mapping.history import Sample, reconstructed_progress, sample_moments

Point = tuple[datetime, float]


@dataclass(frozen=True)
class Burnup:
    """One chart: expected pace, reconstructed weekly progress (None = unknown), recorded history, forecast."""

    subject: str
    start: datetime
    end: datetime
    now: datetime
    expected: tuple[Point, ...]
    weekly: tuple[Sample, ...]
    recorded: tuple[Point, ...]
    current: float
    forecast: float | None
    forecast_reconstructed: bool = False


@dataclass(frozen=True)
class KrEntry:
    """A KR as the report shows it: status, owner's name, agency, home link, linked items, chart."""

    kr: KeyResult
    status: KrStatus
    burnup: Burnup
    owner_name: str = "no owner"
    home_url: str | None = None
    items: tuple[WorkItem, ...] = ()
    objective_id: str = ""
    confidence: int | None = None
    """The owner's confidence (0–10): what they last said in the tracker, else the configured value."""
    note: str | None = None
    """The owner's one-line note or request for help, when they wrote one."""

    @property
    def agency(self) -> str:
        """The KR's department or agency (``no department`` when none is known)."""
        return self.kr.department or "no department"


@dataclass(frozen=True)
class ObjectiveEntry:
    """An objective with its KRs."""

    id: str
    title: str
    why: str
    owner: str | None
    status: ObjectiveStatus
    key_results: tuple[KrEntry, ...]
    burnup: Burnup
    owner_name: str = "no owner"
    home_url: str | None = None


@dataclass(frozen=True)
class Report:
    """Everything one report shows."""

    at: datetime
    objectives: tuple[ObjectiveEntry, ...]
    weeks: tuple[str, ...]
    execution: dict[str, tuple[WeekExecution, ...]]
    """KR owner's name → planned vs executed per week of ``weeks`` (their KRs' items, each item once)."""
    findings: tuple[Finding, ...]
    acknowledged_hidden: int = 0
    unknown_krs: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def key_results(self) -> tuple[KrEntry, ...]:
        """Every KR once (a KR serving two objectives is listed under its first)."""
        seen: dict[str, KrEntry] = {}
        for objective in self.objectives:
            for entry in objective.key_results:
                seen.setdefault(entry.kr.id, entry)
        return tuple(seen.values())


def home_url(trackers: Mapping[str, Any], home: HomeItem | None) -> str | None:
    """The web address of a home item, as its tracker's plugin builds it from the tracker's settings."""
    tracker = trackers.get(home.tracker) if home is not None else None
    if home is None or tracker is None:
        return None
    plugin = installed().get(str(getattr(tracker, "kind", "")))
    return plugin.url_of(tracker, home.key) if plugin is not None else None


def _items_of(domain: Any, store: Any) -> dict[str, list[WorkItem]]:
    by_kr = store.items_by_kr(list(domain.key_results))
    return {kr_id: [i for i in domain.linked_work(kr_id, by_kr.get(kr_id, []))
                    if domain.source_tracker.get(kr_id, i.tracker) == i.tracker]
            for kr_id in domain.key_results}


def _kr_burnup(kr: KeyResult, cycle: Cycle, status: KrStatus, items: Sequence[WorkItem], manual: Sequence[Any],
               recorded: Sequence[Any], now: datetime) -> Burnup:
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    weekly = list(reconstructed_progress(kr, cycle, items, manual, now))
    if weekly:
        weekly[-1] = (weekly[-1][0], status.progress)  # today's point is the status itself
    expected = [(m, expected_progress(cycle, m, kr.milestones)) for m in sample_moments(cycle, end)]
    return Burnup(kr.id, start, end, now, tuple(expected), tuple(weekly),
                  tuple((p.at, p.progress) for p in recorded if start <= p.at <= end), status.progress,
                  status.forecast, status.forecast_reconstructed)


def _objective_burnup(oid: str, cycle: Cycle, status: ObjectiveStatus, krs: Sequence[KrEntry],
                      recorded: Sequence[Any], now: datetime) -> Burnup:
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    weights = [max(k.kr.weight, 0.0) for k in krs]
    if not sum(weights):
        weights = [1.0] * len(krs)
    total = sum(weights) or 1.0
    weekly: list[Sample] = []
    if krs:
        for index, (moment, _) in enumerate(krs[0].burnup.weekly):
            values = [k.burnup.weekly[index][1] if index < len(k.burnup.weekly) else None for k in krs]
            known = [(w, v) for w, v in zip(weights, values, strict=True) if v is not None]
            # a KR with no figure yet leaves the objective unknown rather than dragging it to zero
            weekly.append((moment, sum(w * v for w, v in known) / total if len(known) == len(krs) else None))
        if weekly:
            weekly[-1] = (weekly[-1][0], status.progress)
    forecasts = [k.status.forecast for k in krs]
    forecast = (sum(w * f for w, f in zip(weights, forecasts, strict=True) if f is not None) / total
                if krs and all(f is not None for f in forecasts) else None)
    expected = [(m, elapsed_share(cycle, m)) for m in sample_moments(cycle, end)]
    return Burnup(oid, start, end, now, tuple(expected), tuple(weekly),
                  tuple((p.at, p.progress) for p in recorded if start <= p.at <= end), status.progress, forecast,
                  any(k.status.forecast_reconstructed for k in krs))


def _owner_execution(domain: Any, items: dict[str, list[WorkItem]], weeks: Sequence[str],
                     name: Any) -> dict[str, tuple[WeekExecution, ...]]:
    owners: dict[str, dict[tuple[str, str], WorkItem]] = {}
    for kr in domain.key_results.values():
        mine = owners.setdefault(name(kr.owner), {})
        mine.update({(i.tracker, i.key): i for i in items.get(kr.id, [])})
    return {owner: weeks_execution(list(found.values()), weeks) for owner, found in sorted(owners.items())}


def _weeks(domain: Any, now: datetime) -> list[str]:
    cycles = list(domain.cycles.values())
    weeks: list[str] = []
    if cycles:
        day = min(c.start for c in cycles)
        day -= timedelta(days=day.weekday())
        last = min(max(c.end for c in cycles), now.date())
        while day <= last:
            weeks.append(iso_week(day))
            day += timedelta(days=7)
    return weeks


def build_report(domain: Any, store: Any, computed: Any, now: datetime, *, settings: Any = None,
                 voices: Mapping[str, tuple[int | None, str | None]] | None = None) -> Report:
    """The report's content from the configuration's domain, the state store and computed statuses.

    ``settings`` (the loaded configuration) gives people's names and the trackers' addresses for links;
    without it people show by id and homes without links. ``voices`` (KR id → the owner's confidence and
    note, as read from the trackers) overrides the configured confidence.
    """
    voices = voices or {}
    person = getattr(settings, "person", lambda _id: None)
    trackers = getattr(settings, "trackers", {}) or {}

    def name(person_id: str | None) -> str:
        found = person(person_id) if person_id else None
        return found.name if found is not None and getattr(found, "name", None) else (person_id or "no owner")

    acked = acknowledged_fingerprints(store, [*domain.key_results, *domain.objectives])
    hidden = suppressed_count(computed, acked)
    computed = without_acknowledged(computed, acked)
    items = _items_of(domain, store)
    entries: dict[str, KrEntry] = {}
    for kr in domain.key_results.values():
        status = computed.key_results[kr.id]
        burnup = _kr_burnup(kr, domain.cycle_of(kr.id), status, items[kr.id], store.manual_history(kr.id),
                            store.progress_history(kr.id), now)
        entries[kr.id] = KrEntry(kr, status, burnup, name(kr.owner), home_url(trackers, kr.home),
                                 tuple(sorted(items[kr.id], key=lambda i: (i.status.value != "done", i.key))),
                                 kr.objective_ids[0] if kr.objective_ids else "",
                                 *voices.get(kr.id, (kr.confidence, None)))
    objectives = []
    for objective in domain.objectives.values():
        status = computed.objectives[objective.id]
        own = tuple(entries[k] for k in status.kr_ids if k in entries)
        burnup = _objective_burnup(objective.id, domain.cycles[objective.cycle], status, own,
                                   store.progress_history(objective.id), now)
        objectives.append(ObjectiveEntry(objective.id, objective.title, objective.why, objective.owner, status,
                                         own, burnup, name(objective.owner), home_url(trackers, objective.home)))
    weeks = _weeks(domain, now)
    findings = tuple(f for o in objectives for f in (*o.status.findings,
                                                      *(g for k in o.key_results for g in k.status.findings)))
    return Report(now, tuple(objectives), tuple(weeks), _owner_execution(domain, items, weeks, name),
                  tuple(dict.fromkeys(findings)), hidden, tuple(computed.unknown_krs))
