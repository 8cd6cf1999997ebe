"""People across trackers: resolving assignees to the directory, each owner's weekly action plan, the
per-owner companion findings, and ``okr-sync people import`` proposals (matched by e-mail)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import yaml

from okr_sync.config.models import Settings
from okr_sync.config.people import Person
from okr_sync.engine.domain import Domain
from okr_sync.mapping import (
    Finding,
    WeekExecution,
    WorkItem,
    owners_without_plan,
    planned_vs_executed,
    unlinked_team_work,
    week_bounds,
)
from okr_sync.mapping.execution import is_planned_for


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
        if owner not in kr.all_owners:  # co-owners each see the KR in their week
            continue
        items = domain.linked_work(kr.id, items_by_kr.get(kr.id, []))
        planned = [i for i in items if is_planned_for(i, week, monday, sunday)]
        grouped: dict[str, list[WorkItem]] = defaultdict(list)
        for item in sorted(planned, key=lambda i: (i.tracker, i.key)):
            grouped[directory.display(item.tracker, item.assignee)].append(item)
        plans.append(KrWeekPlan(kr.id, kr.title, dict(sorted(grouped.items())), planned_vs_executed(items, week)))
    person = directory.people.get(owner)
    return WeeklyPlan(owner, person.name if person else owner, week, plans)


def owners(domain: Domain) -> Sequence[str]:
    """Every KR owner, in order of first appearance."""
    return list(dict.fromkeys(o for kr in domain.key_results.values() for o in kr.all_owners))


# -- okr-sync people import ----------------------------------------------------------------------------


@dataclass
class ImportProposal:
    """What ``okr-sync people import`` proposes for one tracker; nothing here is applied."""

    tracker: str
    read: int = 0
    already_mapped: int = 0
    missing_identities: list[dict[str, object]] = field(default_factory=list)
    new_people: list[dict[str, object]] = field(default_factory=list)
    conflicts: list[dict[str, object]] = field(default_factory=list)
    without_email: list[dict[str, object]] = field(default_factory=list)
    by_name: list[dict[str, object]] = field(default_factory=list)
    """Identities matched by display name (no e-mail visible, e.g. Jira Cloud's profile visibility)."""


def propose_import(tracker: str, people: Sequence[Person], users: Iterable[dict[str, object]]) -> ImportProposal:
    """Match a tracker's users (``{"identity", "name", "email"}``) to the directory by e-mail.

    A user whose e-mail (case-insensitive) is a person's gets proposed as that person's identity on
    ``tracker`` when they have none (a different one is a conflict, left to a person). A user no person
    has is a proposed new entry with an id from the e-mail's local part. A user without a visible e-mail
    (Jira Cloud hides it unless the profile shows it) is matched by its identity, else by a display
    name exactly one person has (proposed separately, to be checked); the others are listed as not
    matched so that someone can map them by hand.
    """
    out = ImportProposal(tracker)
    by_email = {p.email.strip().lower(): p for p in people if p.email}
    mapped = {(p.identities.get(tracker) or "").strip().lower() for p in people} - {""}
    taken = {p.id for p in people}
    names: dict[str, list[Person]] = {}
    for p in people:
        names.setdefault(p.name.strip().casefold(), []).append(p)
    for user in users:
        out.read += 1
        identity, name = str(user.get("identity") or ""), str(user.get("name") or "")
        email = str(user.get("email") or "").strip()
        person = by_email.get(email.lower()) if email else None
        if person is not None:
            have = (person.identities.get(tracker) or "").strip()
            if not have:
                out.missing_identities.append({"id": person.id, "identities": {tracker: identity}})
            elif have.lower() == identity.lower():
                out.already_mapped += 1
            else:
                out.conflicts.append({"id": person.id, "configured": have, "found": identity, "name": name})
        elif identity.lower() in mapped:
            out.already_mapped += 1
        elif email:
            new_id = _new_id(email, taken)
            taken.add(new_id)
            out.new_people.append({"id": new_id, "name": name or new_id, "department": None, "email": email,
                                   "identities": {tracker: identity}})
        elif len(same := names.get(name.strip().casefold(), [])) == 1 and not (same[0].identities.get(tracker) or ""):
            out.by_name.append({"id": same[0].id, "identities": {tracker: identity}})
        else:
            out.without_email.append({"identity": identity, "name": name})
    return out


def _new_id(email: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9._-]+", "-", email.partition("@")[0].lower()).strip("-.") or "person"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def import_yaml(proposal: ImportProposal) -> str:
    """The proposal as YAML to review and paste into ``people:`` (or the ``people_file``)."""
    p = proposal
    head = (f"# okr-sync people import --from {p.tracker}: {p.read} user(s) read; {p.already_mapped} already "
            f"mapped, {len(p.missing_identities)} identity(ies) missing on existing people, {len(p.new_people)} "
            f"new, {len(p.conflicts)} conflict(s), {len(p.by_name)} matched by name only, {len(p.without_email)} "
            "not matched (no visible e-mail).\n"
            "# Nothing was changed. Review, then copy what you want into people: (or the people_file).\n")
    sections = [
        ("missing_identities", "Add these identities to the existing people of the same id:", p.missing_identities),
        ("new_people", "Users no person has (matched by e-mail): set department and check the id:", p.new_people),
        ("conflicts", "Same e-mail, another identity configured: decide which is right:", p.conflicts),
        ("by_name", "No e-mail visible; matched by display name only: check each, then add the identity:",
         p.by_name),
        ("without_email", "Not matched (no e-mail visible to okr-sync's account, no person of that name): map them "
                          "by hand if they own KRs:", p.without_email),
    ]
    body = "".join(f"\n# {note}\n" + yaml.safe_dump({key: rows}, sort_keys=False, allow_unicode=True,
                                                     default_flow_style=False)
                   for key, note, rows in sections)
    return head + body


# -- companion findings per owner ------------------------------------------------------------------------


def owner_findings(domain: Domain, settings: Settings, items: Sequence[WorkItem],
                   items_by_kr: Mapping[str, Sequence[WorkItem]], *, now: datetime,
                   finished: Collection[str] = ()) -> dict[str, list[Finding]]:
    """Owner id → the per-owner companion findings (no plan next week on any KR; team work linked to no
    KR), with assignees resolved through the people directory."""
    directory = Directory(settings.people)

    def resolve(tracker: str, identity: str) -> str | None:
        person = directory.resolve(tracker, identity)
        return person.id if person is not None else None

    krs = list(domain.key_results.values())
    ends = {kr_id: domain.cycles[cycle].end for kr_id, cycle in domain.kr_cycle.items() if cycle in domain.cycles}
    found: dict[str, list[Finding]] = {}
    for finding in (*owners_without_plan(krs, items_by_kr, now=now, cycle_ends=ends, finished=finished),
                    *unlinked_team_work(krs, items_by_kr, items, resolve=resolve, homes=domain.homes().values())):
        found.setdefault(finding.subject, []).append(finding)
    return found


def week_eve(week: str) -> datetime:
    """Noon UTC on the Sunday before ``week``: the moment for which ``week`` is "next week"."""
    return datetime.combine(week_bounds(week)[0] - timedelta(days=1), time(12), UTC)
