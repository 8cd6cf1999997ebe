"""Jira issue JSON → :class:`mapping.WorkItem`: link rules, status category, points and numbers.

Link rules (``settings.link``, any may match, an item may serve several KRs):

- ``label: "kr:{kr}"`` — a label matching the pattern as a whole;
- ``title_prefix: "[{kr}]"`` — the summary starting with the pattern;
- ``field: "Key Result"`` — a custom field (name or id) whose value (text, option or list) is a KR id;
- ``children_of_home: true`` — the issue's parent is a KR's home issue (``PullSpec.kr_homes``);
- ``issue_link: "Contributes"`` — an issue link of that type (either direction) to a KR's home issue.

KR ids matching no configured KR are kept: mapping reports them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from okr_sync.config.errors import SkippableError
from okr_sync.config.trackers import JiraTracker
from okr_sync.connectors.jira.fields import FieldCatalogue
from okr_sync.mapping import HomeItem, StatusCategory, WorkItem

CATEGORY = {"new": StatusCategory.TODO, "indeterminate": StatusCategory.IN_PROGRESS, "done": StatusCategory.DONE}
BASE_FIELDS = ("summary", "status", "labels", "assignee", "duedate", "updated", "resolution", "resolutiondate",
               "parent")


def pattern_regex(pattern: str, *, whole: bool) -> re.Pattern[str]:
    """A regex capturing ``kr`` from a pattern like ``kr:{kr}`` or ``[{kr}]``."""
    if pattern.count("{kr}") != 1:
        raise ValueError(f"link pattern {pattern!r} must contain {{kr}} exactly once")
    before, after = pattern.split("{kr}")
    capture = r"(?P<kr>\S+?)" if after else r"(?P<kr>\S+)"
    tail = "" if whole or after else r"(?=\s|$)"
    return re.compile(re.escape(before) + capture + re.escape(after) + tail)


def parse_time(value: Any) -> datetime | None:
    """Jira's ``2026-11-24T10:15:30.000+0000`` as an aware UTC datetime (None when absent or unreadable)."""
    if not value:
        return None
    text = str(value)
    for layout in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, layout).astimezone(UTC)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None  # not a time Jira writes: treated as unknown, never a crash of the whole pull


