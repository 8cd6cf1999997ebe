"""Jira fields configured by name or id, resolved once against ``GET /rest/api/2/field``.

Admins write ``"OKR Progress"`` or ``customfield_10010``; Jira's APIs want the id. The catalogue is read
once per connector (one request) and also primes the ``jira`` library's own clause-name cache, which it
would otherwise fill with a second ``/field`` request before every search. A name that does not exist
is a configuration error listing the closest names, so a typo is fixed in one round.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from okr_sync.config.errors import ConfigurationError, Problem

FLAGGED = "Flagged"
"""Jira Software's impediment flag (a multi-checkbox custom field), read as "blocked" when present."""


@dataclass(frozen=True, slots=True)
class JiraField:
    """One field as ``/field`` lists it."""

    id: str
    name: str
    custom: bool
    schema_type: str | None
    clause_names: tuple[str, ...]

    @property
    def is_option(self) -> bool:
        """Select-list style fields take ``{"value": …}``."""
        return self.schema_type == "option"


class FieldCatalogue:
    """Name-or-id lookup over the site's fields."""

    def __init__(self, tracker: str, raw_fields: Iterable[Mapping[str, Any]]) -> None:
        self.tracker = tracker
        self.fields: dict[str, JiraField] = {}
        self._by_name: dict[str, list[JiraField]] = {}
        for raw in raw_fields:
            schema = raw.get("schema") or {}
            entry = JiraField(id=str(raw["id"]), name=str(raw.get("name") or raw["id"]),
                              custom=bool(raw.get("custom")), schema_type=schema.get("type"),
                              clause_names=tuple(str(c) for c in raw.get("clauseNames") or ()))
            self.fields[entry.id] = entry
            self._by_name.setdefault(entry.name.casefold(), []).append(entry)

    def clause_cache(self) -> dict[str, str]:
        """Clause name → field id, the shape of the ``jira`` library's ``_fields_cache``."""
        return {clause: f.id for f in self.fields.values() for clause in f.clause_names}

    def find(self, ref: str) -> JiraField | None:
        """The field with this id or (case-insensitive, unique) name, or None."""
        if ref in self.fields:
            return self.fields[ref]
        named = self._by_name.get(ref.strip().casefold(), [])
        return named[0] if len(named) == 1 else None

    def resolve(self, ref: str, *, setting: str) -> JiraField:
        """The field ``ref`` names; a :class:`ConfigurationError` naming ``setting`` and the closest names."""
        found = self.find(ref)
        if found is not None:
            return found
        named = self._by_name.get(ref.strip().casefold(), [])
        if len(named) > 1:
            ids = ", ".join(f.id for f in named)
            raise self._error(setting, f"several Jira fields are named '{ref}' ({ids}); write the id instead")
        names = sorted({f.name for f in self.fields.values()})
        close = difflib.get_close_matches(ref, names, n=3, cutoff=0.5) or \
            difflib.get_close_matches(ref.casefold(), [n.casefold() for n in names], n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(n) for n in close)}?" if close else \
            "custom fields here: " + (", ".join(repr(f.name) for f in self.fields.values() if f.custom) or "none")
        raise self._error(setting, f"no Jira field named '{ref}'; {hint} (name a field by its exact name or "
                                   "its id such as customfield_10010)")

    def _error(self, setting: str, message: str) -> ConfigurationError:
        return ConfigurationError([Problem(path=f"trackers.{self.tracker}.{setting}", message=message)],
                                  tracker=self.tracker)

    def flagged(self) -> JiraField | None:
        """Jira Software's "Flagged" field when the site has it."""
        found = self._by_name.get(FLAGGED.casefold(), [])
        return found[0] if found else None
