"""The weekly 3P check-in as a command and a schedule: which KRs, composed from the store, grouped per owner.

``mapping.compose_checkin`` builds one KR's check-in; this module picks the KRs (``--owner``, ``--kr``),
composes them from the state store without calling any tracker, leaves out acknowledged findings
(:mod:`okr_sync.engine.acks`), groups them into one digest per owner and renders text, Markdown or JSON.
:func:`next_checkin_time` tells the daemon when the scheduled check-in (``schedule.checkin``) is due.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okr_sync.engine.acks import acknowledged_fingerprints
from okr_sync.engine.cycle import Engine
from okr_sync.mapping import CheckIn, Finding, iso_week, parse_week, render_checkin

NO_OWNER = "(no owner)"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(r"^\s*(?P<day>[a-z]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$", re.IGNORECASE)


class CheckinUsageError(ValueError):
    """A check-in request that cannot be served as asked (bad week, unknown KR or owner); exit 2."""


def validate_week(text: str) -> str:
    """``2026-W53`` back unchanged, or :class:`CheckinUsageError` saying how to write an ISO week."""
    week = text.strip().upper()
    try:
        parse_week(week)
    except ValueError as exc:
        raise CheckinUsageError(f"--week: {exc}") from None
    return week


def select_krs(domain: Any, *, owner: str | None = None, kr_ids: Sequence[str] = ()) -> list[str]:
    """KR ids to check in, in configuration order; unknown ``kr_ids`` or an owner with no KR is an error."""
    unknown = [k for k in kr_ids if k not in domain.key_results]
    if unknown:
        raise CheckinUsageError(f"--kr: unknown KR {', '.join(unknown)}; known: {', '.join(domain.key_results)}")
    chosen = [k.id for k in domain.key_results.values()
              if (not kr_ids or k.id in kr_ids) and (owner is None or (k.owner or "") == owner)]
    if not chosen:
        owners = sorted({k.owner for k in domain.key_results.values() if k.owner})
        raise CheckinUsageError(f"--owner: {owner!r} owns none of the selected KRs; KR owners: {', '.join(owners)}")
    return chosen


def composed(engine: Any, kr_ids: Iterable[str], week: str, computed: Any, now: datetime) -> list[CheckIn]:
    """Each KR's check-in for ``week`` from the store (``engine.checkin``; no tracker call)."""
    return [engine.checkin(kr_id, week, computed, now) for kr_id in kr_ids]


def without_findings(checkin: CheckIn, acknowledged: set[str]) -> CheckIn:
    """The check-in without the findings whose fingerprints are acknowledged."""
    return replace(checkin, findings=tuple(f for f in checkin.findings if f.fingerprint not in acknowledged))


class AckAwareEngine(Engine):
    """The engine whose check-ins (printed and posted) leave out acknowledged findings."""

    def checkin(self, kr_id: str, week: str, computed: Any, now: datetime) -> CheckIn:
        """The 3P check-in of one KR for an ISO week, without acknowledged findings."""
        checkin = super().checkin(kr_id, week, computed, now)
        return without_findings(checkin, acknowledged_fingerprints(self.store, [kr_id])[kr_id])


@dataclass(frozen=True)
class Digest:
    """One owner's check-ins for a week."""

    owner: str
    week: str
    checkins: tuple[CheckIn, ...]
    findings: tuple[Finding, ...] = ()
    """Companion findings about the owner rather than one KR (``okr_sync.engine.people.owner_findings``)."""


def digests(domain: Any, checkins: Sequence[CheckIn],
            owner_findings: Mapping[str, Sequence[Finding]] | None = None) -> list[Digest]:
    """Check-ins grouped by KR owner (owners in order of first appearance; KRs without owner last), each
    with the owner's own findings when ``owner_findings`` (owner id → findings) is given."""
    groups: dict[str, list[CheckIn]] = {}
    for checkin in checkins:
        owner = domain.key_results[checkin.kr_id].owner or NO_OWNER
        groups.setdefault(owner, []).append(checkin)
    order = sorted(groups, key=lambda o: o == NO_OWNER)
    return [Digest(o, groups[o][0].week, tuple(groups[o]), tuple((owner_findings or {}).get(o, ())))
            for o in order]


def checkin_title(domain: Any, checkin: CheckIn) -> str:
    """``Weekly check-in 2026-W47 — OBJ1-KR3 Publish the debt-settlement portal``."""
    return f"Weekly check-in {checkin.week} — {checkin.kr_id} {domain.key_results[checkin.kr_id].title}"


def render_digests(domain: Any, groups: Sequence[Digest], fmt: str) -> str:
    """Text (terminal, no markers) or Markdown of the digests; JSON is :func:`digests_json`."""
    parts: list[str] = []
    advised: set[str] = set()  # each piece of advice once per owner's digest
    for digest in groups:
        advised.clear()
        count = len(digest.checkins)
        if fmt == "md":
            parts.append(f"## {digest.owner} — {digest.week} ({count} KR{'s' if count != 1 else ''})\n")
        else:
            head = f"{digest.owner} — {digest.week} ({count} KR{'s' if count != 1 else ''})"
            parts.append(f"{head}\n{'=' * len(head)}\n")
        bullet = "- **{}**: {} — {}\n" if fmt == "md" else "! {}: {}\n  → {}\n"
        parts += [bullet.format(f.rule, f.reason, f.action) for f in digest.findings]
        parts.append("\n" if digest.findings else "")
        for checkin in digest.checkins:
            title = checkin_title(domain, checkin)
            body = render_checkin(checkin, "markdown", title=title, advised=advised) if fmt == "md" else \
                render_checkin(checkin, "text", title=title, links=False, advised=advised)
            parts.append((body if fmt == "md" else _strip_marker(body)) + "\n")
    return "".join(parts).rstrip("\n") + "\n"


