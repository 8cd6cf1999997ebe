"""The intelligent companion: explainable rules that each return a ``Finding``.

Every finding names its rule, its subject (a KR or objective id, or an unknown KR id), the numbers
that triggered it and a suggested action. ``RULES`` lists every KR and objective rule id with what it
checks; ``OWNER_RULES`` the rules about an owner across their KRs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from okr_sync.mapping.execution import is_planned_for
from okr_sync.mapping.model import (
    Cycle,
    HomeItem,
    KeyResult,
    KrKind,
    KrStatusValue,
    ManualValue,
    Objective,
    StatusCategory,
    Thresholds,
    WorkItem,
)
from okr_sync.mapping.pace import days_into_cycle
from okr_sync.mapping.progress import latest_change
from okr_sync.mapping.results import Finding, KrStatus, ObjectiveStatus, Severity
from okr_sync.mapping.weeks import iso_week, next_week, week_bounds

RULES: dict[str, str] = {
    "behind_pace": "progress trails the expected pace by more than the on-track gap",
    "not_started": "no linked work some days into the cycle",
    "forecast_below_floor": "the trend forecast at cycle end is below the success floor (0.7)",
    "no_plan_next_week": "no open work item is due in or tagged for next week",
    "blocked_items": "linked open items are flagged blocked",
    "overdue_items": "linked open items are past their due date",
    "stale_kr": "no linked change (nor manual value) for some days",
    "low_execution": "execution rate below the threshold for consecutive weeks",
    "deliverable_kr": "the KR measures a deliverable rather than an outcome",
    "kr_without_owner": "the KR has no owner",
    "manual_superseded": "the owner's manual value is older than linked work and is not shown",
    "objective_without_why": "the objective does not say why it matters",
    "objective_without_owner": "the objective has no owner",
    "too_many_krs": "the objective has more KRs than recommended",
    "unknown_kr": "work references a KR id that is not defined",
}
OWNER_RULES: dict[str, str] = {
    "owner_without_plan": "an owner has no item planned for next week on any of their KRs, in any tracker",
    "unlinked_team_work": "open work assigned to an owner's team is linked to no KR",
}
"""Rules about a KR owner rather than one KR or objective (subject: the owner's people id)."""

_OPEN = (StatusCategory.TODO, StatusCategory.IN_PROGRESS)


def _keys(items: Iterable[WorkItem]) -> tuple[str, ...]:
    return tuple(sorted(item.key for item in items))


def _pace_finding(subject: str, status: KrStatusValue, progress: float, expected: float) -> Finding | None:
    if status not in (KrStatusValue.AT_RISK, KrStatusValue.OFF_TRACK):
        return None
    severity = Severity.CRITICAL if status is KrStatusValue.OFF_TRACK else Severity.WARNING
    return Finding(
        "behind_pace",
        severity,
        subject,
        f"progress {progress:.2f} is {expected - progress:.2f} behind the expected {expected:.2f} "
        f"({status.value.replace('_', ' ')})",
        "Agree in the check-in which work will close the gap this week, or adjust the milestones "
        "if the pace was planned to be uneven.",
        (status.value,),
    )


def kr_findings(
    kr: KeyResult,
    status: KrStatus,
    items: Sequence[WorkItem],
    *,
    cycle: Cycle,
    now: datetime,
    thresholds: Thresholds = Thresholds(),  # noqa: B008
    superseded: ManualValue | None = None,
) -> tuple[Finding, ...]:
    """Companion findings for one KR from its status and linked items."""
    found: list[Finding | None] = [_pace_finding(kr.id, status.status, status.progress, status.expected)]
    finished = status.status is KrStatusValue.DONE
    open_items = [item for item in items if item.status in _OPEN]
    if status.status is KrStatusValue.NOT_STARTED:
        days = days_into_cycle(cycle, now)
        found.append(Finding(
            "not_started", Severity.WARNING, kr.id,
            f"no linked work {days:.0f} days into cycle {cycle.id} "
            f"(grace {thresholds.not_started_days} days)",
            f"Link this week's work to the KR (e.g. label kr:{kr.id}) or enter a manual value.",
            ("no_work",),
        ))
    if status.forecast is not None and status.forecast < thresholds.forecast_floor and not finished:
        found.append(Finding(
            "forecast_below_floor", Severity.WARNING, kr.id,
            f"trend forecasts {status.forecast:.2f} at cycle end, below {thresholds.forecast_floor:.2f}",
            "Plan more or larger steps now; the trend of the last weeks will not reach success.",
            ("below",),
        ))
    found.append(_no_plan(kr, open_items, cycle, now, finished))
    blocked = [item for item in open_items if item.blocked]
    if blocked:
        found.append(Finding(
            "blocked_items", Severity.WARNING, kr.id,
            f"{len(blocked)} linked item(s) blocked: {', '.join(_keys(blocked))}",
            "Name who can unblock each item and raise it in the check-in.",
            _keys(blocked),
        ))
    today = now.date()
    overdue = [item for item in open_items if item.due is not None and item.due < today]
    if overdue:
        found.append(Finding(
            "overdue_items", Severity.WARNING, kr.id,
            f"{len(overdue)} linked item(s) past due: {', '.join(_keys(overdue))}",
            "Finish, re-plan (new due date or week) or cancel each overdue item.",
            _keys(overdue),
        ))
    found.append(_stale(kr, items, status, now, thresholds, finished))
    found.append(_low_execution(kr, status, thresholds))
    if kr.kind is KrKind.DELIVERABLE:
        found.append(Finding(
            "deliverable_kr", Severity.INFO, kr.id,
            "the KR is shaped as a deliverable, not an outcome",
            "Rephrase it as the change the deliverable should cause (a value or quality number).",
            (kr.kind.value,),
        ))
    if not (kr.owner or "").strip():
        found.append(Finding(
            "kr_without_owner", Severity.WARNING, kr.id, "the KR has no owner",
            "Name one owner who runs the weekly check-in for this KR.", (),
        ))
    if superseded is not None:
        found.append(Finding(
            "manual_superseded", Severity.INFO, kr.id,
            f"manual value {superseded.value:g} by {superseded.author} at "
            f"{superseded.at:%Y-%m-%d %H:%M} UTC is older than the latest linked change",
            "Enter the value again if it should still count, or drop it.",
            (superseded.at.isoformat(), f"{superseded.value:g}"),
        ))
    return tuple(finding for finding in found if finding is not None)


def _no_plan(
    kr: KeyResult, open_items: list[WorkItem], cycle: Cycle, now: datetime, finished: bool
) -> Finding | None:
    upcoming = next_week(iso_week(now.date()))
    monday, sunday = week_bounds(upcoming)
    if finished or monday > cycle.end:
        return None
    if any(is_planned_for(item, upcoming, monday, sunday) for item in open_items):
        return None
    return Finding(
        "no_plan_next_week", Severity.WARNING, kr.id,
        f"no open item is due in or tagged for {upcoming} ({len(open_items)} open item(s) linked)",
        f"Plan next week's actions for this KR: give items a due date in {upcoming} or tag them for it.",
        (upcoming,),
    )


def _stale(
    kr: KeyResult,
    items: Sequence[WorkItem],
    status: KrStatus,
    now: datetime,
    thresholds: Thresholds,
    finished: bool,
) -> Finding | None:
    if finished:
        return None
    latest = latest_change(items)
    manual_at = status.provenance.manual_at
    if manual_at is not None and (latest is None or manual_at > latest):
        latest = manual_at
    if latest is None:
        return None
    if now - latest <= timedelta(days=thresholds.stale_days):
        return None
    days = (now - latest).total_seconds() / 86400
    return Finding(
        "stale_kr", Severity.WARNING, kr.id,
        f"no linked change for {days:.0f} days (last {latest:%Y-%m-%d}; limit {thresholds.stale_days})",
        "Update the linked items or the KR value, or say in the check-in why nothing moved.",
        (latest.isoformat(),),
    )


def _low_execution(kr: KeyResult, status: KrStatus, thresholds: Thresholds) -> Finding | None:
    span = thresholds.low_execution_weeks
    if span <= 0 or len(status.planned_vs_executed) < span:
        return None
    weeks = status.planned_vs_executed[-span:]
    limit = thresholds.low_execution_rate
    if not all(week.rate is not None and week.rate < limit for week in weeks):
        return None
    detail = ", ".join(f"{w.week} {w.executed}/{w.planned}" for w in weeks)
    return Finding(
        "low_execution", Severity.WARNING, kr.id,
        f"executed below {limit:.0%} of plan for {span} weeks: {detail}",
        "Plan fewer, smaller items per week and remove what blocks execution.",
        tuple(w.week for w in weeks),
    )


def objective_findings(
    objective: Objective,
    status: ObjectiveStatus | None,
    krs: Sequence[KeyResult],
    *,
    thresholds: Thresholds = Thresholds(),  # noqa: B008
) -> tuple[Finding, ...]:
    """Companion findings for one objective (``krs`` may include other objectives' KRs)."""
    found: list[Finding | None] = []
    if status is not None:
        found.append(_pace_finding(objective.id, status.status, status.progress, status.expected))
    if not (objective.why or "").strip():
        found.append(Finding(
            "objective_without_why", Severity.WARNING, objective.id,
            "the objective does not say why it matters",
            "Write the impact on citizens that makes this objective worth the effort.", (),
        ))
    if not (objective.owner or "").strip():
        found.append(Finding(
            "objective_without_owner", Severity.WARNING, objective.id, "the objective has no owner",
            "Name one owner accountable for the objective.", (),
        ))
    own = [kr.id for kr in krs if objective.id in kr.objective_ids]
    if len(own) > thresholds.max_krs:
        found.append(Finding(
            "too_many_krs", Severity.WARNING, objective.id,
            f"{len(own)} KRs, more than {thresholds.max_krs}",
            "Keep the few KRs that best measure the change; move the rest to the action plan.",
            (str(len(own)),),
        ))
    return tuple(finding for finding in found if finding is not None)


def unknown_kr_findings(items: Iterable[WorkItem], known_ids: Collection[str]) -> tuple[Finding, ...]:
    """One finding per KR id referenced by work but not defined, listing the items that use it."""
    unknown: dict[str, list[str]] = {}
    for item in items:
        for kr_id in item.kr_ids:
            if kr_id not in known_ids:
                unknown.setdefault(kr_id, []).append(f"{item.tracker}:{item.key}")
    return tuple(
        Finding(
            "unknown_kr", Severity.WARNING, kr_id,
            f"{len(keys)} item(s) reference undefined KR {kr_id!r}: {', '.join(sorted(keys))}",
            "Correct the KR id on those items, or define the KR in the configuration.",
            tuple(sorted(keys)),
        )
        for kr_id, keys in sorted(unknown.items())
    )


# -- per owner (KR ownership across trackers) ------------------------------------------------------------


def owners_without_plan(
    krs: Iterable[KeyResult],
    items_by_kr: Mapping[str, Sequence[WorkItem]],
    *,
    now: datetime,
    cycle_ends: Mapping[str, date] | None = None,
    finished: Collection[str] = (),
) -> tuple[Finding, ...]:
    """One finding per owner none of whose active KRs has an item planned for next week.

    Items count from every tracker, so a plan kept in Planner covers a KR whose home is in Jira; an item
    already done counts (it was planned and executed early), a cancelled one does not. A KR is
    active unless it is in ``finished`` or its cycle (``cycle_ends``: KR id → last day) ends before next
    week starts; an owner with no active KR gets no finding.
    """
    upcoming = next_week(iso_week(now.date()))
    monday, sunday = week_bounds(upcoming)
    active: dict[str, list[str]] = {}
    planned: set[str] = set()
    for kr in krs:
        owner = (kr.owner or "").strip()
        end = (cycle_ends or {}).get(kr.id)
        if not owner or kr.id in finished or (end is not None and monday > end):
            continue
        active.setdefault(owner, []).append(kr.id)
        if any(is_planned_for(item, upcoming, monday, sunday) for item in items_by_kr.get(kr.id, ())):
            planned.add(owner)
    return tuple(
        Finding(
            "owner_without_plan", Severity.WARNING, owner,
            f"no item is planned for {upcoming} on any of {owner}'s {len(ids)} KR(s) "
            f"({', '.join(ids)}), in any tracker",
            f"Plan next week's actions with the team: give items on these KRs a due date in {upcoming} "
            "or tag them for it.",
            (upcoming, *ids),
        )
        for owner, ids in active.items() if owner not in planned
    )


def unlinked_team_work(
    krs: Iterable[KeyResult],
    items_by_kr: Mapping[str, Sequence[WorkItem]],
    items: Iterable[WorkItem],
    *,
    resolve: Callable[[str, str], str | None] | None = None,
    homes: Collection[HomeItem] = (),
    sample: int = 3,
) -> tuple[Finding, ...]:
    """Per owner, one summary of open work assigned to their team that is linked to no KR.

    An owner's team is everyone assigned to an item linked to one of their KRs, plus the owner. People are
    compared through ``resolve(tracker, assignee) → person id`` (the people directory) when given, else by
    the assignee as the tracker reports it. Home items (of the KRs, and ``homes``, e.g. objectives') are
    where status is written, not work, and never count. The finding gives the count and at most ``sample`` keys —
    never one finding per item — and asks whether the work serves a KR.
    """
    def who(tracker: str, assignee: str) -> str:
        found = resolve(tracker, assignee) if resolve is not None else None
        return (found or assignee).strip().lower()

    krs = list(krs)
    teams: dict[str, set[str]] = {}
    for kr in krs:
        owner = (kr.owner or "").strip()
        if not owner:
            continue
        team = teams.setdefault(owner, {owner.lower()})
        team.update(who(i.tracker, i.assignee) for i in items_by_kr.get(kr.id, ()) if i.assignee)
    skip = {(h.tracker, h.key) for h in (*homes, *(kr.home for kr in krs if kr.home is not None))}
    unlinked = [(who(i.tracker, i.assignee), i) for i in items
                if not i.kr_ids and i.assignee and i.status in _OPEN and (i.tracker, i.key) not in skip]
    found: list[Finding] = []
    for owner, team in teams.items():
        keys = sorted(f"{item.tracker}:{item.key}" for person, item in unlinked if person in team)
        if not keys:
            continue
        shown = keys[:max(sample, 1)]
        more = f" and {len(keys) - len(shown)} more" if len(keys) > len(shown) else ""
        found.append(Finding(
            "unlinked_team_work", Severity.INFO, owner,
            f"{len(keys)} open item(s) assigned to {owner}'s team link to no KR: {', '.join(shown)}{more}",
            "Is this work for a KR? Link it (a kr label, field or bucket) so it counts, or agree in the "
            "check-in that it is business as usual.",
            (str(len(keys)), *shown),
        ))
    return tuple(found)
