"""The configuration's OKRs as mapping's domain objects, and the per-tracker pull specs derived from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from okr_sync.config import models as cfg
from okr_sync.config.models import Settings
from okr_sync.config.plugins import installed
from okr_sync.connectors.base import PullSpec
from okr_sync.mapping import (
    CompletionMeasure,
    Cycle,
    HomeItem,
    KeyResult,
    KrKind,
    Measure,
    MetricMeasure,
    Objective,
    StatusCategory,
    WorkItem,
)


@dataclass(frozen=True)
class Domain:
    """Cycles, objectives and KRs of one configuration, with lookups the engine needs."""

    cycles: dict[str, Cycle]
    objectives: dict[str, Objective]
    key_results: dict[str, KeyResult]
    kr_cycle: dict[str, str]
    source_tracker: dict[str, str] = field(default_factory=dict)
    """KR id → tracker whose items a metric KR aggregates (absent: items from any tracker)."""
    identities: dict[str, dict[str, str]] = field(default_factory=dict)
    """Person id → tracker name → identity there (the people directory)."""
    locale: str = "en"
    """How numbers people type are read (``settings.locale``)."""
    field_paths: dict[str, str] = field(default_factory=dict)
    """KR id → where its measure's field is configured (``objectives[0].key_results[1].measure.source.sum_field``),
    for problems that name the KR's own key."""

    def homes(self) -> dict[str, HomeItem]:
        """Subject (KR or objective) id → home item."""
        found = {kr.id: kr.home for kr in self.key_results.values() if kr.home is not None}
        found.update({o.id: o.home for o in self.objectives.values() if o.home is not None})
        return found

    def linked_work(self, kr_id: str, items: Iterable[WorkItem]) -> list[WorkItem]:
        """The items linked to a KR, without the KR's own home item.

        A home is never its own work: a Planner home task kept in the KR's own bucket (or a Jira home
        labelled like its work) would count as one of its items — 2/5 instead of 2/4 — and then be fed
        okr-sync's own percentComplete back.
        """
        home = self.key_results[kr_id].home
        return [i for i in items if home is None or (i.tracker, i.key) != (home.tracker, home.key)]

    def cycle_of(self, subject_id: str) -> Cycle:
        """The cycle of a KR or objective."""
        if subject_id in self.objectives:
            return self.cycles[self.objectives[subject_id].cycle]
        return self.cycles[self.kr_cycle[subject_id]]

    def pull_spec(self, tracker: str) -> PullSpec:
        """What a pull of ``tracker`` must deliver besides the items."""
        homes = {subject: home for subject, home in self.homes().items() if home.tracker == tracker}
        numbers = frozenset(
            kr.measure.field for kr in self.key_results.values()
            if isinstance(kr.measure, MetricMeasure) and kr.measure.field
            and self.source_tracker.get(kr.id, tracker) == tracker
        )
        manual = {kr.home: kr.id for kr in self.key_results.values()
                  if kr.home is not None and kr.home.tracker == tracker
                  and isinstance(kr.measure, MetricMeasure) and kr.measure.source == "manual"}
        owners = {kr.id: self.identities.get(kr.owner, {}).get(tracker, kr.owner)
                  for kr in self.key_results.values() if kr.owner}
        co_owners = {kr.id: tuple(self.identities.get(o, {}).get(tracker, o) for o in kr.all_owners)
                     for kr in self.key_results.values() if len(kr.all_owners) > 1}
        paths: dict[str, tuple[str, ...]] = {}
        for kr in self.key_results.values():
            if isinstance(kr.measure, MetricMeasure) and kr.measure.field in numbers and kr.id in self.field_paths:
                paths[kr.measure.field] = (*paths.get(kr.measure.field, ()), f"{self.field_paths[kr.id]} (KR {kr.id})")
        return PullSpec(kr_homes=homes, number_fields=numbers, manual_homes=manual, owners=owners,
                        kr_ids=frozenset(self.key_results), locale=self.locale, number_paths=paths,
                        co_owners=co_owners)


