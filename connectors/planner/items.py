"""Translating Planner tasks into work items: link rules, status, planned week, watermark.

Pure functions over plain data (no Graph types), so they are tested without a sandbox. A Planner
task is linked to KRs by the name of its bucket, a prefix of its title, or the names of the
categories (labels) applied to it, each a pattern with ``{kr}``, applied by :mod:`mapping.links` with
the same meaning as on every tracker.

The watermark is JSON: ``{"v": 1, "plans": {"<plan id>": {"<task id>": "<ETag>"}}}``. Graph has no
"changed since" for Planner, so a pull lists each plan's tasks and compares ETags: a task whose ETag
is new or different changed; tasks missing from the list are gone (reported by a full pull).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.trackers import LinkRule
from okr_sync.connectors import watermark
from okr_sync.connectors.planner.plugin import PLUGIN
from okr_sync.mapping import StatusCategory, WorkItem, iso_week
from okr_sync.mapping.links import LinkFacts, LinkRules

SUPPORTED = PLUGIN.link_rules
"""The link rules the plugin declares (configuration validation reads the same declaration)."""
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
    """The configured link rules of a Planner tracker, compiled once (:class:`mapping.links.LinkRules`)."""

    def __init__(self, rules: Sequence[LinkRule], *, tracker: str) -> None:
        try:
            self.rules = LinkRules.compile(((rule.rule, rule.pattern) for rule in rules), supported=SUPPORTED)
        except ValueError as exc:
            raise ConfigurationError(str(exc), tracker=tracker) from None
        self.bucket = "bucket" in self.rules.kinds()
        self.category = "category" in self.rules.kinds()

    @property
    def needs_names(self) -> bool:
        """Whether bucket or category names are needed to link (else the tasks list alone suffices)."""
        return self.bucket or self.category

    def kr_ids(self, task: TaskFacts, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Every KR id the task names, in rule order, without duplicates (``known``: configured KR ids)."""
        facts = LinkFacts(title=task.title, bucket=task.bucket, categories=task.categories)
        return self.rules.kr_ids(facts, known=known)


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


def read_watermark(since: str | None) -> Etags:
    """ETags from a watermark; an unreadable or foreign one means "no knowledge" (a full read)."""
    data = watermark.decode(since)
    if data is None or not isinstance(data.get("plans"), dict):
        return {}
    return {str(plan): {str(t): str(e) for t, e in tasks.items()}
            for plan, tasks in data["plans"].items() if isinstance(tasks, dict)}


def write_watermark(etags: Etags) -> str:
    """The compact, stable JSON watermark for these ETags."""
    return watermark.encode({"plans": etags})
