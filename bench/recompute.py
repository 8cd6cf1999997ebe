"""Benchmark: recompute 5,000 KRs over 100,000 work items (synthetic, seeded) on one core.

Run: ``.venv/bin/python bench/recompute.py [--krs 5000] [--items 100000] [--seed 7] [--repeat 3]``.
Prints the best and median wall time and the best CPU time (one core; CPU time is the figure to trust
on a shared machine) of the recompute (grouping items by KR, ``kr_status`` for every KR with
history and findings, ``objective_status`` for every objective); data generation is not timed.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from okr_sync.mapping import (
    CompletionMeasure,
    Cycle,
    KeyResult,
    KrKind,
    KrStatus,
    ManualValue,
    Measure,
    MetricMeasure,
    Objective,
    ProgressPoint,
    StatusCategory,
    WorkItem,
    iso_week,
    kr_status,
    objective_status,
)

CYCLE = Cycle("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STATUSES = list(StatusCategory)


def _measure(rng: random.Random) -> Measure:
    choice = rng.randrange(8)
    if choice < 3:
        return CompletionMeasure(weight=("count", "points", "estimate")[choice], partial_credit=0.5 * (choice % 2))
    source = ("manual", "sum", "max", "last", "count")[choice - 3]
    baseline = rng.uniform(0, 100)
    target = baseline + rng.choice((-1, 1)) * rng.uniform(10, 100)
    return MetricMeasure(baseline, target, source=source, field=None if source in ("manual", "count") else "n")


def build(krs: int, items: int, seed: int) -> tuple[list[Objective], list[KeyResult], list[WorkItem]]:
    """Objectives (5 KRs each), KRs and items, deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - seeded synthetic data, not security
    objectives = [
        Objective(f"O{i}", f"Objective {i}", "why" if i % 9 else None, f"owner{i}", CYCLE.id, (f"D{i % 7}",))
        for i in range(max(1, krs // 5))
    ]
    key_results = [
        KeyResult(f"O{i // 5}-KR{i}", f"KR {i}", (f"O{i // 5}",), f"owner{i}" if i % 11 else None,
                  f"D{i % 13}", KrKind.DELIVERABLE if i % 17 == 0 else KrKind.VALUE, _measure(rng))
        for i in range(krs)
    ]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    work: list[WorkItem] = []
    for n in range(items):
        kr_ids = (key_results[rng.randrange(krs)].id,)
        if n % 10 == 0:
            kr_ids += (key_results[rng.randrange(krs)].id,)
        updated = start + timedelta(minutes=rng.randrange(80 * 24 * 60))
        status = rng.choice(STATUSES)
        due = CYCLE.start + timedelta(days=rng.randrange(92))
        work.append(WorkItem(
            "jira", f"P-{n}", f"Item {n}", status, kr_ids,
            blocked=n % 23 == 0, assignee=f"user{n % 50}", due=due,
            planned_week=iso_week(due) if n % 3 == 0 else None,
            points=float(rng.randrange(1, 8)) if n % 4 else None, estimate=float(rng.randrange(1, 20)),
            numbers={"n": rng.uniform(0, 100)}, updated=updated,
            completed=updated if status is StatusCategory.DONE else None,
        ))
    return objectives, key_results, work


def recompute(objectives: list[Objective], krs: list[KeyResult], items: list[WorkItem]) -> int:
    """One full recompute; returns the number of findings (so nothing is optimised away)."""
    by_kr: dict[str, list[WorkItem]] = defaultdict(list)
    for item in items:
        for kr_id in item.kr_ids:
            by_kr[kr_id].append(item)
    history = [ProgressPoint(NOW - timedelta(days=7 * k), 0.05 * (6 - k)) for k in range(1, 7)]
    manual = ManualValue(50.0, "owner", NOW - timedelta(days=3))
    statuses: dict[str, KrStatus] = {}
    for kr in krs:
        statuses[kr.id] = kr_status(kr, CYCLE, by_kr.get(kr.id, []), now=NOW, manual=manual, history=history)
    findings = sum(len(s.findings) for s in statuses.values())
    for objective in objectives:
        findings += len(objective_status(objective, CYCLE, statuses, krs_of(objective, krs), now=NOW).findings)
    return findings


def krs_of(objective: Objective, krs: list[KeyResult]) -> list[KeyResult]:
    """KRs of one objective (ids are O<n>-KR<i>, five per objective, contiguous)."""
    n = int(objective.id[1:])
    return krs[5 * n: 5 * n + 5]


def main() -> None:
    """Parse arguments, build the data, time the recompute and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--krs", type=int, default=5000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    objectives, krs, items = build(args.krs, args.items, args.seed)
    times: list[float] = []
    cpu: list[float] = []
    findings = 0
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        findings = recompute(objectives, krs, items)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    print(
        f"recompute {len(krs)} KRs / {len(objectives)} objectives over {len(items)} items "
        f"({findings} findings), {args.repeat} runs: wall best {min(times):.3f} s, "
        f"median {sorted(times)[len(times) // 2]:.3f} s; CPU best {min(cpu):.3f} s"
    )


if __name__ == "__main__":
    main()
