"""People across trackers: resolving assignees to the directory, and each owner's weekly action plan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from config.models import Settings
from config.people import Person
from mapping import WeekExecution, WorkItem, planned_vs_executed, week_bounds
from mapping.execution import is_planned_for
from sync.domain import Domain


class Directory:
    """Looks people up by id, or by a tracker identity, display name or e-mail (case-insensitive)."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people = {p.id: p for p in people}
        self._by_identity: dict[tuple[str, str], Person] = {}
        self._by_name: dict[str, Person] = {}
        for person in self.people.values():
            for tracker, identity in person.identities.items():
                self._by_identity[(tracker, identity.strip().lower())] = person
            for alias in (person.id, person.name, person.email):
                if alias:
                    self._by_name.setdefault(alias.strip().lower(), person)

    def resolve(self, tracker: str, identity: str | None) -> Person | None:
        """The person behind a tracker-native identity (accountId, username, display name, e-mail)."""
        if not identity:
            return None
        key = identity.strip().lower()
        return self._by_identity.get((tracker, key)) or self._by_name.get(key)

    def display(self, tracker: str, identity: str | None) -> str:
        """A person's name when known, else the identity itself, else ``unassigned``."""
        person = self.resolve(tracker, identity)
        return person.name if person is not None else (identity or "unassigned")


@dataclass
class KrWeekPlan:
    """One KR's part of an owner's week: items per assignee and planned vs executed."""

    kr_id: str
    title: str
    by_assignee: dict[str, list[WorkItem]] = field(default_factory=dict)
    execution: WeekExecution | None = None


@dataclass
class WeeklyPlan:
    """An owner's weekly action plan across every tracker."""

    owner: str
    owner_name: str
    week: str
    key_results: list[KrWeekPlan]

    @property
    def trackers(self) -> set[str]:
        """Trackers the plan's items live in."""
        return {i.tracker for kr in self.key_results for items in kr.by_assignee.values() for i in items}


def weekly_plan(owner: str, week: str, domain: Domain, settings: Settings,
                items_by_kr: dict[str, list[WorkItem]]) -> WeeklyPlan:
    """Items planned for ``week`` on the KRs ``owner`` owns, grouped by KR and assignee."""
    directory = Directory(settings.people)
    monday, sunday = week_bounds(week)
    plans = []
    for kr in domain.key_results.values():
        if kr.owner != owner:
            continue
        items = items_by_kr.get(kr.id, [])
        planned = [i for i in items if is_planned_for(i, week, monday, sunday)]
        grouped: dict[str, list[WorkItem]] = defaultdict(list)
        for item in sorted(planned, key=lambda i: (i.tracker, i.key)):
            grouped[directory.display(item.tracker, item.assignee)].append(item)
        plans.append(KrWeekPlan(kr.id, kr.title, dict(sorted(grouped.items())), planned_vs_executed(items, week)))
    person = directory.people.get(owner)
    return WeeklyPlan(owner, person.name if person else owner, week, plans)


def owners(domain: Domain) -> Sequence[str]:
    """Every KR owner, in order of first appearance."""
    return list(dict.fromkeys(kr.owner for kr in domain.key_results.values() if kr.owner))
