"""Bulk reads of the state store: one query for many subjects instead of one query per subject.

A cycle reads, for every KR and objective, its progress history, latest manual value, acknowledged
findings and what okr-sync last wrote on its home. Asked one subject at a time that is four
transactions per subject — about 25,000 round trips per cycle at 5,000 KRs, which made an idle cycle
take minutes (issue 13's benchmark). These methods answer the same questions for a whole list at once
(``IN`` lists of at most :data:`CHUNK` ids, well under SQLite's and PostgreSQL's parameter limits).
Mixed into :class:`okr_sync.store.state.StateStore`; results equal the per-subject methods'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeGuard

from sqlalchemy import Connection, select

from okr_sync.mapping import ManualValue, ProgressPoint
from okr_sync.store.schema import acknowledgements, manual_values, progress_points, written_markers

CHUNK = 500


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start:start + CHUNK]


class BulkReads:
    """Many-subject variants of the store's per-subject reads (needs the store's ``_read``)."""

    def _read(self) -> AbstractContextManager[Connection]:  # provided by StateStore
        raise NotImplementedError

    def progress_histories(self, subject_ids: Iterable[str]) -> dict[str, list[ProgressPoint]]:
        """Subject → its progress points ordered by time (like ``progress_history``); every requested
        subject is a key (``[]`` when it has no points)."""
        ids = list(dict.fromkeys(subject_ids))
        found: dict[str, list[ProgressPoint]] = {subject: [] for subject in ids}
        with self._read() as conn:
            for chunk in _chunks(ids):
                query = (select(progress_points.c.subject_id, progress_points.c.at, progress_points.c.progress)
                         .where(progress_points.c.subject_id.in_(chunk))
                         .order_by(progress_points.c.subject_id, progress_points.c.at))
                for subject, at, progress in conn.execute(query):
                    found[subject].append(ProgressPoint(at=at, progress=progress))
        return found

    def latest_manual_values(self, kr_ids: Iterable[str]) -> dict[str, ManualValue]:
        """KR → its latest manual value (like ``manual_value``: by time, ties the one recorded last);
        KRs without one are absent."""
        found: dict[str, ManualValue] = {}
        with self._read() as conn:
            for chunk in _chunks(kr_ids):
                query = (select(manual_values.c.kr_id, manual_values.c.value, manual_values.c.author,
                                manual_values.c.at)
                         .where(manual_values.c.kr_id.in_(chunk))
                         .order_by(manual_values.c.kr_id, manual_values.c.at, manual_values.c.id))
                for kr_id, value, author, at in conn.execute(query):
                    found[kr_id] = ManualValue(value=value, author=author, at=at)  # the last row per KR wins
        return found

    def acknowledged_by_subject(self, subject_ids: Iterable[str]) -> dict[str, set[str]]:
        """Subject → fingerprints of its acknowledged findings (like ``acknowledged``); every requested
        subject is a key."""
        ids = list(dict.fromkeys(subject_ids))
        found: dict[str, set[str]] = {subject: set() for subject in ids}
        with self._read() as conn:
            for chunk in _chunks(ids):
                query = (select(acknowledgements.c.subject_id, acknowledgements.c.fingerprint)
                         .where(acknowledgements.c.subject_id.in_(chunk)))
                for subject, fp in conn.execute(query):
                    found[subject].add(fp)
        return found

    def written_all(self) -> dict[tuple[str, str], dict[str, str]]:
        """(tracker, key) → ``written(tracker, key)`` for every home item okr-sync ever wrote."""
        found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        query = select(written_markers.c.tracker, written_markers.c.key, written_markers.c.target,
                       written_markers.c.fingerprint)
        with self._read() as conn:
            for tracker, key, target, fp in conn.execute(query):
                found[(tracker, key)][target] = fp
        return dict(found)


class AcknowledgedView:
    """Answers ``acknowledged(subject)`` from a bulk read (for ``okr_sync.engine.acks.acknowledged_fingerprints``)."""

    def __init__(self, found: dict[str, set[str]]) -> None:
        self.found = found

    def acknowledged(self, subject_id: str) -> set[str]:
        """Fingerprints of the subject's acknowledged findings."""
        return self.found.get(subject_id, set())


def bulk(store: Any) -> TypeGuard[BulkReads]:
    """Whether ``store`` offers the bulk reads (duck-typed stores in tests may not)."""
    return isinstance(store, BulkReads)
