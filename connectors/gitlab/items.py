"""Translating GitLab issue JSON into :class:`mapping.WorkItem` — pure functions, no I/O.

* key: ``<project path>#<iid>`` (``references.full``), e.g. ``transparency/portal#12``;
* KR links: label patterns (``kr::{kr}`` for scoped labels), title prefixes (``[{kr}]``) and issue links
  to a KR's home issue (found by the caller, passed in as ``links``), applied by :mod:`mapping.links`
  with the same meaning as on every tracker;
* status: ``closed`` → done (or cancelled with a cancelled label), ``opened`` → in progress with an
  in-progress label, else to do; ``blocked`` from the blocked labels;
* planned week: week label (``week::2026-W48``) > milestone titled as an ISO week > due date >
  milestone due date;
* points: weight or time estimate (hours), as configured; ``estimate`` is the time estimate in hours;
* numbers: ``weight``, ``time_estimate`` / ``time_spent`` (hours), ``upvotes``, ``downvotes``,
  ``user_notes_count``, ``merge_requests_count``, and numeric scoped labels (``cases::12``) by scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.connectors.typed import number_or_problem
from okr_sync.mapping import StatusCategory, WorkItem, iso_week, parse_week
from okr_sync.mapping.links import LinkFacts, LinkRules, compile_pattern
from okr_sync.mapping.numbers import NumberFormat, number_format

DEFAULT_FORMAT = number_format("en")
_ISSUE_NUMBERS = ("upvotes", "downvotes", "user_notes_count", "merge_requests_count")


def issue_key(issue: Mapping[str, Any]) -> str:
    """``<project path>#<iid>`` of an issue (from ``references.full``, else from ``web_url``)."""
    full = (issue.get("references") or {}).get("full")
    if isinstance(full, str) and "#" in full:
        return full
    web_url = str(issue.get("web_url") or "")
    path = web_url.split("/-/issues/")[0].split("://", 1)[-1].partition("/")[2]
    return f"{path}#{issue['iid']}"


def split_key(key: str) -> tuple[str, int]:
    """``("group/project", iid)`` of a key; ``ValueError`` naming the expected shape otherwise."""
    path, sep, iid = key.rpartition("#")
    if not sep or not path or not iid.isdigit():
        raise ValueError(f"GitLab issue key {key!r} is not of the form <project path>#<iid>, e.g. okr/work#12")
    return path, int(iid)