def _strip_marker(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    if lines and lines[-1].startswith("[okr-sync:"):
        lines.pop()
    return "\n".join(lines) + "\n"


def checkin_json(domain: Any, checkin: CheckIn) -> dict[str, Any]:
    """One check-in as JSON (fractions, not percentages)."""
    kr = domain.key_results[checkin.kr_id]

    def refs(items: Iterable[Any]) -> list[dict[str, Any]]:
        return [{"key": r.key, "title": r.title, "assignee": r.assignee, "url": r.url} for r in items]

    ex = checkin.execution
    return {
        "kr": kr.id, "title": kr.title, "owner": kr.owner, "week": checkin.week,
        "progress": round(checkin.progress, 4),
        "previous_progress": None if checkin.previous_progress is None else round(checkin.previous_progress, 4),
        "done_this_week": refs(checkin.done_this_week),
        "problems": {
            "findings": [{"rule": f.rule, "severity": str(f.severity), "reason": f.reason, "action": f.action,
                          "fingerprint": f.fingerprint} for f in checkin.findings],
            "blocked": refs(checkin.blocked), "overdue": refs(checkin.overdue)},
        "plans": {"week": checkin.next_week,
                  "by_assignee": {name: refs(items) for name, items in checkin.plans}},
        "planned_vs_executed": {"week": ex.week, "planned": ex.planned, "executed": ex.executed,
                                "rate": ex.rate, "unplanned": ex.unplanned},
        "status": checkin.status.value, "expected": round(checkin.expected, 4),
        "forecast": None if checkin.forecast is None else round(checkin.forecast, 4),
        "generated_at": checkin.generated_at.isoformat(),
    }


def digests_json(domain: Any, groups: Sequence[Digest]) -> dict[str, Any]:
    """``{"week", "owners": [{"owner", "key_results": [check-in…]}]}``."""
    return {"week": groups[0].week if groups else None,
            "owners": [{"owner": d.owner, "key_results": [checkin_json(domain, c) for c in d.checkins],
                        "findings": [{"rule": f.rule, "severity": str(f.severity), "reason": f.reason,
                                      "action": f.action, "fingerprint": f.fingerprint} for f in d.findings]}
                       for d in groups]}


# -- schedule ---------------------------------------------------------------------------------------------


def parse_schedule(spec: str) -> tuple[int, time]:
    """``"mon 09:00"`` → (0, 09:00). Weekday by its first three letters (``monday`` works too)."""
    match = _SPEC.match(spec)
    day = match.group("day").lower()[:3] if match else ""
    if match is None or day not in WEEKDAYS or not match.group("day").lower().startswith(day):
        raise ValueError(f"schedule.checkin: {spec!r} is not '<weekday> HH:MM'; write e.g. \"mon 09:00\"")
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    if hour > 23 or minute > 59:
        raise ValueError(f"schedule.checkin: {spec!r} has no valid time of day; use 00:00 … 23:59")
    return WEEKDAYS.index(day), time(hour, minute)


def zone(name: str | tzinfo) -> tzinfo:
    """A time zone from its IANA name (``Europe/Lisbon``), with an error that says what to write."""
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"schedule.timezone: unknown time zone {name!r}; use an IANA name such as "
                         "\"Europe/Lisbon\" or \"UTC\"") from None


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    """``day`` at ``at`` in ``tz``; a wall time skipped by a DST jump moves forward by the jump."""
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=tz, fold=0)
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    return round_trip if round_trip.replace(tzinfo=None) != naive else candidate


def next_checkin_time(spec: str, tz: str | tzinfo, after: datetime) -> datetime:
    """The first scheduled check-in strictly after ``after`` (aware), as an aware datetime in ``tz``.

    ``spec`` is ``schedule.checkin`` (``"mon 09:00"``) read as wall time in ``tz``. A wall time that a
    DST jump skips happens at the same instant the clock jumps past it (02:30 → 03:30); one that occurs
    twice counts at its first occurrence.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"next_checkin_time: after={after.isoformat()} has no time zone; pass an aware datetime")
    weekday, at = parse_schedule(spec)
    place = zone(tz)
    local_day = after.astimezone(place).date()
    start = local_day + timedelta(days=(weekday - local_day.weekday()) % 7)
    for weeks in range(3):
        candidate = _local(start + timedelta(weeks=weeks), at, place)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a weekly time recurs within two weeks")  # pragma: no cover


def due_checkin_week(at: datetime, tz: str | tzinfo) -> str:
    """The ISO week a scheduled check-in at ``at`` reviews: Monday to Wednesday (local) look back at the
    previous week, Thursday to Sunday at the current one."""
    return iso_week(at.astimezone(zone(tz)).date() - timedelta(days=3))
