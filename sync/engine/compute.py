"""Recomputing every KR and objective from stored facts — shared by the engine, ``status`` and reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from okr_sync.engine.acks import acknowledged_fingerprints, without_acknowledged
from okr_sync.engine.domain import Domain
from okr_sync.engine.ignored import stored as stored_sentences
from okr_sync.engine.ignored import with_sentences
from okr_sync.mapping import (
    Cycle,
    Finding,
    KeyResult,
    KrStatus,
    ManualValue,
    MetricMeasure,
    ObjectiveStatus,
    ProgressPoint,
    Thresholds,
    WorkItem,
    kr_status,
    objective_findings,
    objective_status,
    unknown_kr_findings,
)
from okr_sync.mapping.history import forecast_history, reconstructed_progress
from okr_sync.store.bulk import AcknowledgedView, bulk


@dataclass(frozen=True)
class Computed:
    """Statuses of every KR and objective at one moment, plus findings about unknown KR ids."""

    at: datetime
    key_results: dict[str, KrStatus]
    objectives: dict[str, ObjectiveStatus]
    unknown_krs: tuple[Finding, ...]

    def status_of(self, subject_id: str) -> KrStatus | ObjectiveStatus:
        """The status of a KR or objective."""
        return self.key_results.get(subject_id) or self.objectives[subject_id]


def compute(
    domain: Domain,
    items_by_kr: Mapping[str, Sequence[WorkItem]],
    *,
    now: datetime,
    manual: Mapping[str, ManualValue] | None = None,
    history: Mapping[str, Iterable[ProgressPoint]] | None = None,
    all_items: Iterable[WorkItem] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - immutable default
) -> Computed:
    """Every KR's and objective's status at ``now``."""
    manual = manual or {}
    history = history or {}
    krs: dict[str, KrStatus] = {}
    for kr in domain.key_results.values():
        items = domain.linked_work(kr.id, items_by_kr.get(kr.id, ()))
        source = domain.source_tracker.get(kr.id)
        if source is not None:
            items = [item for item in items if item.tracker == source]
        krs[kr.id] = _kr_status(kr, domain.cycle_of(kr.id), items, now, manual.get(kr.id),
                                list(history.get(kr.id, ())), thresholds)
    objectives: dict[str, ObjectiveStatus] = {}
    kr_list = list(domain.key_results.values())
    for objective in domain.objectives.values():
        status = objective_status(objective, domain.cycles[objective.cycle], krs, kr_list, now=now,
                                  thresholds=thresholds)
        findings = objective_findings(objective, status, kr_list, thresholds=thresholds)
        objectives[objective.id] = _with_findings(status, findings)
    unknown = unknown_kr_findings(all_items, set(domain.key_results) | set(domain.objectives))
    return Computed(now, krs, objectives, unknown)


def _kr_status(kr: KeyResult, cycle: Cycle, items: list[WorkItem], now: datetime, manual: ManualValue | None,
               recorded: list[ProgressPoint], thresholds: Thresholds) -> KrStatus:
    """The KR's status; while the recorded history is too short for a trend, the forecast also fits the
    weekly progress reconstructed from item dates (the burn-up's reconstruction), and says so."""
    status = kr_status(kr, cycle, items, now=now, manual=manual, history=recorded, thresholds=thresholds)
    if status.forecast is not None or (isinstance(kr.measure, MetricMeasure) and kr.measure.source == "manual"):
        return status  # a manual value has no item history to reconstruct a trend from
    reconstructed = reconstructed_progress(kr, cycle, items, [manual] if manual else [], now)
    points, leaned = forecast_history(recorded, reconstructed, thresholds.forecast_min_days)
    if not leaned:
        return status
    again = kr_status(kr, cycle, items, now=now, manual=manual, history=points, thresholds=thresholds)
    if again.forecast is None:
        return status
    return replace(again, forecast_reconstructed=True)


def _with_findings(status: ObjectiveStatus, findings: tuple[Finding, ...]) -> ObjectiveStatus:
    return replace(status, findings=tuple(dict.fromkeys((*status.findings, *findings))))


def compute_from_store(
    domain: Domain,
    store: Any,
    *,
    now: datetime,
    overlay: Mapping[tuple[str, str], WorkItem] | None = None,
    manual: Mapping[str, ManualValue] | None = None,
    ignored: Mapping[str, tuple[str, ...]] | None = None,
) -> Computed:
    """Statuses from what the state store holds (``overlay`` items win: a dry run's fresh pull).

    Every KR's provenance also says why typed values are not used (:mod:`okr_sync.engine.ignored`):
    the store's sentences, ``ignored`` winning for the KRs whose home item was just read.
    """
    items = {(i.tracker, i.key): i for i in store.items()}
    items.update(overlay or {})
    by_kr: dict[str, list[WorkItem]] = defaultdict(list)
    for item in items.values():
        for kr_id in dict.fromkeys(item.kr_ids):
            by_kr[kr_id].append(item)
    subjects = (*domain.key_results, *domain.objectives)
    if bulk(store):  # one query per kind of fact instead of one per subject (issue 13)
        if manual is None:
            manual = store.latest_manual_values(domain.key_results)
        history = store.progress_histories(subjects)
        acks: Any = AcknowledgedView(store.acknowledged_by_subject(subjects))
    else:
        if manual is None:
            manual = {kr: value for kr in domain.key_results if (value := store.manual_value(kr)) is not None}
        history = {subject: store.progress_history(subject) for subject in subjects}
        acks = store
    computed = compute(domain, by_kr, now=now, manual=manual, history=history, all_items=items.values())
    sentences = {**stored_sentences(store, domain, store.written_all() if bulk(store) else None), **(ignored or {})}
    krs = {kr_id: with_sentences(status, sentences.get(kr_id, ())) for kr_id, status in computed.key_results.items()}
    computed = replace(computed, key_results=krs)
    return without_acknowledged(computed, acknowledged_fingerprints(acks, subjects))
