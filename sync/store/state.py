"""The state store: everything okr-sync remembers between cycles, behind one small interface.

Work items and their KR links, pull watermarks, manual values with provenance, KR progress history,
write markers (what okr-sync last wrote on a home item), pending home items (seen changed by a committed
pull, not yet read and reconciled), ETags, cycle outcomes and acknowledgements of
companion findings. No secrets are stored. SQLite by default (one process, threads welcome);
PostgreSQL for several replicas. Each method documents its contract; times go in aware, come out UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from okr_sync.mapping import ManualValue, ProgressPoint, WorkItem
from okr_sync.store import database as store_engine
from okr_sync.store.bulk import BulkReads
from okr_sync.store.items import IN_CHUNK, apply_pull, chunks, dialect_insert, read_items, read_items_by_kr, upsert
from okr_sync.store.schema import (
    acknowledgements,
    configuration,
    cycle_outcomes,
    manual_values,
    pending_homes,
    progress_points,
    watermarks,
    written_markers,
)

OUTCOMES_KEPT = 1_000  # cycle outcomes kept per tracker (older ones are pruned)
PROGRESS_EPSILON = 1e-12


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime, what: str) -> datetime:
    """``value`` if it carries a time zone; a ValueError naming ``what`` and the fix otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"state store: {what} {value.isoformat()} has no time zone; pass an aware datetime "
                         "(e.g. datetime.now(UTC) or .replace(tzinfo=UTC))")
    return value


