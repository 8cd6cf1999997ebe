"""Roll-up of KR statuses into an objective status.

Objective progress is the weighted mean (KR weights) of its KRs' progress; a KR serving several
objectives counts fully in each. The objective's status comes from its own pace (elapsed share of the
cycle). Departments are the objective's declared departments followed by its KRs' departments, without
repeats; two or more make the objective cross-sector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from okr_sync.mapping.companion import objective_findings
from okr_sync.mapping.model import Cycle, KeyResult, KrStatusValue, Objective, Thresholds, require_aware
from okr_sync.mapping.pace import days_into_cycle, elapsed_share, score_band, status_from_pace
from okr_sync.mapping.results import KrStatus, ObjectiveStatus


def _departments(objective: Objective, krs: Sequence[KeyResult]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in (*objective.departments, *(d for kr in krs for d in (kr.departments or (kr.department,)))):
        if name and name.strip():
            seen.setdefault(name.strip(), None)
    return tuple(seen)


def objective_status(
    objective: Objective,
    cycle: Cycle,
    kr_statuses: Mapping[str, KrStatus] | Iterable[KrStatus],
    krs: Sequence[KeyResult],
    *,
    now: datetime,
    thresholds: Thresholds = Thresholds(),  # noqa: B008
) -> ObjectiveStatus:
    """Status of ``objective`` from the statuses of its KRs.

    ``krs`` may hold other objectives' KRs (they are filtered out, in time linear in ``len(krs)``, so
    when rolling up many objectives pass each one its own KRs from an index).

    Raises ``ValueError`` when a KR of the objective has no status in ``kr_statuses``, or ``now`` is naive.
    """
    now = require_aware(now, "objective_status", objective.id)
    by_id: Mapping[str, KrStatus] = (
        kr_statuses if isinstance(kr_statuses, Mapping) else {s.kr_id: s for s in kr_statuses}
    )
    own = [kr for kr in krs if objective.id in kr.objective_ids]
    missing = [kr.id for kr in own if kr.id not in by_id]
    if missing:
        raise ValueError(
            f"objective {objective.id!r}: no KR status for {', '.join(missing)}; "
            "compute kr_status for every KR of the objective before rolling up"
        )
    total = sum(kr.weight for kr in own)
    if total > 0:
        progress = sum(kr.weight * by_id[kr.id].progress for kr in own) / total
    elif own:
        progress = sum(by_id[kr.id].progress for kr in own) / len(own)
    else:
        progress = 0.0
    expected = elapsed_share(cycle, now)
    has_work = any(by_id[kr.id].status is not KrStatusValue.NOT_STARTED for kr in own)
    status = status_from_pace(
        progress, expected, has_work=has_work, days_in=days_into_cycle(cycle, now), thresholds=thresholds
    )
    departments = _departments(objective, own)
    result = ObjectiveStatus(
        objective_id=objective.id,
        progress=progress,
        status=status,
        expected=expected,
        departments=departments,
        cross_sector=len(departments) >= 2,
        kr_ids=tuple(kr.id for kr in own),
        band=score_band(progress, thresholds),
        gap=expected - progress,
    )
    findings = objective_findings(objective, result, own, thresholds=thresholds)
    return replace(result, findings=findings)
