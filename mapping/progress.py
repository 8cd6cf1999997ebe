"""KR progress from linked work or a manual value, with provenance.

Completion: done share of the KR's non-cancelled items, weighted by count, points or estimate; in
progress items earn ``partial_credit``. When weighting by points or estimate, an item without a weight
counts as the median weight of the KR's weighted items (noted in the provenance); when no item has a
weight, or all weights are zero, items are counted instead (noted too).

Metric: the current value comes from linked items (``sum``/``max``/``last`` of a numeric field, or
``count`` of items in a status, default done) or from the owner's manual value; progress is
``(current - baseline) / (target - baseline)``, direction-aware, clamped at 0 below and at 1 above
unless a ``stretch`` allows more (up to the stretch's progress). For computed sources a manual value wins
only when it is newer than the latest change of any linked item; an older manual value is not dropped
silently: the provenance names it as superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median

from okr_sync.mapping.model import (
    CompletionMeasure,
    KeyResult,
    ManualValue,
    MetricMeasure,
    StatusCategory,
    WorkItem,
)
from okr_sync.mapping.results import Provenance

_DONE = StatusCategory.DONE
_IN_PROGRESS = StatusCategory.IN_PROGRESS
_CANCELLED = StatusCategory.CANCELLED
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ProgressResult:
    """Progress of one KR, its current metric value (if any) and where both came from."""

    progress: float
    current: float | None
    provenance: Provenance
    superseded_manual: ManualValue | None = None
    uses_manual: bool = False


def completion_progress(measure: CompletionMeasure, items: Sequence[WorkItem]) -> ProgressResult:
    """Done share of the non-cancelled items, weighted as the measure says."""
    live = [item for item in items if item.status is not _CANCELLED]
    keys = tuple(item.key for item in live)
    rule = f"completion by {measure.weight}"
    if not live:
        return ProgressResult(0.0, None, Provenance(rule, keys, notes=("no linked work",)))
    weights, notes = _weights(measure, live)
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(live), float(len(live))
        notes = (*notes, f"all {measure.weight} are zero: items counted instead")
    credit = measure.partial_credit
    earned = 0.0
    for item, weight in zip(live, weights, strict=True):
        if item.status is _DONE:
            earned += weight
        elif item.status is _IN_PROGRESS and credit:
            earned += weight * credit
    return ProgressResult(earned / total, None, Provenance(rule, keys, notes=notes))


def _weights(measure: CompletionMeasure, live: list[WorkItem]) -> tuple[list[float], tuple[str, ...]]:
    if measure.weight == "count":
        return [1.0] * len(live), ()
    raw = [item.points if measure.weight == "points" else item.estimate for item in live]
    known = [w for w in raw if w is not None]
    missing = len(raw) - len(known)
    if not known:
        return [1.0] * len(live), (f"no item has {measure.weight}: items counted instead",)
    if not missing:
        return [float(w) for w in known], ()
    fill = float(median(known))
    note = f"{missing} item(s) without {measure.weight} counted as the median {fill:g}"
    return [fill if w is None else float(w) for w in raw], (note,)


def metric_value(measure: MetricMeasure, items: Sequence[WorkItem]) -> tuple[float | None, tuple[str, ...]]:
    """Current value computed from linked items and the keys that contributed (None when no data)."""
    if measure.source == "count":
        wanted = measure.count_status or _DONE
        keys = tuple(item.key for item in items if item.status is wanted)
        return float(len(keys)), keys
    name = measure.field or ""
    counted = (_DONE,) if measure.items == "done" else (_DONE, _IN_PROGRESS, StatusCategory.TODO)
    found = [
        (item, item.numbers[name])
        for item in items
        if item.status in counted and name in item.numbers
    ]
    if not found:
        return None, ()
    keys = tuple(item.key for item, _ in found)
    if measure.source == "sum":
        return float(sum(value for _, value in found)), keys
    if measure.source == "max":
        return float(max(value for _, value in found)), keys
    item, value = max(found, key=_last_order)
    return float(value), (item.key,)


def _last_order(pair: tuple[WorkItem, float]) -> tuple[datetime, str]:
    item = pair[0]
    return (item.last_change or _NEVER, item.key)


def metric_progress(measure: MetricMeasure, current: float) -> float:
    """Direction-aware progress of ``current``: 0 at baseline, 1 at target, more only up to stretch."""
    span = measure.target - measure.baseline
    progress = (current - measure.baseline) / span
    ceiling = 1.0 if measure.stretch is None else (measure.stretch - measure.baseline) / span
    return min(max(progress, 0.0), ceiling)


def latest_change(items: Sequence[WorkItem]) -> datetime | None:
    """Latest ``updated``/``completed`` time over the items (None when no item carries one)."""
    latest: datetime | None = None
    for item in items:
        change = item.last_change
        if change is not None and (latest is None or change > latest):
            latest = change
    return latest


def kr_progress(kr: KeyResult, items: Sequence[WorkItem], manual: ManualValue | None) -> ProgressResult:
    """Progress of a KR by its measure, applying the manual-value precedence rule."""
    measure = kr.measure
    if isinstance(measure, CompletionMeasure):
        result = completion_progress(measure, items)
        if manual is None:
            return result
        note = f"manual value {manual.value:g} by {manual.author} ignored: completion KRs are computed"
        prov = result.provenance
        return ProgressResult(
            result.progress, None, Provenance(prov.rule, prov.item_keys, notes=(*prov.notes, note))
        )
    if measure.source == "manual":
        if manual is None:
            prov = Provenance("metric manual", notes=("no manual value entered yet",))
            return ProgressResult(0.0, None, prov)
        return _manual_result(measure, manual, "metric manual", ())
    current, keys = metric_value(measure, items)
    counted_words = "done items" if measure.items == "done" else "open and done items"
    rule = f"metric {measure.source}" + (f" of {measure.field} over {counted_words}" if measure.field else "")
    latest = latest_change(items)
    if manual is not None and (current is None or latest is None or manual.at > latest):
        if current is None:
            why = "no linked item carries a value"
        elif latest is None:
            why = f"linked items carry no change time: manual value preferred over computed {current:g}"
        else:
            why = f"computed value {current:g} is older than the manual value"
        return _manual_result(measure, manual, rule, (why,))
    if current is None:
        return ProgressResult(0.0, None, Provenance(rule, keys, notes=("no linked item carries a value",)))
    notes: tuple[str, ...] = ()
    if manual is not None:
        notes = (
            f"manual value {manual.value:g} by {manual.author} at {manual.at:%Y-%m-%d %H:%M} UTC is older "
            f"than the latest linked change at {latest:%Y-%m-%d %H:%M} UTC; computed value used",
        )
    prov = Provenance(rule, keys, notes=notes)
    return ProgressResult(metric_progress(measure, current), current, prov, superseded_manual=manual)


def _manual_result(
    measure: MetricMeasure, manual: ManualValue, rule: str, notes: tuple[str, ...]
) -> ProgressResult:
    prov = Provenance(rule, (), manual_author=manual.author, manual_at=manual.at, notes=notes)
    return ProgressResult(metric_progress(measure, manual.value), manual.value, prov, uses_manual=True)
