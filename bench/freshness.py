"""Benchmark: webhook → status written back (issue 9, acceptance 5: p95 under 5 s over 50 changes).

Run: ``.venv/bin/python bench/freshness.py [--changes 50] [--debounce 2] [--trackers jira,gitlab]``.

Starts the demo sandbox and the real ``okr-sync run`` daemon (a process of its own, SQLite store, a
long schedule so only webhooks trigger cycles, the product's default 2 s debounce). Then, one change at
a time, alternating over the trackers: change a linked work item through the tracker's REST API (Jira:
"Amount Recovered" of an OBJ1-KR1 item; GitLab: close/reopen an OBJ3-KR1 issue), POST the tracker's
signed webhook to the daemon, and poll the KR's home item through the tracker's API every 20 ms until
it shows the new status (Jira "OKR Progress" of PGE-2; GitLab the status block of issue #2). Prints
the lag from the webhook delivery, and from the change itself, as p50 / p95 / max, overall and per
tracker. The debounce is part of the figure: a delivery waits until its burst has been quiet that long.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the helpers live with the sync tests

from okr_sync.sandbox.server import Sandbox
from tests.conftest import SandboxControl
from tests.sync.crash_harness import environment, write_config
from tests.sync.replica_harness import Churn, DaemonProcess

JIRA_SECRET = "bench-jira-hook-secret"  # noqa: S105 - a sandbox-only webhook secret
GITLAB_SECRET = "bench-gitlab-hook-secret"  # noqa: S105
JIRA_HOME, GITLAB_HOME_IID = "PGE-2", 2


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    """``p50 / p95 / max`` in seconds."""
    return (f"p50 {statistics.median(values):5.2f} s   p95 {percentile(values, 0.95):5.2f} s   "
            f"max {max(values):5.2f} s   (n={len(values)})")


class Bench:
    """The sandbox, the daemon and the per-tracker change / webhook / observation steps."""

    def __init__(self, sandbox: Sandbox, daemon: DaemonProcess, churn: Churn) -> None:
        self.sandbox, self.daemon, self.churn = sandbox, daemon, churn
        self.progress_field = next(f["id"] for f in churn.jira("GET", "field") if f["name"] == "OKR Progress")

    def home(self, tracker: str) -> str:
        """What the KR's home item shows now (the part okr-sync writes)."""
        if tracker == "jira":
            issue = self.churn.jira("GET", f"issue/{JIRA_HOME}?fields={self.progress_field}")
            return str(issue["fields"][self.progress_field])
        return str(self.churn.gitlab("GET", f"issues/{GITLAB_HOME_IID}")["description"])

    def change(self, tracker: str, flip: bool) -> None:
        """Change a linked work item so the KR's progress moves."""
        (self.churn.change_jira if tracker == "jira" else self.churn.change_gitlab)(flip)

    def deliver(self, tracker: str) -> None:
        """POST the tracker's authenticated webhook for the changed item; 202 required."""
        if tracker == "jira":
            body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": self.churn.jira_key}}).encode()
            headers = {"X-Hub-Signature": "sha256=" + hmac.new(JIRA_SECRET.encode(), body, hashlib.sha256).hexdigest()}
        else:
            project = self.sandbox.info["gitlab"]["project"]
            body = json.dumps({"object_kind": "issue", "project": {"path_with_namespace": project},
                               "object_attributes": {"iid": self.churn.gitlab_iid}}).encode()
            headers = {"X-Gitlab-Token": GITLAB_SECRET, "X-Gitlab-Event": "Issue Hook"}
        status, text = self.daemon.call(f"/webhooks/{tracker}", body=body,
                                        headers={**headers, "Content-Type": "application/json"})
        assert status == 202, f"webhook {tracker}: {status} {text}"

    def one(self, tracker: str, flip: bool, timeout: float) -> tuple[float, float]:
        """One change → (seconds from the webhook, seconds from the change) until the home shows it."""
        before = self.home(tracker)
        changed = time.monotonic()
        self.change(tracker, flip)
        delivered = time.monotonic()
        self.deliver(tracker)
        while self.home(tracker) == before:
            if time.monotonic() - delivered > timeout:
                raise SystemExit(f"{tracker}: the home item did not change within {timeout} s")
            time.sleep(0.02)
        done = time.monotonic()
        return done - delivered, done - changed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--debounce", type=int, default=2, help="schedule.debounce in seconds (default 2)")
    parser.add_argument("--trackers", default="jira,gitlab", help="comma-separated: jira, gitlab")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on one change after this")
    args = parser.parse_args(argv)
    trackers = args.trackers.split(",")
    with tempfile.TemporaryDirectory() as tmp, Sandbox("demo") as sandbox:
        config = write_config(
            Path(tmp) / "okr-sync.yaml", trackers=set(trackers), state_url=f"sqlite:///{tmp}/state.db",
            interval="1h", debounce=f"{args.debounce}s",
            tracker_settings={"jira": {"webhook_secret": "${BENCH_JIRA_SECRET}"},
                              "gitlab": {"webhook_secret": "${BENCH_GITLAB_SECRET}"}})
        env = {**environment(sandbox.info), "BENCH_JIRA_SECRET": JIRA_SECRET, "BENCH_GITLAB_SECRET": GITLAB_SECRET}
        started = time.monotonic()
        daemon = DaemonProcess("bench", config, env)
        try:
            daemon.wait_started()
            daemon.wait_ready()
            print(f"daemon ready (first full cycle done) after {time.monotonic() - started:.1f} s; "
                  f"debounce {args.debounce} s; {args.changes} changes over {', '.join(trackers)}")
            bench = Bench(sandbox, daemon, Churn(sandbox.info, SandboxControl(sandbox.control_url).state()))
            lags: dict[str, list[tuple[float, float]]] = {t: [] for t in trackers}
            for index in range(args.changes):
                tracker = trackers[index % len(trackers)]
                lags[tracker].append(bench.one(tracker, flip=(index // len(trackers)) % 2 == 0,
                                               timeout=args.timeout))
                time.sleep(0.2)
        finally:
            daemon.stop()
    every = [lag for per in lags.values() for lag in per]
    print(f"webhook → written back, all      {summary([w for w, _ in every])}")
    for tracker, per in lags.items():
        print(f"webhook → written back, {tracker:<8} {summary([w for w, _ in per])}")
    print(f"change  → written back, all      {summary([c for _, c in every])}")
    p95 = percentile([w for w, _ in every], 0.95)
    print(f"acceptance 5 (p95 < 5 s): {'met' if p95 < 5 else 'NOT met'} — p95 {p95:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
