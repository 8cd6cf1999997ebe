"""Translating Planner tasks into work items: link rules, status, planned week, watermark.

Pure functions over plain data (no Graph types), so they are tested without a sandbox. A Planner
task is linked to KRs by the name of its bucket, a prefix of its title, or the names of the
categories (labels) applied to it, each a pattern with ``{kr}`` (``config.LinkRule``).

The watermark is JSON: ``{"v": 1, "plans": {"<plan id>": {"<task id>": "<ETag>"}}}``. Graph has no
"changed since" for Planner, so a pull lists each plan's tasks and compares ETags: a task whose ETag
is new or different changed; tasks missing from the list are gone (reported by a full pull).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.trackers import LinkRule
from okr_sync.mapping import StatusCategory, WorkItem, iso_week

KR_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]*?"
WATERMARK_VERSION = 1
Etags = dict[str, dict[str, str]]
"""plan id → task id → ETag."""


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What the connector read about one task, as plain data."""

    id: str
    plan_id: str
    title: str
    percent: int
    bucket: str | None
    """The bucket's name (not its id)."""
    categories: tuple[str, ...]
    """Names of the applied categories (their plan-level descriptions), empty names dropped."""
    category_keys: tuple[str, ...]
    due: datetime | None
    completed: datetime | None
    assignees: tuple[str, ...]
    etag: str | None


class LinkMatcher:
    """The configured link rules of a Planner tracker, compiled once."""

    def __init__(self, rules: Sequence[LinkRule], *, tracker: str) -> None:
        self.bucket: list[re.Pattern[str]] = []
        self.category: list[re.Pattern[str]] = []
        self.title: list[re.Pattern[str]] = []
        self.bare: set[re.Pattern[str]] = set()
        """Patterns that are nothing but ``{kr}``: they link only configured KR ids."""
        for rule in rules:
            pattern = rule.pattern
            if rule.rule not in ("bucket", "category", "title_prefix") or pattern is None:
                raise ConfigurationError(f"link rule '{rule.rule}' is not supported by Planner; use bucket, "
                                         "category or title_prefix", tracker=tracker)
            if "{kr}" not in pattern:
                raise ConfigurationError(f"link pattern {pattern!r} lacks {{kr}}; write e.g. \"[{{kr}}]\"",
                                         tracker=tracker)
            head, _, tail = pattern.partition("{kr}")
            regex = re.compile(re.escape(head) + f"(?P<kr>{KR_ID})" + re.escape(tail) +
                               (r"\s*" if rule.rule == "title_prefix" else ""), re.IGNORECASE)
            {"bucket": self.bucket, "category": self.category, "title_prefix": self.title}[rule.rule].append(regex)
            if pattern.strip() == "{kr}":
                self.bare.add(regex)

    @property
    def needs_names(self) -> bool:
        """Whether bucket or category names are needed to link (else the tasks list alone suffices)."""
        return bool(self.bucket or self.category)

    def kr_ids(self, task: TaskFacts, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Every KR id the task names, in rule order, without duplicates.

        Ids matching no configured KR are kept (mapping reports them), except from a bare ``{kr}`` bucket
        or category pattern, which would otherwise take every bucket ("Backlog") for a KR: those link only
        ids in ``known`` (when ``known`` is given).
        """
        found: list[str] = []
        for regex in self.bucket:
            if task.bucket and (match := regex.fullmatch(task.bucket.strip())):
                found += self._accepted(regex, [match["kr"]], known)
        for regex in self.category:
            ids = [m["kr"] for name in task.categories if (m := regex.fullmatch(name.strip()))]
            found += self._accepted(regex, ids, known)
        for regex in self.title:
            rest = task.title.lstrip()
            while match := _prefix(regex, rest):
                found.append(match["kr"])
                rest = rest[match.end():]
        return tuple(dict.fromkeys(found))

    def _accepted(self, regex: re.Pattern[str], ids: list[str], known: frozenset[str]) -> list[str]:
        if regex in self.bare and known:
            return [kr for kr in ids if kr in known]
        return ids


def _prefix(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    match = regex.match(text)
    return match if match and match["kr"] else None


def status_of(percent: int) -> StatusCategory:
    """``percentComplete`` 0 → todo, 1–99 → in progress, 100 → done."""
    if percent >= 100:
        return StatusCategory.DONE
    return StatusCategory.IN_PROGRESS if percent > 0 else StatusCategory.TODO


def work_item(task: TaskFacts, *, tracker: str, kr_ids: tuple[str, ...], blocked_category: str | None,
              numbers: Mapping[str, float], seen: datetime | None, url: str | None = None) -> WorkItem:
    """The tracker-neutral work item for a task (``seen``: when its change was observed)."""
    due_day: date | None = task.due.astimezone(UTC).date() if task.due else None
    blocked = blocked_category is not None and any(n.casefold() == blocked_category.casefold()
                                                   for n in task.categories)
    return WorkItem(
        tracker=tracker, key=task.id, title=task.title, status=status_of(task.percent), kr_ids=kr_ids,
        blocked=blocked, assignee=task.assignees[0] if task.assignees else None, due=due_day,
        planned_week=iso_week(due_day) if due_day else None, numbers=dict(numbers),
        updated=seen, completed=task.completed, url=url,
    )


def numbers_in(description: str, wanted: Iterable[str]) -> dict[str, float]:
    """Values of ``name: number`` lines in a task description, for the wanted field names."""
    names = {name.casefold(): name for name in wanted}
    found: dict[str, float] = {}
    for line in description.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().casefold() in names:
            try:
                found[names[key.strip().casefold()]] = float(value.strip().replace(",", ""))
            except ValueError:
                continue
    return found


def read_watermark(since: str | None) -> Etags:
    """ETags from a watermark; an unreadable or foreign one means "no knowledge" (a full read)."""
    if not since:
        return {}
    try:
        data = json.loads(since)
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("v") != WATERMARK_VERSION or not isinstance(data.get("plans"), dict):
        return {}
    return {str(plan): {str(t): str(e) for t, e in tasks.items()}
            for plan, tasks in data["plans"].items() if isinstance(tasks, dict)}


def write_watermark(etags: Etags) -> str:
    """The compact, stable JSON watermark for these ETags."""
    return json.dumps({"v": WATERMARK_VERSION, "plans": etags}, sort_keys=True, separators=(",", ":"))
