"""Faults on all three trackers (issue 12): repeated cycles converge to exactly the fault-free end state.

The sandbox injects, on Jira, GitLab and Graph alike: about 20 % 5xx (500/502/503, seeded), bursts of
429 with ``Retry-After``, hangs longer than the connectors' 1-second timeout, dropped connections, 412
(stale ETag) on writes, and writes that *land* but whose answer is a 504 or a dropped connection
(``phase: after`` — the client cannot know the write happened). Each test runs the same sequence of
cycles (three days of the demo's story, with the W47 check-ins) once without faults and once with them,
then lets the faulted run converge after the faults stop, and compares:

- the normalised tracker state (``/_sandbox/state``): equal → 0 lost writes, nothing extra written;
- okr-sync's markers: each exactly once → 0 duplicate comments, notes or blocks;
- requests per cycle: bounded by the fault-free cycle's plus a small constant per injected fault, and
  every retry wait is one the injected ``sleep`` recorded (no hot loops, no real waiting).

A daemon under the same faults keeps cycling and answers ``/healthz`` 200 throughout.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from okr_sync.connectors.retry import RetryPolicy
from okr_sync.daemon.service import Daemon
from okr_sync.sandbox.fixtures.demo_story import AS_OF, UNKNOWN_KR
from okr_sync.store.state import StateStore
from tests.reliability.figures import Figures
from tests.reliability.support import WEEK, SleepLog, duplicates, end_state, fault_engine, tuned_settings
from tests.sync.crash_harness import differences
from tests.sync.support import demo_settings, sqlite_url

pytestmark = pytest.mark.reliability

# Azure DevOps is not injected here yet: after faults on its first pull its forecast does not converge
# to the fault-free run (issue 25 stays open for it); its own fault tests are in tests/connectors/test_ado_*.
MOUNTS = {"jira": "/jira", "gitlab": "/gitlab", "planner": "/graph/v1.0"}
DAYS = (0, 1)  # the engine's clock per cycle (days after the demo's today): status and pace change daily
SOAK_DAYS = (0, 1, 2, 3, 4)
SOAK_SEEDS = (2, 3, 4, 5)
_REFERENCES: dict[tuple[int, ...], dict[str, Any]] = {}
PER_FAULT = 4  # extra requests one injected fault may cost: its retry, a re-read, a re-apply, a marker search


def fault_rules(seed: int) -> list[dict[str, Any]]:
    """The rule set of one run; the first rule that fires wins, so bounded ones come first."""
    rules: list[dict[str, Any]] = []
    for index, mount in enumerate(MOUNTS.values()):
        writes = f"(POST|PUT|PATCH|DELETE) {mount}/.*"
        s = seed * 10 + index
        rules += [
            {"route": f"* {mount}/*", "kind": "429", "times": 3, "retry_after": 1},  # a burst at the start
            {"route": f"GET {mount}/*", "kind": "hang", "every": 9, "times": 1, "hang_seconds": 1.6},
            {"route": f"* {mount}/*", "kind": "drop", "every": 11, "times": 3},
            {"route": writes, "kind": "504", "phase": "after", "every": 3, "times": 2},
            {"route": writes, "kind": "drop", "phase": "after", "every": 4, "times": 2},
            {"route": writes, "kind": "412", "every": 5, "times": 3},
            {"route": f"* {mount}/*", "kind": "429", "probability": 0.05, "retry_after": 1, "seed": s},
            {"route": f"* {mount}/*", "kind": "500", "probability": 0.07, "seed": s + 100},
            {"route": f"* {mount}/*", "kind": "502", "probability": 0.07, "seed": s + 200},
            {"route": f"* {mount}/*", "kind": "503", "probability": 0.07, "seed": s + 300},
        ]
    return rules


def run_cycles(sb: Any, control: Any, tmp_path: Any, *, faults: list[dict[str, Any]] | None,
               name: str, days: tuple[int, ...]) -> dict[str, Any]:
    """The cycle sequence against ``sb``; with ``faults``, then cycles without them until idle."""
    settings = tuned_settings(demo_settings(sb, sqlite_url(tmp_path, f"{name}.db")))
    store = StateStore.open(settings.state.url)
    sleep = SleepLog()
    run: dict[str, Any] = {"cycles": [], "converge": 0, "sleep": sleep}
    for rule in faults or []:
        control.fault(rule.pop("route"), rule.pop("kind"), **rule)
    try:
        for day in days:
            control.reset_requests()
            before = control.faults().get("injected", 0)
            engine = fault_engine(settings, store, sleep, clock=lambda d=day: AS_OF + timedelta(days=d))
            report = engine.cycle(checkin_week=WEEK)
            counts = control.requests()
            unexpected = [p for p in report.problems if "unexpected" in p]
            assert not unexpected, f"a fault surfaced as a crash of okr-sync: {unexpected}"
            run["cycles"].append({"requests": counts["total"], "writes": counts["writes"],
                                  "injected": control.faults().get("injected", 0) - before,
                                  "problems": [p for p in report.problems if UNKNOWN_KR not in p]})
        run["faults"] = control.faults()
        control.clear_faults()
        last = AS_OF + timedelta(days=days[-1])
        for _ in range(4):
            report = fault_engine(settings, store, sleep, clock=lambda: last).cycle(checkin_week=WEEK)
            run["converge"] += 1
            stray = [p for p in report.problems if UNKNOWN_KR not in p]  # the demo names an unknown KR on purpose
            if report.writes == 0 and not stray:
                break
        run["idle"] = report.writes == 0 and not stray
        run["state"] = control.state()
    finally:
        store.close()
    return run


def reference_run(make_sandbox: Any, control_of: Any, tmp_path: Any, days: tuple[int, ...]) -> dict[str, Any]:
    """The fault-free run of ``days`` (computed once per session: it does not depend on the seed)."""
    if days not in _REFERENCES:
        sb = make_sandbox("demo")
        reference = run_cycles(sb, control_of(sb), tmp_path, faults=None, name="reference", days=days)
        assert reference["idle"] and reference["converge"] == 1, "the fault-free run must be idle after its cycles"
        assert all(c["problems"] == [] for c in reference["cycles"]), reference["cycles"]
        _REFERENCES[days] = reference
    return _REFERENCES[days]


def check_convergence(make_sandbox: Any, control_of: Any, tmp_path: Any, figures: Figures, *, seed: int,
                      days: tuple[int, ...], section: str) -> None:
    """One faulted run against the fault-free reference; figures into ``section``."""
    reference = reference_run(make_sandbox, control_of, tmp_path, days)
    faulted_sb = make_sandbox("demo")
    control = control_of(faulted_sb)
    faulted = run_cycles(faulted_sb, control, tmp_path, faults=fault_rules(seed), name=f"faulted-{seed}",
                         days=days)

    injected = faulted["faults"]
    by_kind = injected.get("by_kind", {})
    for kind in ("429", "500", "502", "503", "412", "504", "hang", "drop"):
        assert by_kind.get(kind, 0) > 0, f"no {kind} fault was injected: {by_kind}"
    for mount in MOUNTS.values():
        hit = sum(r["injected"] for r in injected["rules"] if mount in r["route"])
        assert hit > 0, f"no fault reached {mount}"

    expected, actual = end_state(reference["state"]), end_state(faulted["state"])
    lost = differences(expected, actual)
    assert not lost, f"end state differs from the fault-free run: {lost}"
    dupes = duplicates(faulted["state"])
    assert dupes == {}
    assert faulted["idle"], "after the faults stopped, okr-sync did not settle (still writing or failing)"

    for ref, cycle in zip(reference["cycles"], faulted["cycles"], strict=True):
        bound = ref["requests"] + PER_FAULT * cycle["injected"]
        assert cycle["requests"] <= bound, f"{cycle['requests']} requests in a cycle (bound {bound}): {cycle}"
    waits = faulted["sleep"].waits
    assert len(waits) <= injected["injected"], "more retry waits than faults: something retries without cause"
    assert max(waits, default=0) <= RetryPolicy().cap
    assert 1.0 in waits, "Retry-After: 1 was not honoured"

    figures.add(section, "injected", injected["injected"])
    for kind, n in by_kind.items():
        figures.add(section, f"kind:{kind}", n)
    figures.add(section, "cycles_faulted", len(faulted["cycles"]))
    figures.add(section, "cycles_converge", faulted["converge"])
    figures.add(section, "requests", sum(c["requests"] for c in faulted["cycles"]))
    figures.peak(section, "max_cycle_requests", max(c["requests"] for c in faulted["cycles"]))
    figures.peak(section, "baseline_requests", reference["cycles"][0]["requests"])
    figures.add(section, "retry_sleeps", len(waits))
    figures.add(section, "writes", sum(c["writes"] for c in faulted["cycles"]))
    figures.add(section, "reference_writes", sum(c["writes"] for c in reference["cycles"]))
    figures.add(section, "lost_writes", len(lost))
    figures.add(section, "duplicates", len(dupes))


def test_cycles_under_faults_converge_to_the_fault_free_end_state(make_sandbox: Any, control_of: Any,
                                                                   tmp_path: Any, figures: Figures) -> None:
    check_convergence(make_sandbox, control_of, tmp_path, figures, seed=1, days=DAYS, section="faults")


@pytest.mark.soak
@pytest.mark.parametrize("seed", SOAK_SEEDS, ids=[f"seed{s}" for s in SOAK_SEEDS])
def test_soak_more_days_and_seeds_converge(make_sandbox: Any, control_of: Any, tmp_path: Any,
                                           figures: Figures, seed: int) -> None:
    check_convergence(make_sandbox, control_of, tmp_path, figures, seed=seed, days=SOAK_DAYS,
                      section="faults_soak")


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_daemon_under_faults_stays_up_and_healthy(make_sandbox: Any, control_of: Any, tmp_path: Any,
                                                  figures: Figures) -> None:
    sb = make_sandbox("demo")
    control = control_of(sb)
    for rule in fault_rules(seed=2):
        control.fault(rule.pop("route"), rule.pop("kind"), **rule)
    base = tuned_settings(demo_settings(sb, sqlite_url(tmp_path, "daemon.db")))
    settings = base.model_copy(update={
        "schedule": base.schedule.model_copy(update={"interval": timedelta(seconds=0.5)}),
        "server": base.server.model_copy(update={"listen": "127.0.0.1:0"}),
    })
    store = StateStore.open(settings.state.url)
    sleep = SleepLog()
    daemon = Daemon(settings, store, fault_engine(settings, store, sleep).connectors, secrets=[],
                    clock=lambda: AS_OF)
    daemon.start()
    answers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while daemon.cycles_done < 2 and time.monotonic() < deadline:
            status, body = _get(f"http://{daemon.address}/healthz")
            answers.append(status)
            assert body.get("loop_alive") is True, body
            time.sleep(0.2)
        assert daemon.cycles_done >= 2, "the daemon stopped cycling under faults"
        status, _ = _get(f"http://{daemon.address}/readyz")
        assert status == 200
    finally:
        daemon.stop()
        store.close()
    injected = control.faults()["injected"]
    assert injected > 0
    assert answers and set(answers) == {200}, answers
    figures.add("faults", "daemon_cycles", daemon.cycles_done)
    figures.add("faults", "unhealthy", sum(1 for a in answers if a != 200))
