"""KRs defined in a tracker itself (``discover:``), merged into the configuration's OKRs.

Managers may define Key Results as tracker items (e.g. issues of type "Key Result" with objective, baseline,
target and kind in custom fields) instead of editing ``okr-sync.yaml``, on trackers whose connector
:class:`~okr_sync.connectors.capabilities.Discovers`. The YAML wins where both define a KR;
every difference is reported, never silently resolved. A discovered KR's current value is the owner's
manual value (``manual_value_field`` on its home issue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from okr_sync.config.errors import SyncError
from okr_sync.config.models import Settings
from okr_sync.connectors.base import Connector
from okr_sync.connectors.capabilities import DiscoveredKr, Discovers
from okr_sync.engine.domain import Domain, home_item
from okr_sync.mapping import KeyResult, KrKind, MetricMeasure


def discover(domain: Domain, settings: Settings, connectors: Mapping[str, Connector]) -> tuple[Domain, list[str]]:
    """``domain`` plus the KRs the ``discover`` rules find; problems and conflicts as sentences."""
    problems: list[str] = []
    added: dict[str, KeyResult] = {}
    cycles: dict[str, str] = {}
    for index, rule in enumerate(settings.discover):
        connector = connectors.get(rule.tracker)
        if not isinstance(connector, Discovers):
            kind = settings.trackers[rule.tracker].kind if rule.tracker in settings.trackers else "unknown"
            problems.append(f"discover.{index}: tracker '{rule.tracker}' cannot define KRs (its {kind} connector "
                            "does not discover KRs); define them in okr-sync.yaml")
            continue
        try:
            found, skipped = connector.discover(rule, index=index)
        except SyncError as exc:
            problems.append(f"discover.{index}: {exc}")
            continue
        problems += [f"{p.tracker} {p.subject}: {p.message}" for p in skipped]
        new, conflicts = merge_with_config(settings, found)
        problems += conflicts
        for kr in new:
            objective = next((o for o in kr.objective_ids if o in domain.objectives), None)
            if objective is None:
                problems.append(f"{kr.home.tracker} {kr.home.key}: KR {kr.id} names no configured objective "
                                f"({', '.join(kr.objective_ids) or 'none'}); add the objective to okr-sync.yaml")
                continue
            added[kr.id] = KeyResult(
                id=kr.id, title=kr.title, objective_ids=tuple(o for o in kr.objective_ids if o in domain.objectives),
                owner=kr.owner, department=None, kind=_kind(kr.kind),
                measure=MetricMeasure(kr.baseline, kr.target, kr.stretch, kr.unit, "manual"), home=kr.home)
            cycles[kr.id] = domain.objectives[objective].cycle
    if not added:
        return domain, problems
    return replace(domain, key_results={**domain.key_results, **added},
                   kr_cycle={**domain.kr_cycle, **cycles}), problems


def _kind(value: str) -> KrKind:
    try:
        return KrKind(value)
    except ValueError:
        return KrKind.VALUE


def merge_with_config(settings: Settings, found: list[DiscoveredKr]) -> tuple[list[DiscoveredKr], list[str]]:
    """KRs found only in the tracker, and one sentence per difference with a KR also defined in the YAML."""
    defined = {kr.id: (objective, kr) for objective, kr in settings.key_results()}
    added, conflicts = [], []
    for kr in found:
        if kr.id not in defined:
            added.append(kr)
            continue
        objective, yaml_kr = defined[kr.id]
        measure = yaml_kr.measure
        pairs: list[tuple[str, Any, Any]] = [("objective", objective.id, kr.objective_ids[0] if kr.objective_ids
                                              else None), ("kind", yaml_kr.kind, kr.kind)]
        if measure.type == "metric":
            pairs += [("baseline", measure.baseline, kr.baseline), ("target", measure.target, kr.target)]
        yaml_home = home_item(yaml_kr.home, settings)
        if yaml_home is not None and yaml_home.tracker == kr.home.tracker:
            pairs.append(("home", yaml_home.key, kr.home.key))
        for name, yaml_value, tracker_value in pairs:
            if yaml_value != tracker_value:
                conflicts.append(f"KR {kr.id}: {name} is {yaml_value!r} in okr-sync.yaml but {tracker_value!r} in "
                                 f"{kr.home.tracker} {kr.home.key}; the YAML value is used — change one of them")
    return added, conflicts
