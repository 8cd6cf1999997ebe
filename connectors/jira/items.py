"""Jira issue JSON → :class:`mapping.WorkItem`: link facts, status category, points and numbers.

Link rules (``settings.link``: ``label``, ``title_prefix``, ``field`` by name or id, ``children_of_home``,
``issue_link`` in either direction) are applied by :mod:`mapping.links`, the same on every tracker; this
module only reads an issue's facts (labels, summary, field texts, parent key, issue links).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from okr_sync.config.errors import ConfigurationError, SkippableError
from okr_sync.connectors.jira.fields import FieldCatalogue
from okr_sync.connectors.jira.settings import JiraTracker
from okr_sync.connectors.typed import number_or_problem
from okr_sync.mapping import HomeItem, StatusCategory, WorkItem
from okr_sync.mapping.links import LinkFacts, LinkRules, homes_by_key
from okr_sync.mapping.numbers import NumberFormat, number_format

CATEGORY = {"new": StatusCategory.TODO, "indeterminate": StatusCategory.IN_PROGRESS, "done": StatusCategory.DONE}
DEFAULT_FORMAT = number_format("en")
BASE_FIELDS = ("summary", "status", "labels", "assignee", "duedate", "updated", "resolution", "resolutiondate",
               "parent")


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
    links: LinkRules = field(default_factory=LinkRules)
    known: frozenset[str] = frozenset()
    """Every configured KR id (canonical spelling for link rules)."""
    home_keys: Mapping[str, list[str]] = field(default_factory=dict)
    """Home issue key → the KR ids homed there (children and issue-link rules)."""
    points_field: str | None = None
    flagged_field: str | None = None
    fmt: NumberFormat = DEFAULT_FORMAT
    """How numbers typed in text fields are read (the configured locale)."""
    unresolved: tuple[str, ...] = ()
    """One problem per number field a KR measure reads that Jira does not have (those KRs get no values;
    every other KR and the rest of the pull go on)."""

    @classmethod
    def build(cls, tracker: str, base_url: str, settings: JiraTracker, catalogue: FieldCatalogue,
              kr_homes: Mapping[str, HomeItem], number_fields: frozenset[str],
              known: frozenset[str] = frozenset(), locale: str = "en",
              number_paths: Mapping[str, tuple[str, ...]] | None = None) -> ItemReader:
        """Compile the link rules and resolve every configured field (configuration errors raise here)."""
        rules = [(rule.rule, catalogue.resolve(rule.field, setting=f"link.{index}.field").id if rule.field
                  else getattr(rule, rule.rule)) for index, rule in enumerate(settings.link)]
        points = catalogue.resolve(settings.points_field, setting="points_field").id if settings.points_field \
            else None
        numbers, unresolved = _number_fields(catalogue, number_fields, number_paths or {})
        flagged = catalogue.flagged()
        homes = {kr: home for kr, home in kr_homes.items() if home.tracker == tracker}
        return cls(tracker, base_url, settings, catalogue, homes, numbers, LinkRules.compile(rules), known,
                   homes_by_key(homes), points, flagged.id if flagged else None, number_format(locale),
                   tuple(unresolved))

    def field_ids(self) -> list[str]:
        """The ``fields=`` list of a search: only what translation reads."""
        wanted = list(BASE_FIELDS)
        if self.links.link_types():
            wanted.append("issuelinks")
        extra = [*self.links.fields(), *self.number_fields.values(), self.points_field, self.flagged_field]
        wanted += [f for f in extra if f and f not in wanted]
        return wanted

    def work_item(self, raw: Mapping[str, Any], unread: list[str] | None = None) -> WorkItem:
        """One issue as a :class:`WorkItem`; :class:`SkippableError` naming the issue when it is unreadable.

        A number field holding text that is no number in the locale (``3,6`` under ``en``) is left out and
        adds a sentence to ``unread``.
        """
        try:
            return self._work_item(raw, unread if unread is not None else [])
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            key = raw.get("key") if isinstance(raw, Mapping) else None
            raise SkippableError(f"issue {str(key)[:80] if key else '(no key)'} is not what Jira sends "
                                 f"({type(exc).__name__}: {str(exc)[:120]}); skipped this cycle",
                                 tracker=self.tracker, subject=str(key)[:80] if key else None) from None

    def _work_item(self, raw: Mapping[str, Any], unread: list[str]) -> WorkItem:
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
                     if (value := number_or_problem(f"issue {key}: field '{name}'", fields.get(fid), self.fmt,
                                                    unread)) is not None},
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
        links = [(str((link.get("type") or {}).get("name", "")),
                  str((link.get("outwardIssue") or link.get("inwardIssue") or {}).get("key")))
                 for link in fields.get("issuelinks") or []] if self.links.link_types() else []
        facts = LinkFacts(
            title=str(fields.get("summary") or ""), labels=[str(label) for label in fields.get("labels") or []],
            fields={fid: text_values(fields.get(fid)) for fid in self.links.fields()},
            parent=str((fields.get("parent") or {}).get("key") or "") or None, links=links)
        return self.links.kr_ids(facts, known=self.known, homes=self.home_keys)


def _number_fields(catalogue: FieldCatalogue, wanted: frozenset[str],
                   paths: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, str], list[str]]:
    """Configured name → field id for the number fields Jira has, and a problem for each it lacks, named
    by the KR keys that read it (``objectives[0].key_results[1].measure.source.sum_field``)."""
    found: dict[str, str] = {}
    unresolved: list[str] = []
    for name in sorted(wanted):
        try:
            found[name] = catalogue.resolve(name, setting=f"number field {name!r}").id
        except ConfigurationError as exc:
            why = "; ".join(p.message for p in exc.problems)
            where = " and ".join(paths.get(name, ())) or f"number field '{name}'"
            unresolved.append(f"{where}: {why}; until it is fixed that KR gets no value from Jira")
    return found, unresolved


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