def home_item(ref: cfg.HomeRef | None, settings: Settings) -> HomeItem | None:
    """A configured home reference as a :class:`HomeItem`, keyed as the tracker's connector keys its items."""
    if ref is None:
        return None
    home = installed()[settings.trackers[ref.tracker].kind].home
    key = home.model_validate({name: getattr(ref, name, None) for name in home.model_fields}).item_key()
    return HomeItem(ref.tracker, key)


def _measure(measure: cfg.MetricMeasure | cfg.CompletionMeasure) -> tuple[Measure, str | None]:
    if isinstance(measure, cfg.CompletionMeasure):
        return CompletionMeasure(weight=measure.weight, partial_credit=measure.partial_credit), None
    source = measure.source
    if source == "manual" or isinstance(source, str):
        return MetricMeasure(measure.baseline, measure.target, measure.stretch, measure.unit, "manual"), None
    kind: Literal["sum", "max", "last", "count"]
    if source.count is not None:
        kind, fld, status = "count", None, StatusCategory(source.count)
    else:
        kind = "sum" if source.sum_field else "max" if source.max_field else "last"
        fld, status = source.sum_field or source.max_field or source.last_field, None
    return MetricMeasure(measure.baseline, measure.target, measure.stretch, measure.unit, kind, fld, status,
                         source.items), source.tracker


def _departments(settings: Settings, declared: str | None, owners: list[str]) -> tuple[str, ...]:
    """The KR's department (declared, else its first owner's), then every co-owner's, each once."""
    found = [declared or _department(settings, owners[0] if owners else None),
             *(_department(settings, owner) for owner in owners[1:])]
    return tuple(dict.fromkeys(d for d in found if d))


def _department(settings: Settings, person_id: str | None) -> str | None:
    """A KR's department defaults to its owner's (people directory)."""
    person = settings.person(person_id)
    return person.department if person is not None else None


def build_domain(settings: Settings) -> Domain:
    """Translate the validated configuration into mapping's domain types."""
    cycles = {c.id: Cycle(c.id, c.start, c.end) for c in settings.cycles}
    objectives: dict[str, Objective] = {}
    key_results: dict[str, KeyResult] = {}
    kr_cycle: dict[str, str] = {}
    sources: dict[str, str] = {}
    for objective in settings.objectives:
        objectives[objective.id] = Objective(
            id=objective.id, title=objective.title, why=objective.why, owner=objective.owner,
            cycle=objective.cycle, departments=tuple(objective.departments), weight=objective.weight,
            parents=tuple(objective.parents), home=home_item(objective.home, settings),
        )
        for kr in objective.key_results:
            measure, source_tracker = _measure(kr.measure)
            if source_tracker:
                sources[kr.id] = source_tracker
            key_results[kr.id] = KeyResult(
                id=kr.id, title=kr.title, objective_ids=(objective.id, *kr.objectives), owner=kr.owner,
                department=kr.department or _department(settings, kr.owner), kind=KrKind(kr.kind), measure=measure,
                owners=tuple(kr.owners), departments=_departments(settings, kr.department, kr.owners),
                weight=kr.weight,
                home=home_item(kr.home, settings), confidence=kr.confidence,
            )
            kr_cycle[kr.id] = objective.cycle
    identities = {person.id: dict(person.identities) for person in settings.people}
    return Domain(cycles, objectives, key_results, kr_cycle, sources, identities, settings.locale,
                  field_paths(settings))


def field_paths(settings: Settings) -> dict[str, str]:
    """KR id → the configuration path of the number field its measure reads, when it reads one."""
    found = {}
    for o_index, objective in enumerate(settings.objectives):
        for k_index, kr in enumerate(objective.key_results):
            source = getattr(kr.measure, "source", None)
            key = next((k for k in ("sum_field", "max_field", "last_field") if getattr(source, k, None)), None)
            if key is not None:
                found[kr.id] = f"objectives[{o_index}].key_results[{k_index}].measure.source.{key}"
    return found
