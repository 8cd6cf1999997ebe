"""Scale: a first sync of a large synthetic set-up, against raw paging of the same pages.

Run one size on one store in a process of its own (peak RSS is this process's)::

    .venv/bin/python -m bench.scale --items 100000 --krs 5000 --store sqlite      # or postgresql

Prints one JSON object: sandbox start-up, raw paging per tracker (plain HTTP, same pages), the first
sync (wall and CPU, its pull phase per tracker, requests), an idle sync, the recompute from the store
(``okr_sync.engine.compute.compute_from_store``: what every cycle pays), the state-store size and peak RSS.
PostgreSQL uses a schema of its own in ``OKRSYNC_BENCH_PG_URL`` (default the test database on
127.0.0.1:5432), dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import Setup
from bench.synthetic import Shape
from bench.trackers import Trackers
from okr_sync.engine.compute import compute_from_store

PG_URL = os.environ.get("OKRSYNC_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema; yields the state URL using it; drops it afterwards."""
    import psycopg

    schema = f"okrsync_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def store_size(setup: Setup) -> int:
    """Bytes the state store occupies (SQLite file + WAL; PostgreSQL tables + indexes of its schema)."""
    if setup.state_url.startswith("sqlite"):
        path = Path(setup.state_url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    from sqlalchemy import text

    with setup.store.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind = 'r'")).scalar_one())


def _timed_pulls(engine: Any, into: dict[str, dict[str, float]]) -> None:
    """Wrap each connector's ``pull`` to record its wall and CPU time (instrumentation only)."""
    for name, connector in engine.connectors.items():
        original: Callable[..., Any] = connector.pull

        def timed(*args: Any, _original: Callable[..., Any] = original, _name: str = name, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent = into.setdefault(_name, {"seconds": 0.0, "cpu_seconds": 0.0, "pulls": 0})
                spent["seconds"] += time.perf_counter() - wall
                spent["cpu_seconds"] += time.process_time() - cpu
                spent["pulls"] += 1
        connector.pull = timed


def measure(shape: Shape, state_url: str | None, *, raw: bool = True) -> dict[str, Any]:
    """Every scale figure for one shape and store."""
    result: dict[str, Any] = {"items": shape.per_tracker(shape.items), "krs": shape.per_tracker(shape.krs),
                              "plans": shape.plans(), "jira_deployment": shape.jira_deployment}
    with Setup(shape, state_url) as setup:
        result["store"] = setup.store.engine.dialect.name
        result["sandbox_start_seconds"] = round(setup.sandbox.startup_seconds, 2)
        result["config_bytes"], result["config_limits_raised"] = setup.config_bytes, setup.limits_raised
        if raw:
            result["raw_paging"] = Trackers(setup.sandbox.info, shape).raw_paging()
        engine = setup.engine()
        for label in ("first", "idle"):
            pulls: dict[str, dict[str, float]] = {}
            _timed_pulls(engine, pulls)
            setup.sandbox.reset_requests()
            wall, cpu = time.perf_counter(), time.process_time()
            report = engine.cycle()
            counts = setup.sandbox.per_tracker()
            result[label] = {
                "seconds": round(time.perf_counter() - wall, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
                "pull": {n: {k: round(v, 2) for k, v in p.items()} for n, p in pulls.items()},
                "requests": {t: {"total": c["total"], "writes": c["writes"]} for t, c in counts.items()},
                "errors": {t: str(o.error) for t, o in report.trackers.items() if o.error},
                "items": {t: o.items for t, o in report.trackers.items()},
            }
            print(f"  {label} sync: {result[label]['seconds']} s", flush=True)
        for attempt in range(2):
            wall, cpu = time.perf_counter(), time.process_time()
            compute_from_store(engine.domain, setup.store, now=engine.clock())
            result.setdefault("recompute_from_store", []).append(
                {"seconds": round(time.perf_counter() - wall, 2), "cpu_seconds": round(time.process_time() - cpu, 2)})
            del attempt
        result["store_bytes"] = store_size(setup)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, measure, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--krs", type=int, default=5000)
    parser.add_argument("--shares", default="0.1,0.6,0.3", help="jira,gitlab,planner shares of items and KRs")
    parser.add_argument("--plan-size", type=int, default=7500, help="tasks per Planner plan (Planner caps 9,000)")
    parser.add_argument("--jira-deployment", choices=("Cloud", "Server"), default="Server",
                        help="Server pages by 1,000 (the sandbox re-runs the JQL for every page: fewer pages)")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--no-raw", action="store_true", help="skip raw paging (it was measured on the other store)")
    args = parser.parse_args(argv)
    jira, gitlab, planner = (float(x) for x in args.shares.split(","))
    shape = Shape(items=args.items, krs=args.krs, shares=(jira, gitlab, planner), plan_size=args.plan_size,
                  jira_deployment=args.jira_deployment)
    if args.store == "postgresql":
        with pg_schema() as url:
            figures = measure(shape, url, raw=not args.no_raw)
    else:
        figures = measure(shape, None, raw=not args.no_raw)
    print("RESULT " + json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