class StateStore(BulkReads):
    """okr-sync's memory between cycles (SQLite or PostgreSQL, chosen by URL).

    Thread-safe: every method runs in its own short transaction on a pooled connection. Bulk variants
    of the per-subject reads (one query for many KRs) come from :class:`okr_sync.store.bulk.BulkReads`.
    """

    def __init__(self, url: str, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.url = url
        self.engine: Engine = store_engine.make_engine(url)
        self._clock = clock

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] = _utcnow) -> StateStore:
        """A store for ``url`` with its schema created or migrated to the newest revision."""
        store = cls(url, clock=clock)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision (safe to run again)."""
        store_engine.migrate(self.engine)

    def revision(self) -> str | None:
        """The schema revision of the database (None when empty)."""
        return store_engine.current_revision(self.engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({store_engine.redacted(self.url)!r})"

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{store_engine.WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # one snapshot for every query of a read
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    # -- work items and watermarks -------------------------------------------------------------------

    def commit_pull(self, tracker: str, items: Sequence[WorkItem], watermark: str | None, *,
                    full: bool = False, homes: Collection[str] = ()) -> set[str]:
        """Store one pull of ``tracker`` and its watermark in ONE transaction; returns affected KR ids.

        Items are upserted by (tracker, key) and their KR links replaced. A KR is affected when an item
        linked to it (before or after) changed content; unchanged items do not count. With ``full``,
        stored items of ``tracker`` missing from ``items`` are deleted and their KRs are affected.
        ``watermark`` None leaves the stored watermark as it is. Pulled items whose key is in ``homes``
        (the tracker's KR and objective home items) become *pending* in the same transaction: the
        watermark never moves past a home edit that is not also remembered (see :meth:`pending_homes`).
        """
        with self._write() as conn:
            affected = apply_pull(conn, tracker, items, full=full)
            wanted = set(homes)
            marked = self._clock()
            pending = [{"tracker": tracker, "key": key, "marked_at": marked}
                       for key in dict.fromkeys(item.key for item in items) if key in wanted]
            upsert(conn, pending_homes, pending, ("tracker", "key"))
            if watermark is not None:
                upsert(conn, watermarks, [{"tracker": tracker, "value": watermark,
                                           "committed_at": marked}], ("tracker",))
        return affected

    def pending_homes(self, trackers: Iterable[str] | None = None) -> dict[tuple[str, str], datetime]:
        """Home items a committed pull saw change that no cycle has settled yet: (tracker, key) → when
        they were last marked (all trackers, or those in ``trackers``)."""
        query = select(pending_homes.c.tracker, pending_homes.c.key, pending_homes.c.marked_at)
        if trackers is not None:
            query = query.where(pending_homes.c.tracker.in_(sorted(set(trackers))))
        with self._read() as conn:
            return {(tracker, key): at for tracker, key, at in conn.execute(query)}

    def settle_homes(self, settled: Mapping[tuple[str, str], datetime]) -> int:
        """Forget pending homes that were read and reconciled (written, or found equal); returns how many.

        Each entry carries the ``marked_at`` read from :meth:`pending_homes` before the home was read: a
        home marked again since (a newer pull saw it change) stays pending. The marks of one read all
        predate any later mark, so one ``DELETE`` per tracker and chunk of keys, bounded by the newest
        mark read, removes exactly the entries read.
        """
        by_tracker: dict[str, list[str]] = {}
        newest: dict[str, datetime] = {}
        for (tracker, key), marked in settled.items():
            _aware(marked, f"pending mark of {tracker} {key}")
            by_tracker.setdefault(tracker, []).append(key)
            newest[tracker] = max(marked, newest.get(tracker, marked))
        removed = 0
        with self._write() as conn:
            for tracker, keys in by_tracker.items():
                for part in chunks(keys, IN_CHUNK):
                    removed += conn.execute(delete(pending_homes).where(
                        pending_homes.c.tracker == tracker, pending_homes.c.key.in_(list(part)),
                        pending_homes.c.marked_at <= newest[tracker])).rowcount
        return removed

    def watermark(self, tracker: str) -> str | None:
        """The watermark committed with ``tracker``'s last pull (None before the first)."""
        with self._read() as conn:
            return conn.scalar(select(watermarks.c.value).where(watermarks.c.tracker == tracker))

    def items(self, *, tracker: str | None = None) -> list[WorkItem]:
        """Stored work items (all trackers, or one), ordered by tracker then key."""
        with self._read() as conn:
            return read_items(conn, tracker)

    def items_by_kr(self, kr_ids: Iterable[str] | None = None) -> dict[str, list[WorkItem]]:
        """KR id -> linked items; every requested KR is a key (``[]`` when nothing links to it)."""
        with self._read() as conn:
            return read_items_by_kr(conn, kr_ids)

    # -- manual values ---------------------------------------------------------------------------------

    def record_manual_value(self, kr_id: str, value: ManualValue) -> bool:
        """Add ``value`` to the KR's history; False (and nothing stored) when that exact entry exists.

        History is append-only: a new value never overwrites an older one, and the same (value, author,
        time) read again from the tracker is not duplicated.
        """
        _aware(value.at, f"manual value time of {kr_id}")
        row = {"kr_id": kr_id, "value": value.value, "author": value.author, "at": value.at,
               "recorded_at": self._clock()}
        with self._write() as conn:
            stmt: Any = dialect_insert(conn, manual_values).values(**row)
            stmt = stmt.on_conflict_do_nothing(index_elements=["kr_id", "at", "author", "value"])
            return conn.execute(stmt.returning(manual_values.c.id)).first() is not None

    def manual_value(self, kr_id: str) -> ManualValue | None:
        """The KR's latest manual value by its time (ties: the one recorded last)."""
        history = self.manual_history(kr_id)
        return history[-1] if history else None

    def manual_history(self, kr_id: str) -> list[ManualValue]:
        """Every manual value of the KR, oldest first (audit trail)."""
        query = (select(manual_values.c.value, manual_values.c.author, manual_values.c.at)
                 .where(manual_values.c.kr_id == kr_id).order_by(manual_values.c.at, manual_values.c.id))
        with self._read() as conn:
            return [ManualValue(value=v, author=a, at=t) for v, a, t in conn.execute(query)]

    # -- progress history ------------------------------------------------------------------------------

    def record_progress(self, subject_id: str, at: datetime, progress: float, status: str) -> bool:
        """Add a progress point for a KR or objective unless it repeats the point before it.

        Returns True when a point was stored. A point at the same ``at`` replaces the earlier one.
        """
        _aware(at, f"progress time of {subject_id}")
        with self._write() as conn:
            before = conn.execute(
                select(progress_points.c.at, progress_points.c.progress, progress_points.c.status)
                .where(progress_points.c.subject_id == subject_id, progress_points.c.at <= at)
                .order_by(progress_points.c.at.desc()).limit(1)).first()
            if before is not None and abs(before.progress - progress) <= PROGRESS_EPSILON \
                    and before.status == status:
                return False
            upsert(conn, progress_points, [{"subject_id": subject_id, "at": at, "progress": progress,
                                            "status": str(status)}], ("subject_id", "at"))
            return True

    def progress_history(self, subject_id: str, *, since: datetime | None = None) -> list[ProgressPoint]:
        """The subject's progress points ordered by time (optionally from ``since`` on)."""
        query = (select(progress_points.c.at, progress_points.c.progress)
                 .where(progress_points.c.subject_id == subject_id).order_by(progress_points.c.at))
        if since is not None:
            _aware(since, "since")
            query = query.where(progress_points.c.at >= since)
        with self._read() as conn:
            return [ProgressPoint(at=t, progress=p) for t, p in conn.execute(query)]

    def progress_at(self, subject_id: str, at: datetime) -> float | None:
        """Progress of the latest point at or before ``at`` (None when there is none)."""
        _aware(at, "progress_at time")
        query = (select(progress_points.c.progress)
                 .where(progress_points.c.subject_id == subject_id, progress_points.c.at <= at)
                 .order_by(progress_points.c.at.desc()).limit(1))
        with self._read() as conn:
            return conn.scalar(query)

    # -- write markers ---------------------------------------------------------------------------------------

    def written(self, tracker: str, key: str) -> dict[str, str]:
        """What okr-sync last wrote on a home item: target (field, block, label...) -> fingerprint."""
        query = select(written_markers.c.target, written_markers.c.fingerprint).where(
            written_markers.c.tracker == tracker, written_markers.c.key == key)
        with self._read() as conn:
            return {target: fp for target, fp in conn.execute(query)}

    def record_written(self, tracker: str, key: str, target: str, fingerprint: str) -> None:
        """Remember that ``fingerprint`` was written to ``target`` of the home item."""
        row = {"tracker": tracker, "key": key, "target": target, "fingerprint": fingerprint,
               "written_at": self._clock()}
        with self._write() as conn:
            upsert(conn, written_markers, [row], ("tracker", "key", "target"))

    def forget_written(self, tracker: str, key: str, target: str | None = None) -> None:
        """Forget what was written on the home item (one target, or all) so it is rewritten next cycle."""
        condition = [written_markers.c.tracker == tracker, written_markers.c.key == key]
        if target is not None:
            condition.append(written_markers.c.target == target)
        with self._write() as conn:
            conn.execute(delete(written_markers).where(*condition))

    # -- cycle outcomes --------------------------------------------------------------------------------

    def record_outcome(self, tracker: str, started: datetime, finished: datetime, ok: bool,
                       calls: int, writes: int, problems: list[str]) -> None:
        """Record how one cycle of ``tracker`` went (the newest 1,000 per tracker are kept)."""
        _aware(started, f"start of {tracker}'s cycle")
        _aware(finished, f"end of {tracker}'s cycle")
        with self._write() as conn:
            conn.execute(cycle_outcomes.insert().values(
                tracker=tracker, started=started, finished=finished, ok=ok, calls=calls, writes=writes,
                problems=json.dumps(list(problems), ensure_ascii=False)))
            cutoff = conn.scalar(select(cycle_outcomes.c.id).where(cycle_outcomes.c.tracker == tracker)
                                 .order_by(cycle_outcomes.c.id.desc()).offset(OUTCOMES_KEPT).limit(1))
            if cutoff is not None:
                conn.execute(delete(cycle_outcomes).where(cycle_outcomes.c.tracker == tracker,
                                                          cycle_outcomes.c.id <= cutoff))

    # -- configuration ---------------------------------------------------------------------------------

    def configuration_fingerprint(self, name: str = "inputs") -> str | None:
        """The digest of the configuration the last completed cycle used (None before the first)."""
        with self._read() as conn:
            return conn.scalar(select(configuration.c.fingerprint).where(configuration.c.name == name))

    def record_configuration_fingerprint(self, fingerprint: str, name: str = "inputs") -> None:
        """Remember the digest of the configuration a completed cycle used."""
        row = {"name": name, "fingerprint": fingerprint, "recorded_at": self._clock()}
        with self._write() as conn:
            upsert(conn, configuration, [row], ("name",))

    # -- acknowledgements ------------------------------------------------------------------------------

    def acknowledge(self, subject_id: str, fingerprint: str, by: str, at: datetime) -> None:
        """Mark a companion finding as acknowledged (the first acknowledgement is kept)."""
        _aware(at, f"acknowledgement time of {subject_id}")
        with self._write() as conn:
            stmt: Any = dialect_insert(conn, acknowledgements).values(
                subject_id=subject_id, fingerprint=fingerprint, acknowledged_by=by, acknowledged_at=at)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["subject_id", "fingerprint"]))

    def acknowledged(self, subject_id: str) -> set[str]:
        """Fingerprints of the subject's acknowledged findings."""
        query = select(acknowledgements.c.fingerprint).where(acknowledgements.c.subject_id == subject_id)
        with self._read() as conn:
            return set(conn.scalars(query))

    def acknowledgement(self, subject_id: str, fingerprint: str) -> tuple[str, datetime] | None:
        """Who acknowledged a finding and when (None if nobody did)."""
        query = select(acknowledgements.c.acknowledged_by, acknowledgements.c.acknowledged_at).where(
            acknowledgements.c.subject_id == subject_id, acknowledgements.c.fingerprint == fingerprint)
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row[0], row[1])


__all__ = ["StateStore"]
