"""KR discovery: Key Results defined as Jira issues, so managers can define OKRs in Jira alone.

A ``discover`` rule names a JQL (default ``issuetype = "Key Result"``) and the custom fields holding the
KR's data, by name or id::

    discover:
      - tracker: jira
        jql: issuetype = "Key Result"
        fields: {objective: "Objective", baseline: "KR Baseline", target: "KR Target", kind: "KR Kind",
                 id: "KR Id", unit: "KR Unit", stretch: "KR Stretch"}

Each matching issue becomes a :class:`DiscoveredKr` whose home is the issue itself; its id is the ``id``
field's value, or the issue key when no ``id`` field is configured. Issues lacking what a KR needs are
reported as :class:`ItemProblem` (never fatal). The engine sets them beside the YAML definitions
(:func:`okr_sync.engine.discovery.merge_with_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okr_sync.config.errors import ConfigurationError, Problem
from okr_sync.config.models import DiscoverRule
from okr_sync.connectors.base import ItemProblem
from okr_sync.connectors.capabilities import DiscoveredKr
from okr_sync.connectors.jira.fields import FieldCatalogue
from okr_sync.connectors.jira.items import number_value, text_values
from okr_sync.mapping import HomeItem

DEFAULT_JQL = 'issuetype = "Key Result"'
KINDS = ("value", "quality", "deliverable")
ROLES = ("id", "objective", "baseline", "target", "kind", "unit", "stretch")


def resolve_fields(rule: DiscoverRule, catalogue: FieldCatalogue, index: int) -> dict[str, str]:
    """role → field id; unknown roles and unknown fields are configuration errors naming the setting."""
    unknown = set(rule.fields) - set(ROLES)
    if unknown:
        raise ConfigurationError([Problem(f"discover.{index}.fields", f"unknown role(s) {sorted(unknown)}; the "
                                                                       f"roles are {', '.join(ROLES)}")])
    return {role: catalogue.resolve(ref, setting=f"discover.{index}.fields.{role}").id
            for role, ref in rule.fields.items()}


def read_kr(tracker: str, raw: Mapping[str, Any], ids: Mapping[str, str]) -> DiscoveredKr | ItemProblem:
    """One issue as a KR, or the problem that stops it being one."""
    key = str(raw["key"])
    fields = raw.get("fields") or {}

    def text(role: str) -> list[str]:
        return text_values(fields.get(ids[role])) if role in ids else []

    missing = [role for role in ("objective", "baseline", "target") if role not in ids or
               (not text(role) if role == "objective" else number_value(fields.get(ids[role])) is None)]
    if missing:
        return ItemProblem(tracker, key, f"Key Result issue {key} lacks {', '.join(missing)}; fill the field(s) "
                                         "in Jira or define the KR in okr-sync.yaml")
    kind = (text("kind") or ["value"])[0].casefold()
    if kind not in KINDS:
        return ItemProblem(tracker, key, f"Key Result issue {key} has kind {kind!r}; use one of {', '.join(KINDS)}")
    baseline, target = number_value(fields.get(ids["baseline"])), number_value(fields.get(ids["target"]))
    assert baseline is not None and target is not None
    if baseline == target:
        return ItemProblem(tracker, key, f"Key Result issue {key}: target equals baseline ({target:g}); set a "
                                         "target that differs")
    assignee = fields.get("assignee") or {}
    return DiscoveredKr(
        id=(text("id") or [key])[0], title=str(fields.get("summary") or key),
        objective_ids=tuple(text("objective")), kind=kind, baseline=baseline, target=target,
        home=HomeItem(tracker, key), unit=next(iter(text("unit")), None),
        stretch=number_value(fields.get(ids["stretch"])) if "stretch" in ids else None,
        owner=(assignee.get("accountId") or assignee.get("name")) if isinstance(assignee, dict) else None)
