"""Translating Azure DevOps work item JSON into :class:`mapping.WorkItem` — pure functions, no I/O.

* key: the work item id as text (ids are unique in an organisation), e.g. ``"42"``;
* KR links (:mod:`mapping.links`, the same meaning on every tracker): tags (``kr:OBJ1-KR2``, the ``label``
  rule), a custom field's value (``field``), the parent link to a KR's home (``System.Parent``,
  ``children_of_home``) and title prefixes;
* status from the state's *category* in the item type's workflow (``GET …/workitemtypes/{type}/states``):
  Proposed → to do, InProgress and Resolved → in progress, Completed → done, Removed → cancelled; blocked
  from the blocked field (``Yes``/``true``) or a blocked tag;
* points: the first configured points field that is set (Story Points, Effort, Remaining Work);
* planned week: a week tag (``week:2026-W48``) > an iteration whose last segment is an ISO week
  (``Portal\\2026-W48``) > the target date;
* numbers: any field by reference name, numbers as they are and text read in the locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from okr_sync.connectors.azure_devops.settings import AzureDevOpsTracker
from okr_sync.connectors.typed import number_or_problem
from okr_sync.mapping import StatusCategory, WorkItem, iso_week, parse_week
from okr_sync.mapping.links import LinkFacts, LinkRules, compile_pattern
from okr_sync.mapping.numbers import NumberFormat, number_format

DEFAULT_FORMAT = number_format("en")
CATEGORIES = {"proposed": StatusCategory.TODO, "inprogress": StatusCategory.IN_PROGRESS,
              "resolved": StatusCategory.IN_PROGRESS, "completed": StatusCategory.DONE,
              "removed": StatusCategory.CANCELLED}
BASE_FIELDS = ("System.Id", "System.Rev", "System.Title", "System.State", "System.WorkItemType", "System.Tags",
               "System.AssignedTo", "System.ChangedDate", "System.Parent", "System.IterationPath",
               "Microsoft.VSTS.Scheduling.TargetDate", "Microsoft.VSTS.Common.ClosedDate")
_TRUE = frozenset({"yes", "true", "1"})


def parse_time(value: Any) -> datetime | None:
    """Azure DevOps' ``2026-11-24T10:15:30.123Z`` as an aware datetime (None when absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (hostile answers never crash a read)."""
    return value if isinstance(value, dict) else {}


def tags_of(fields: Mapping[str, Any]) -> list[str]:
    """``System.Tags`` (``"a; b"``) as a list of tags."""
    raw = fields.get("System.Tags")
    if raw is None:
        return []
    if not isinstance(raw, str):
        raise ValueError("System.Tags is not text")
    return [tag.strip() for tag in raw.split(";") if tag.strip()]


def identity_of(value: Any) -> str | None:
    """The unique name (e-mail) of an identity field, or None."""
    if isinstance(value, Mapping):
        name = value.get("uniqueName") or value.get("displayName")
        return str(name) if name else None
    return str(value) if isinstance(value, str) and value else None


class WorkItemTranslator:
    """Work item JSON → :class:`WorkItem` under one tracker's settings."""

    def __init__(self, tracker: str, settings: AzureDevOpsTracker, web_url: str) -> None:
        self.tracker = tracker
        self.settings = settings
        self.web_url = web_url.rstrip("/")
        self.links = LinkRules.compile((rule.rule, getattr(rule, rule.rule)) for rule in settings.link)
        self._blocked = {tag.casefold() for tag in settings.blocked_tags}
        self._week = compile_pattern(settings.week_tag, placeholder="{week}") if "{week}" in settings.week_tag \
            else None

    def fields_needed(self, number_fields: Iterable[str] = ()) -> list[str]:
        """The fields a pull asks for (``workitemsbatch`` answers only these)."""
        wanted = [*BASE_FIELDS, *self.settings.points, *self.links.fields(), *number_fields]
        if self.settings.blocked_field:
            wanted.append(self.settings.blocked_field)
        return list(dict.fromkeys(wanted))

    def work_item(self, row: Mapping[str, Any], category: str | None, *, known: Iterable[str] = (),
                  homes: Mapping[str, Sequence[str]] | None = None, number_fields: Iterable[str] = (),
                  fmt: NumberFormat = DEFAULT_FORMAT, unread: list[str] | None = None) -> WorkItem:
        """The work item for ``row``; ``category`` is its state's category (``ValueError`` when unknown)."""
        fields = row.get("fields")
        if not isinstance(fields, Mapping) or not isinstance(row.get("id"), int):
            raise ValueError("a work item without an id or fields")
        status = CATEGORIES.get(str(category or "").casefold())
        if status is None:
            raise ValueError(f"state {str(fields.get('System.State'))[:40]!r} has no known category "
                             f"({str(category)[:40]!r})")
        tags = tags_of(fields)
        folded = {tag.casefold() for tag in tags}
        parent = fields.get("System.Parent")
        texts = {name: [str(fields[name])] for name in self.links.fields() if fields.get(name) is not None}
        facts = LinkFacts(title=str(fields.get("System.Title") or ""), labels=tags, fields=texts,
                          parent=str(parent) if isinstance(parent, int) else None)
        due_at = parse_time(fields.get("Microsoft.VSTS.Scheduling.TargetDate"))
        due = due_at.date() if due_at else None
        blocked_value = fields.get(self.settings.blocked_field) if self.settings.blocked_field else None
        key = str(row["id"])
        return WorkItem(
            tracker=self.tracker,
            key=key,
            title=str(fields.get("System.Title") or ""),
            status=status,
            kr_ids=self.links.kr_ids(facts, known=known, homes=homes),
            blocked=bool(folded & self._blocked) or str(blocked_value or "").strip().casefold() in _TRUE,
            assignee=identity_of(fields.get("System.AssignedTo")),
            due=due,
            planned_week=self._planned_week(tags, fields.get("System.IterationPath"), due),
            points=self._points(fields),
            estimate=_number(fields.get("Microsoft.VSTS.Scheduling.RemainingWork")),
            numbers=self._numbers(fields, set(number_fields), fmt, unread if unread is not None else []),
            updated=parse_time(fields.get("System.ChangedDate")),
            completed=parse_time(fields.get("Microsoft.VSTS.Common.ClosedDate"))
            if status == StatusCategory.DONE else None,
            url=f"{self.web_url}/_workitems/edit/{key}",
        )

    def _points(self, fields: Mapping[str, Any]) -> float | None:
        for name in self.settings.points:
            value = _number(fields.get(name))
            if value is not None:
                return value
        return None

    def _planned_week(self, tags: list[str], iteration: Any, due: date | None) -> str | None:
        for tag in tags if self._week is not None else []:
            match = self._week.fullmatch(tag) if self._week else None
            if match and _is_week(match.group("kr").upper()):
                return match.group("kr").upper()
        last = str(iteration or "").rsplit("\\", 1)[-1].strip().upper()
        if _is_week(last):
            return last
        return iso_week(due) if due is not None else None

    @staticmethod
    def _numbers(fields: Mapping[str, Any], wanted: set[str], fmt: NumberFormat,
                 unread: list[str]) -> dict[str, float]:
        found: dict[str, float] = {}
        for name in sorted(wanted):
            value = fields.get(name)
            if value is None:
                continue
            number = number_or_problem(f"field '{name}' = {str(value)[:40]!r}", value, fmt, unread)
            if number is not None:
                found[name] = number
        return found


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_week(text: str) -> bool:
    try:
        parse_week(text)
    except ValueError:
        return False
    return True
