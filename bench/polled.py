"""Freshness of a polled tracker (Planner: Graph v1.0 has no Planner change notifications).

Starts the demo sandbox and the real ``okr-sync run`` daemon for Planner alone with a short
``schedule.interval``; then, ``changes`` times, at a random moment of the interval: toggle a task of
OBJ2-KR2 between 0 and 100 % through Graph (If-Match), and poll the KR's home task every 50 ms until
its ``percentComplete`` moves. The lag is change → written back; expected ≈ interval/2 + one cycle on
average, interval + one cycle at worst.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.freshness import percentile
from bench.trackers import _request
from okr_sync.sandbox.server import Sandbox
from tests.sync.crash_harness import environment, write_config
from tests.sync.replica_harness import DaemonProcess

HOME = "pT9995d20ffa465aee8407a08cc5"  # OBJ2-KR2's home task in the demo
ITEM = "pT698545c1816a513f89a0effc9b"  # a task in OBJ2-KR2's bucket


def _graph_headers(info: dict[str, Any]) -> dict[str, str]:
    from bench.synthetic import Shape
    from bench.trackers import Trackers

    return Trackers(info, Shape(items=0, krs=1)).graph_headers()


def run(changes: int = 20, interval: int = 5, seed: int = 5) -> dict[str, Any]:
    """Lags (seconds) of ``changes`` polled changes at ``interval`` seconds."""
    rng = random.Random(seed)  # noqa: S311 - timing jitter, not security
    with tempfile.TemporaryDirectory() as tmp, Sandbox("demo") as sandbox:
        config = write_config(Path(tmp) / "okr-sync.yaml", trackers={"planner"},
                              state_url=f"sqlite:///{tmp}/state.db", interval=f"{interval}s")
        daemon = DaemonProcess("polled", config, environment(sandbox.info))
        graph, headers = sandbox.info["planner"]["graph_url"], _graph_headers(sandbox.info)

        def percent(task: str) -> tuple[int, str]:
            body, _ = _request("GET", f"{graph}/planner/tasks/{task}", headers=headers)
            return int(body["percentComplete"]), str(body["@odata.etag"])

        lags: list[float] = []
        try:
            daemon.wait_started()
            daemon.wait_ready()
            for _ in range(changes):
                time.sleep(rng.uniform(0, interval))
                before, _ = percent(HOME)
                value, etag = percent(ITEM)
                changed = time.monotonic()
                _request("PATCH", f"{graph}/planner/tasks/{ITEM}", {"percentComplete": 0 if value == 100 else 100},
                         {**headers, "If-Match": etag})
                while percent(HOME)[0] == before:
                    if time.monotonic() - changed > 10 * interval + 60:
                        raise RuntimeError("the Planner home task did not change; is the daemon polling?")
                    time.sleep(0.05)
                lags.append(time.monotonic() - changed)
        finally:
            daemon.stop()
    return {"interval_seconds": interval, "changes": len(lags), "p50": round(statistics.median(lags), 2),
            "p95": round(percentile(lags, 0.95), 2), "max": round(max(lags), 2),
            "mean": round(statistics.mean(lags), 2)}


if __name__ == "__main__":
    print(run())
