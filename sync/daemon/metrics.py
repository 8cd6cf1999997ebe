"""Prometheus metrics of the daemon (one registry per daemon, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from okr_sync.engine.report import CycleReport


class Metrics:
    """Cycles, duration, API calls and writes per tracker, errors by disposition, freshness, KRs by status."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.cycles = Counter("okr_sync_cycles", "Sync cycles by tracker and outcome", ["tracker", "outcome"],
                              registry=r)
        self.duration = Histogram("okr_sync_cycle_duration_seconds", "Duration of a sync cycle", registry=r,
                                  buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
        self.calls = Counter("okr_sync_api_calls", "Tracker API requests", ["tracker"], registry=r)
        self.writes = Counter("okr_sync_writes", "Writes made to trackers", ["tracker"], registry=r)
        self.errors = Counter("okr_sync_errors", "Errors by tracker and disposition", ["tracker", "disposition"],
                              registry=r)
        self.problems = Counter("okr_sync_item_problems", "Item-level problems", ["tracker"], registry=r)
        self.freshness = Gauge("okr_sync_freshness_lag_seconds",
                               "Seconds from a webhook's arrival to the end of the cycle it triggered", ["tracker"],
                               registry=r)
        self.last_success = Gauge("okr_sync_last_success_timestamp_seconds", "End of the last good cycle",
                                  ["tracker"], registry=r)
        self.krs = Gauge("okr_sync_key_results", "Key Results by status", ["status"], registry=r)
        self.webhooks = Counter("okr_sync_webhooks", "Webhook deliveries by tracker and result", ["tracker", "result"],
                                registry=r)

    def observe(self, report: CycleReport) -> None:
        """Record one cycle."""
        if report.finished is not None:
            self.duration.observe((report.finished - report.started).total_seconds())
        for name, outcome in report.trackers.items():
            self.cycles.labels(name, "ok" if outcome.error is None else "error").inc()
            self.calls.labels(name).inc(outcome.calls)
            self.writes.labels(name).inc(outcome.writes)
            self.problems.labels(name).inc(len(outcome.problems))
            if outcome.error is not None:
                self.errors.labels(name, outcome.error.disposition).inc()
            elif report.finished is not None:
                self.last_success.labels(name).set(report.finished.timestamp())
        if report.computed is not None:
            counts: dict[str, int] = {}
            for status in report.computed.key_results.values():
                counts[status.status.value] = counts.get(status.status.value, 0) + 1
            for value in ("not_started", "on_track", "at_risk", "off_track", "done"):
                self.krs.labels(value).set(counts.get(value, 0))