def parse_time(value: Any) -> datetime | None:
    """GitLab's ``2026-11-24T10:15:30.123Z`` as an aware datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None  # not a time GitLab writes: unknown, never a crash of the whole pull


class IssueTranslator:
    """Issue JSON → :class:`WorkItem` under one tracker's settings."""

    def __init__(self, tracker: str, settings: GitLabTracker) -> None:
        self.tracker = tracker
        self.settings = settings
        self.links = LinkRules.compile((rule.rule, getattr(rule, rule.rule)) for rule in settings.link)
        self._blocked = {name.casefold() for name in settings.blocked_labels}
        self._in_progress = {name.casefold() for name in settings.in_progress_labels}
        self._cancelled = {name.casefold() for name in settings.cancelled_labels}
        self._week = compile_pattern(settings.week_label, placeholder="{week}") \
            if "{week}" in settings.week_label else None

    def work_item(self, issue: Mapping[str, Any], *, links: Sequence[tuple[str, str]] = (),
                  known: Iterable[str] = (), homes: Mapping[str, Sequence[str]] | None = None,
                  number_fields: Iterable[str] = (), fmt: NumberFormat = DEFAULT_FORMAT,
                  unread: list[str] | None = None) -> WorkItem:
        """The work item for ``issue``.

        ``links``: its issue links to KR home issues as ``(link type, home key)``; ``known``: the configured
        KR ids; ``homes``: home key → KR ids (see :meth:`mapping.links.LinkRules.kr_ids`). Scoped labels
        holding a wanted number (``Recovered::1.234,5``) are read in ``fmt``; one that cannot be read adds
        a sentence to ``unread``.
        """
        labels = [str(name) for name in issue.get("labels") or []]
        folded = {name.casefold() for name in labels}
        facts = LinkFacts(title=str(issue.get("title") or ""), labels=labels, links=links)
        kr_ids = self.links.kr_ids(facts, known=known, homes=homes)
        estimate = _hours((issue.get("time_stats") or {}).get("time_estimate"))
        weight = issue.get("weight")
        points = (float(weight) if weight is not None else None) if self.settings.points == "weight" \
            else estimate if self.settings.points == "time_estimate" else None
        assignees = issue.get("assignees") or ([issue["assignee"]] if issue.get("assignee") else [])
        due = date.fromisoformat(issue["due_date"]) if issue.get("due_date") else None
        return WorkItem(
            tracker=self.tracker,
            key=issue_key(issue),
            title=str(issue.get("title") or ""),
            status=self._status(str(issue.get("state")), folded),
            kr_ids=kr_ids,
            blocked=bool(folded & self._blocked),
            assignee=assignees[0].get("username") if assignees else None,
            due=due,
            planned_week=self._planned_week(labels, issue.get("milestone"), due),
            points=points,
            estimate=estimate,
            numbers=self._numbers(issue, labels, set(number_fields), fmt, unread if unread is not None else []),
            updated=parse_time(issue.get("updated_at")),
            completed=parse_time(issue.get("closed_at")) if issue.get("state") == "closed" else None,
            url=issue.get("web_url"),
        )

    def _status(self, state: str, labels: set[str]) -> StatusCategory:
        if state not in ("opened", "closed"):  # guessing would count it as to do; skip it, keep what is known
            raise ValueError(f"state {state[:40]!r} is neither opened nor closed")
        if state == "closed":
            return StatusCategory.CANCELLED if labels & self._cancelled else StatusCategory.DONE
        return StatusCategory.IN_PROGRESS if labels & self._in_progress else StatusCategory.TODO

    def _planned_week(self, labels: list[str], milestone: Any, due: date | None) -> str | None:
        for name in labels if self._week is not None else []:
            match = self._week.fullmatch(name.strip()) if self._week else None
            if match and _is_week(match.group("kr").upper()):
                return match.group("kr").upper()
        if isinstance(milestone, Mapping) and _is_week(str(milestone.get("title") or "").strip().upper()):
            return str(milestone["title"]).strip().upper()
        if due is not None:
            return iso_week(due)
        if isinstance(milestone, Mapping) and milestone.get("due_date"):
            return iso_week(date.fromisoformat(str(milestone["due_date"])))
        return None

    def _numbers(self, issue: Mapping[str, Any], labels: list[str], wanted: set[str], fmt: NumberFormat,
                 unread: list[str]) -> dict[str, float]:
        if not wanted:
            return {}
        stats = issue.get("time_stats") or {}
        found: dict[str, float] = {}
        candidates: dict[str, Any] = {name: issue.get(name) for name in _ISSUE_NUMBERS}
        candidates["weight"] = issue.get("weight")
        candidates["time_estimate"] = _hours(stats.get("time_estimate"))
        candidates["time_spent"] = _hours(stats.get("total_time_spent"))
        for name in labels:
            scope, sep, value = name.rpartition("::")
            if sep and scope in wanted and scope not in candidates:
                candidates[scope] = number_or_problem(f"label '{name}'", value, fmt, unread)
        for wanted_name in wanted:
            number = candidates.get(wanted_name)
            if isinstance(number, int | float) and not isinstance(number, bool):
                found[wanted_name] = float(number)
        return found


def _hours(seconds: Any) -> float | None:
    return round(float(seconds) / 3600, 2) if isinstance(seconds, int | float) and seconds > 0 else None


def _is_week(text: str) -> bool:
    try:
        parse_week(text)
    except ValueError:
        return False
    return True
