"""Write-back on Jira KR home issues, as a diff: read current values, plan only what differs, apply.

What okr-sync owns on a home issue, and nothing else:

- the configured custom fields ``write.fields.progress|forecast`` (numbers, percent rounded to 0.1),
  ``write.fields.status`` (select option from ``write.status_options``) and ``write.fields.last_sync``
  (written only together with another change, so an unchanged KR costs no write);
- one status comment (marker ``okr-sync:status:<id>``), edited in place;
- one check-in comment per KR and ISO week (marker ``okr-sync:checkin:<id>:<week>``), upserted.

How okr-sync finds its comments and decides they are unchanged (a comment property on Cloud, the anchor
on Server/DC, always by okr-sync's own user) is :mod:`okr_sync.connectors.jira.comments`. People's
comments, other fields, the description and labels are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from okr_sync.connectors.base import DesiredHome, Write
from okr_sync.connectors.jira.comments import CAP, body_hash, canonical, cap_comment
from okr_sync.connectors.jira.fields import FieldCatalogue, JiraField
from okr_sync.connectors.jira.settings import JiraTracker
from okr_sync.mapping import KrStatus, checkin_marker, parse_marker, render_checkin, render_status_block, status_marker

ROLES = ("progress", "status", "forecast")


def marker_key(body: str) -> str | None:
    """The okr-sync marker text a comment body carries (status or check-in), or None for human comments."""
    marker = parse_marker(body)
    if marker is None:
        return None
    if marker.kind == "status":
        return status_marker(marker.subject_id)
    return checkin_marker(marker.subject_id, marker.week or "")


def same_text(a: str | None, b: str | None) -> bool:
    """Equal up to line endings and trailing whitespace (what Jira may normalise)."""
    def norm(text: str | None) -> str:
        return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
    return norm(a) == norm(b)


@dataclass(frozen=True, slots=True)
class WriteFields:
    """The configured write fields, resolved: role → field."""

    fields: Mapping[str, JiraField]
    last_sync: JiraField | None

    @classmethod
    def resolve(cls, settings: JiraTracker, catalogue: FieldCatalogue) -> WriteFields:
        """Resolve ``write.fields.*`` (configuration errors name the setting and the closest names)."""
        configured = settings.write.fields
        fields = {role: catalogue.resolve(ref, setting=f"write.fields.{role}")
                  for role in ROLES if (ref := getattr(configured, role))}
        last = catalogue.resolve(configured.last_sync, setting="write.fields.last_sync") \
            if configured.last_sync else None
        return cls(fields, last)

    def ids(self) -> list[str]:
        """Field ids to read on a home issue."""
        return [f.id for f in self.fields.values()] + ([self.last_sync.id] if self.last_sync else [])

    def current(self, raw_fields: Mapping[str, Any]) -> dict[str, Any]:
        """role → current value (number, option text or None)."""
        out: dict[str, Any] = {}
        for role, f in self.fields.items():
            value = raw_fields.get(f.id)
            out[role] = value.get("value") if isinstance(value, dict) else value
        return out


def desired_values(settings: JiraTracker, desired: DesiredHome) -> dict[str, Any]:
    """role → the value okr-sync wants shown."""
    status = desired.status
    forecast = status.forecast if isinstance(status, KrStatus) else None
    return {
        "progress": round(status.progress * 100, 1),
        "status": settings.write.status_options.get(status.status.value, status.status.value),
        "forecast": None if forecast is None else round(forecast * 100, 1),
    }


def plan_home(settings: JiraTracker, fields: WriteFields, desired: DesiredHome, values: Mapping[str, Any],
              now: datetime) -> list[Write]:
    """The writes one home issue needs (none when it already shows ``desired``)."""
    home, writes = desired.home, []
    current = values.get("fields") or {}
    for role, value in desired_values(settings, desired).items():
        f = fields.fields.get(role)
        if f is None or _same_value(current.get(role), value):
            continue
        wire = {"value": value} if f.is_option and value is not None else value
        writes.append(Write(home, f"field {f.name}", _show(current.get(role)), _show(value) or "(empty)",
                            {"op": "field", "field": f.id, "value": wire}))
    comments: Mapping[str, Mapping[str, Any]] = values.get("comments") or {}
    legacy: list[Mapping[str, Any]] = list(values.get("legacy") or [])
    if settings.write.status_comment:
        body = cap_comment(render_status_block(desired.status, "wiki",
                                               title=f"OKR status — {desired.subject_id} {desired.title}".rstrip()))
        writes += _upsert(home, "status comment", status_marker(desired.subject_id), body, comments, legacy,
                          f"OKR status — {desired.subject_id}")
    if settings.write.checkin_comment and desired.checkin is not None:
        mention = f"Owner: {desired.owner_mention}\n" if desired.owner_mention else ""
        body = cap_comment(render_checkin(desired.checkin, "wiki"), CAP - len(mention)) + mention
        marker = checkin_marker(desired.checkin.kr_id, desired.checkin.week)
        writes += _upsert(home, f"check-in {desired.checkin.week}", marker, body, comments, legacy,
                          f"Weekly check-in {desired.checkin.kr_id} — {desired.checkin.week}")
    if writes and fields.last_sync is not None:
        stamp = now.astimezone(UTC)
        value = stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000") if fields.last_sync.schema_type == "datetime" \
            else stamp.strftime("%Y-%m-%d %H:%M UTC")
        writes.append(Write(home, f"field {fields.last_sync.name}", _show(current.get("last_sync")), value,
                            {"op": "field", "field": fields.last_sync.id, "value": value}))
    return writes


def _upsert(home: Any, target: str, marker: str, body: str, comments: Mapping[str, Mapping[str, Any]],
            legacy: list[Mapping[str, Any]], title: str) -> list[Write]:
    existing = comments.get(marker) or _adopt(legacy, title)
    if existing is None:
        return [Write(home, target, None, body, {"op": "comment_add", "marker": marker, "body": body})]
    sha = existing.get("sha")
    if (sha == body_hash(body)) if sha else (not existing.get("adopt") and same_text(existing.get("body"), body)):
        return []
    return [Write(home, target, existing.get("body"), body,
                  {"op": "comment_edit", "marker": marker, "body": body, "id": existing.get("id"),
                   "self": existing.get("self")})]


def _adopt(legacy: list[Mapping[str, Any]], title: str) -> Mapping[str, Any] | None:
    """An earlier version's comment (no property, anchor lost) whose heading is ``title`` [+ " " + KR title].

    Taken out of ``legacy`` so that one comment is adopted once; it is then edited in place.
    """
    wanted = canonical(title)
    for index, entry in enumerate(legacy):
        head = str(entry.get("heading") or "")
        if head == wanted or head.startswith(wanted + " "):
            return {**legacy.pop(index), "adopt": True}
    return None


def _same_value(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(new, float):
        try:
            return abs(float(old) - new) < 0.05
        except (TypeError, ValueError):
            return False
    return str(old) == str(new)


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def issue_url(base_url: str, key: str) -> str:
    """REST v2 URL of an issue."""
    return f"{base_url}/rest/api/2/issue/{quote(key, safe='')}"


def fields_body(writes: list[Write]) -> str:
    """The ``PUT /issue`` body setting every field of ``writes``."""
    return json.dumps({"fields": {w.payload["field"]: w.payload["value"] for w in writes}})
