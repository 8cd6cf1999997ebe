"""KRs defined in a tracker itself (``discover:``), merged into the configuration's OKRs.

Managers may define Key Results as Jira issues (issue type "Key Result" with objective, baseline, target
and kind in custom fields) instead of editing ``okr-sync.yaml``. The YAML wins where both define a KR;
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
from okr_sync.engine.domain import Domain
from okr_sync.mapping import KeyResult, KrKind, MetricMeasure


def discover(domain: Domain, settings: Settings, connectors: Mapping[str, Connector]) -> tuple[Domain, list[str]]:
    """``domain`` plus the KRs the ``discover`` rules find; problems and conflicts as sentences."""
    problems: list[str] = []
    added: dict[str, KeyResult] = {}
    cycles: dict[str, str] = {}
    for index, rule in enumerate(settings.discover):
        connector: Any = connectors.get(rule.tracker)
        if connector is None or not callable(getattr(connector, "discover", None)):
            problems.append(f"discover.{index}: tracker '{rule.tracker}' cannot define KRs (only Jira can)")
            continue
        try:
            found, skipped = connector.discover(rule, index=index)
        except SyncError as exc:
            problems.append(f"discover.{index}: {exc}")
            continue
        problems += [f"{p.tracker} {p.subject}: {p.message}" for p in skipped]
        from okr_sync.connectors.jira.discover import merge_with_config

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
