"""Typed values okr-sync does not use, kept visible on every surface until they are fixed.

A connector reading a KR's home item returns the values typed there that do not count
(``HomeState.ignored``: not by an owner, unreadable, ambiguous in the locale). The engine remembers their
sentences per home item in the state store — home items are re-read only when they change, yet the
status block, ``okr-sync status`` and the report must keep saying why a value is not used — and every
computation from the store (:func:`okr_sync.engine.compute.compute_from_store`) adds them to the KR's
provenance notes, where the status block's "Source" line shows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from okr_sync.connectors.base import HomeState
from okr_sync.engine.domain import Domain
from okr_sync.engine.people import Directory
from okr_sync.mapping import HomeItem, KrStatus

TARGET = "seen: ignored typed values"
"""The store row (next to what okr-sync wrote on the home item) holding the sentences, as a JSON list."""
NO_VALUE = "no manual value entered yet"


def sentences_read(domain: Domain, states: Mapping[HomeItem, HomeState],
                   directory: Directory | None = None) -> dict[str, tuple[str, ...]]:
    """KR id → one sentence per ignored value, for the KRs whose home item was read just now: authors
    named as the people directory knows them, and "not the owner" saying what to fix when the owner has
    no identity on the home's tracker (the usual cause)."""
    found: dict[str, tuple[str, ...]] = {}
    for kr in domain.key_results.values():
        state = states.get(kr.home) if kr.home is not None else None
        if state is None or not state.exists or kr.home is None:
            continue
        tracker = kr.home.tracker
        lines = []
        for value in state.ignored:
            if directory is not None:
                value = replace(value, name=directory.display(tracker, value.name))
            unknown = [o for o in kr.all_owners if tracker not in domain.identities.get(o, {})]
            if not value.reason and unknown:
                names = ", ".join(directory.display(tracker, o) if directory is not None else o for o in unknown)
                value = replace(value, reason=f"{value.name} is not the KR owner as far as okr-sync knows: "
                                              f"{names} {'has' if len(unknown) == 1 else 'have'} no {tracker} "
                                              "identity in the people directory; add it")
            lines.append(value.sentence())
        found[kr.id] = tuple(lines)
    return found


def remember(store: Any, domain: Domain, fresh: Mapping[str, tuple[str, ...]]) -> None:
    """Store the sentences just read (an empty list forgets the KR's old ones: the value was fixed)."""
    for kr_id, sentences in fresh.items():
        home = domain.key_results[kr_id].home
        if home is None:
            continue
        if sentences:
            store.record_written(home.tracker, home.key, TARGET, json.dumps(list(sentences)))
        elif TARGET in store.written(home.tracker, home.key):
            store.forget_written(home.tracker, home.key, TARGET)


def stored(store: Any, domain: Domain, written: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
           ) -> dict[str, tuple[str, ...]]:
    """KR id → the sentences remembered for its home item (``written``: the store's ``written_all()``)."""
    found: dict[str, tuple[str, ...]] = {}
    for kr in domain.key_results.values():
        if kr.home is None:
            continue
        rows = written.get((kr.home.tracker, kr.home.key), {}) if written is not None else \
            store.written(kr.home.tracker, kr.home.key)
        if TARGET in rows:
            try:
                found[kr.id] = tuple(str(s) for s in json.loads(rows[TARGET]))
            except (ValueError, TypeError):
                continue
    return found


def with_sentences(status: KrStatus, sentences: tuple[str, ...]) -> KrStatus:
    """The KR's status whose provenance says why each typed value is not used (instead of "no manual
    value entered yet", which would contradict the value people see in the tracker)."""
    if not sentences:
        return status
    notes = tuple(n for n in status.provenance.notes if n != NO_VALUE)
    return replace(status, provenance=replace(status.provenance, notes=(*notes, *sentences)))


def problems(domain: Domain, sentences: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Tracker name → one problem line per ignored value of the KRs homed there (``once`` lists them)."""
    found: dict[str, list[str]] = {}
    for kr_id, lines in sentences.items():
        kr = domain.key_results.get(kr_id)
        if kr is not None and kr.home is not None:
            found.setdefault(kr.home.tracker, []).extend(f"KR {kr_id}: {line}" for line in lines)
    return found


def in_status(status: KrStatus) -> list[str]:
    """The ignored-value sentences among a KR's provenance notes (for ``status`` and reports)."""
    return [note for note in status.provenance.notes if note.startswith("value ") and ", not used: " in note]