@dataclass(frozen=True, slots=True)
class ItemReader:
    """Everything needed to translate one search result; built once per pull."""

    tracker: str
    base_url: str
    settings: JiraTracker
    catalogue: FieldCatalogue
    kr_homes: Mapping[str, HomeItem]
    number_fields: Mapping[str, str] = field(default_factory=dict)
    """Configured name → field id."""
    labels: tuple[re.Pattern[str], ...] = ()
    titles: tuple[re.Pattern[str], ...] = ()
    kr_fields: tuple[str, ...] = ()
    children: bool = False
    link_types: tuple[str, ...] = ()
    points_field: str | None = None
    flagged_field: str | None = None

    @classmethod
    def build(cls, tracker: str, base_url: str, settings: JiraTracker, catalogue: FieldCatalogue,
              kr_homes: Mapping[str, HomeItem], number_fields: frozenset[str]) -> ItemReader:
        """Compile the link rules and resolve every configured field (configuration errors raise here)."""
        labels, titles, kr_fields, link_types, children = [], [], [], [], False
        for index, rule in enumerate(settings.link):
            if rule.label:
                labels.append(pattern_regex(rule.label, whole=True))
            elif rule.title_prefix:
                titles.append(pattern_regex(rule.title_prefix, whole=False))
            elif rule.field:
                kr_fields.append(catalogue.resolve(rule.field, setting=f"link.{index}.field").id)
            elif rule.issue_link:
                link_types.append(rule.issue_link.casefold())
            elif rule.children_of_home:
                children = True
        points = catalogue.resolve(settings.points_field, setting="points_field").id if settings.points_field \
            else None
        numbers = {name: catalogue.resolve(name, setting=f"number field {name!r}").id
                   for name in sorted(number_fields)}
        flagged = catalogue.flagged()
        homes = {kr: home for kr, home in kr_homes.items() if home.tracker == tracker}
        return cls(tracker, base_url, settings, catalogue, homes, numbers, tuple(labels), tuple(titles),
                   tuple(kr_fields), children, tuple(link_types), points, flagged.id if flagged else None)

    def field_ids(self) -> list[str]:
        """The ``fields=`` list of a search: only what translation reads."""
        wanted = list(BASE_FIELDS)
        if self.link_types:
            wanted.append("issuelinks")
        extra = [*self.kr_fields, *self.number_fields.values(), self.points_field, self.flagged_field]
        wanted += [f for f in extra if f and f not in wanted]
        return wanted

    def work_item(self, raw: Mapping[str, Any]) -> WorkItem:
        """One issue as a :class:`WorkItem`; :class:`SkippableError` naming the issue when it is unreadable."""
        try:
            return self._work_item(raw)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            key = raw.get("key") if isinstance(raw, Mapping) else None
            raise SkippableError(f"issue {str(key)[:80] if key else '(no key)'} is not what Jira sends "
                                 f"({type(exc).__name__}: {str(exc)[:120]}); skipped this cycle",
                                 tracker=self.tracker, subject=str(key)[:80] if key else None) from None

    def _work_item(self, raw: Mapping[str, Any]) -> WorkItem:
        fields = raw.get("fields") or {}
        if not isinstance(fields, dict) or not isinstance(raw.get("key"), str):
            raise ValueError("no key or fields")
        key = str(raw["key"])
        status = self._status(fields)
        blocked = status in (StatusCategory.TODO, StatusCategory.IN_PROGRESS) and self._blocked(fields)
        assignee = fields.get("assignee") or None
        due = fields.get("duedate")
        return WorkItem(
            tracker=self.tracker, key=key, title=str(fields.get("summary") or ""), status=status,
            kr_ids=self._kr_ids(fields), blocked=blocked,
            assignee=str(assignee.get("displayName") or assignee.get("name") or assignee.get("accountId"))
            if isinstance(assignee, dict) else None,
            due=date.fromisoformat(due) if isinstance(due, str) and due else None,
            points=number_value(fields.get(self.points_field)) if self.points_field else None,
            numbers={name: value for name, fid in self.number_fields.items()
                     if (value := number_value(fields.get(fid))) is not None},
            updated=parse_time(fields.get("updated")),
            completed=parse_time(fields.get("resolutiondate")),
            url=f"{self.base_url}/browse/{key}",
        )

    # --- pieces ---------------------------------------------------------------------------------------

    def _status(self, fields: Mapping[str, Any]) -> StatusCategory:
        resolution = (fields.get("resolution") or {}).get("name")
        cancelled = {r.casefold() for r in self.settings.cancelled_resolutions}
        if resolution and str(resolution).casefold() in cancelled:
            return StatusCategory.CANCELLED
        key = ((fields.get("status") or {}).get("statusCategory") or {}).get("key", "new")
        return CATEGORY.get(str(key), StatusCategory.TODO)

    def _blocked(self, fields: Mapping[str, Any]) -> bool:
        name = str((fields.get("status") or {}).get("name") or "").casefold()
        if name and name in {s.casefold() for s in self.settings.blocked_statuses}:
            return True
        return bool(self.flagged_field and fields.get(self.flagged_field))

    def _kr_ids(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        found: list[str] = []
        for label in fields.get("labels") or []:
            found += [m.group("kr") for rx in self.labels if (m := rx.fullmatch(str(label)))]
        summary = str(fields.get("summary") or "")
        found += [m.group("kr") for rx in self.titles if (m := rx.match(summary))]
        for fid in self.kr_fields:
            found += text_values(fields.get(fid))
        if self.children or self.link_types:
            by_key: dict[str, list[str]] = {}
            for kr, home in self.kr_homes.items():
                by_key.setdefault(home.key, []).append(kr)
            if self.children:
                found += by_key.get(str((fields.get("parent") or {}).get("key")), [])
            for link in fields.get("issuelinks") or []:
                if str((link.get("type") or {}).get("name", "")).casefold() in self.link_types:
                    other = link.get("outwardIssue") or link.get("inwardIssue") or {}
                    found += by_key.get(str(other.get("key")), [])
        return tuple(dict.fromkeys(kr for kr in found if kr))


def text_values(value: Any) -> list[str]:
    """Texts in a field value: a string (comma-separated), an option, or a list of either."""
    if value is None:
        return []
    if isinstance(value, list):
        return [text for v in value for text in text_values(v)]
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or ""
    return [part.strip() for part in str(value).replace(";", ",").split(",") if part.strip()]


def number_value(value: Any) -> float | None:
    """A field value as a number, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None
