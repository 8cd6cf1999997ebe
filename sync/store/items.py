"""Work items in the state store: the pull commit (bulk upsert, KR links, full reconcile) and reads.

Everything here runs on a connection the caller has already put in a transaction, so a pull's items,
links, deletions and watermark commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from okr_sync.mapping import WorkItem
from okr_sync.store.codec import fingerprint, item_from_row, item_row
from okr_sync.store.schema import item_kr_links, work_items

BATCH = 2_000  # rows per executemany
IN_CHUNK = 900  # values per IN (...) list: below SQLite's and PostgreSQL's parameter limits
FULL_INDEX_THRESHOLD = 2_000  # above this many keys, read the tracker's whole index in one query

T = TypeVar("T")


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``values`` of at most ``size`` elements."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def dialect_insert(conn: Connection, table: Table) -> Insert:
    """``INSERT`` with ``ON CONFLICT`` support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` into ``table``, replacing the non-key columns of rows whose ``keys`` exist."""
    if not rows:
        return
    if len(rows) > 1:
        bulk = _pg_bulk_insert if conn.dialect.name == "postgresql" else _sqlite_bulk_insert
        bulk(conn, table, rows, keys)
        return
    stmt: Any = dialect_insert(conn, table)
    updates = {name: stmt.excluded[name] for name in rows[0] if name not in keys}
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates) if updates \
        else stmt.on_conflict_do_nothing(index_elements=list(keys))
    for batch in chunks(rows, BATCH):
        conn.execute(stmt, list(batch))


_PG_TYPES = {"blocked": "boolean", "due": "date", "points": "float8", "estimate": "float8",
             "updated": "timestamptz", "completed": "timestamptz", "marked_at": "timestamptz"}


def _pg_bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays)`` per batch (much cheaper than executemany)."""
    names = list(rows[0])
    arrays = ", ".join(f"%({n})s::{_PG_TYPES.get(n, 'text')}[]" for n in names)
    updates = ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in names if n not in keys)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    columns = ", ".join(f'"{n}"' for n in names)
    # names come from our own table definitions, never from input; values travel as parameters
    sql = (f'INSERT INTO {table.name} ({columns}) SELECT * FROM unnest({arrays}) '  # noqa: S608
           f'ON CONFLICT ({", ".join(keys)}) {conflict}')
    for batch in chunks(rows, BATCH * 5):
        conn.exec_driver_sql(sql, {n: [row[n] for row in batch] for n in names})


def _sqlite_bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                        keys: Sequence[str]) -> None:
    """SQLite: plain ``executemany`` of positional rows, values converted by the columns' own types."""
    names = list(rows[0])
    processors = [table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for n in names]
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n not in keys)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    sql = (f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) "  # noqa: S608 - names are ours
           f"ON CONFLICT ({', '.join(keys)}) {conflict}")
    pairs = list(zip(names, processors, strict=True))
    for batch in chunks(rows, BATCH * 5):
        values = [tuple(row[n] if p is None or row[n] is None else p(row[n]) for n, p in pairs) for row in batch]
        conn.exec_driver_sql(sql, values)


def _stored_index(conn: Connection, tracker: str, keys: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    """``key -> (fingerprint, kr_ids JSON)`` of stored items of ``tracker`` (all, or those in ``keys``)."""
    columns = (work_items.c.key, work_items.c.fingerprint, work_items.c.kr_ids)
    base = select(*columns).where(work_items.c.tracker == tracker)
    if keys is None or len(keys) > FULL_INDEX_THRESHOLD:
        wanted = None if keys is None else set(keys)
        return {key: (fp, krs) for key, fp, krs in conn.execute(base) if wanted is None or key in wanted}
    index: dict[str, tuple[str, str]] = {}
    for part in chunks(keys, IN_CHUNK):
        for key, fp, krs in conn.execute(base.where(work_items.c.key.in_(list(part)))):
            index[key] = (fp, krs)
    return index


def _delete_keys(conn: Connection, table: Table, tracker: str, keys: Sequence[str]) -> None:
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        sql = f"DELETE FROM {table.name} WHERE tracker = %(t)s AND key = ANY(%(k)s::text[])"  # noqa: S608
        conn.exec_driver_sql(sql, {"t": tracker, "k": list(keys)})
        return
    for part in chunks(keys, IN_CHUNK):
        conn.execute(delete(table).where(table.c.tracker == tracker, table.c.key.in_(list(part))))


def apply_pull(conn: Connection, tracker: str, items: Sequence[WorkItem], *, full: bool) -> set[str]:
    """Upsert ``items`` of ``tracker``; returns the KR ids whose inputs changed (see StateStore.commit_pull)."""
    latest: dict[str, WorkItem] = {}
    for item in items:
        if item.tracker != tracker:
            raise ValueError(
                f"state store: pull of tracker {tracker!r} contains item {item.key!r} of tracker "
                f"{item.tracker!r}; commit each tracker's items separately"
            )
        latest[item.key] = item  # a key seen twice (overlapping pages): the later copy wins
    stored = _stored_index(conn, tracker, None if full else list(latest))
    affected: set[str] = set()
    changed_rows: list[dict[str, Any]] = []
    relinked: list[str] = []
    changed_keys: list[str] = []
    for key, item in latest.items():
        digest = fingerprint(item)
        previous = stored.get(key)
        if previous is not None and previous[0] == digest:
            continue
        if previous is not None:
            affected.update(json.loads(previous[1]))
            relinked.append(key)
        affected.update(item.kr_ids)
        changed_rows.append(item_row(item, digest))
        changed_keys.append(key)
    gone = [key for key in stored if key not in latest] if full else []
    for key in gone:
        affected.update(json.loads(stored[key][1]))
    _delete_keys(conn, item_kr_links, tracker, relinked + gone)
    _delete_keys(conn, work_items, tracker, gone)
    upsert(conn, work_items, changed_rows, ("tracker", "key"))
    links = [{"tracker": tracker, "key": key, "kr_id": kr}
             for key in changed_keys for kr in dict.fromkeys(latest[key].kr_ids)]
    upsert(conn, item_kr_links, links, ("tracker", "key", "kr_id"))
    return affected


def read_items(conn: Connection, tracker: str | None) -> list[WorkItem]:
    """Every stored item (of one tracker, or all), ordered by tracker then key."""
    query = select(work_items).order_by(work_items.c.tracker, work_items.c.key)
    if tracker is not None:
        query = query.where(work_items.c.tracker == tracker)
    return [item_from_row(row) for row in conn.execute(query).mappings().all()]


def read_items_by_kr(conn: Connection, kr_ids: Iterable[str] | None) -> dict[str, list[WorkItem]]:
    """KR id -> its linked items (ordered by tracker, key); a requested KR without items maps to []."""
    if kr_ids is None:  # everything: one scan of the items, grouped here (cheaper than the join)
        grouped: dict[str, list[WorkItem]] = {}
        for item in read_items(conn, None):
            for kr in dict.fromkeys(item.kr_ids):
                grouped.setdefault(kr, []).append(item)
        return dict(sorted(grouped.items()))
    query = (select(item_kr_links.c.kr_id, work_items)
             .join(work_items, (work_items.c.tracker == item_kr_links.c.tracker)
                   & (work_items.c.key == item_kr_links.c.key))
             .order_by(item_kr_links.c.kr_id, work_items.c.tracker, work_items.c.key))
    wanted = list(dict.fromkeys(kr_ids))
    result: dict[str, list[WorkItem]] = {kr: [] for kr in wanted}
    built: dict[tuple[str, str], WorkItem] = {}
    for part in chunks(wanted, IN_CHUNK):
        for row in conn.execute(query.where(item_kr_links.c.kr_id.in_(list(part)))).mappings().all():
            ident = (row["tracker"], row["key"])
            linked = built.get(ident)
            if linked is None:
                linked = built[ident] = item_from_row(row)
            result[row["kr_id"]].append(linked)
    return result
