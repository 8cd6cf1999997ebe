"""``okr-sync run``: the daemon — scheduled cycles, webhook-triggered cycles, health, metrics, graceful stop.

One loop thread runs cycles: on the schedule (``schedule.interval``; a full reconcile every
``schedule.reconcile``) and, debounced (``schedule.debounce``), soon after a webhook names a tracker. The
HTTP thread only authenticates and parses webhooks, so a slow tracker never blocks deliveries. On
SIGTERM the loop finishes the write in flight, stops between home items, releases its leases and the
process exits 0. With a PostgreSQL store several replicas split the tracker scopes (see
:mod:`okr_sync.daemon.replicas`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from okr_sync.config.models import Settings
from okr_sync.config.plugins import installed
from okr_sync.config.types import format_duration
from okr_sync.connectors.base import Connector, WebhookRejected
from okr_sync.connectors.capabilities import ReceivesWebhooks
from okr_sync.daemon.metrics import Metrics
from okr_sync.daemon.replicas import ScopeDealer
from okr_sync.engine.cycle import Engine

log = logging.getLogger("okr_sync.daemon")


@dataclass
class Triggers:
    """Webhook triggers waiting for their debounce to pass: tracker → (first, last) arrival."""

    pending: dict[str, tuple[float, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event = field(default_factory=threading.Event)

    def add(self, tracker: str) -> None:
        """Record a delivery for ``tracker`` and wake the loop."""
        now = time.monotonic()
        with self.lock:
            first, _ = self.pending.get(tracker, (now, now))
            self.pending[tracker] = (first, now)
        self.wake.set()

    def due(self, debounce: float) -> tuple[dict[str, float], float | None]:
        """Trackers whose burst is over (quiet for ``debounce``, or waiting 3× that), each with the arrival
        of its burst's first delivery (freshness is measured from there); the next due time."""
        now = time.monotonic()
        ready: dict[str, float] = {}
        next_due: float | None = None
        with self.lock:
            for tracker, (first, last) in list(self.pending.items()):
                at = min(last + debounce, first + 3 * debounce)
                if at <= now:
                    ready[tracker] = first
                    del self.pending[tracker]
                else:
                    next_due = at if next_due is None else min(next_due, at)
        return ready, next_due


class Daemon:
    """The long-running service around an :class:`Engine`."""

    def __init__(self, settings: Settings, store: Any, connectors: Mapping[str, Connector], *,
                 secrets: list[str], holder_id: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.connectors = dict(connectors)
        self.engine = Engine(settings, store, connectors, clock=clock, secrets=secrets)
        self.metrics = Metrics()
        self.triggers = Triggers()
        self.stopping = threading.Event()
        self.holder_id = holder_id or f"{socket.gethostname()}-{os.getpid()}"
        self.dealer = ScopeDealer(settings.state.url, self.holder_id)
        self.held: set[str] = set()
        self.cycles_done = 0
        self.last_loop = time.monotonic()
        self.server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._last_full = 0.0  # monotonic time of the last full reconcile

    # ----------------------------------------------------------------------------------- lifecycle
    def start(self) -> Daemon:
        """Warn about unsafe settings, bind the HTTP server and start the loop."""
        self._warn_insecure()
        host, _, port = self.settings.server.listen.rpartition(":")
        self.server = make_server(host.strip("[]") or "127.0.0.1", int(port), self.wsgi, threaded=True)
        for target, name in ((self.server.serve_forever, "okr-sync-http"), (self._loop, "okr-sync-loop")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("okr-sync daemon started", extra={"listen": self.address, "holder": self.holder_id,
                                                    "trackers": sorted(self.connectors)})
        return self

    @property
    def address(self) -> str:
        """``host:port`` the HTTP server listens on."""
        assert self.server is not None
        return f"{self.server.host}:{self.server.port}"

    def stop(self, timeout: float = 60.0) -> None:
        """Graceful stop: the loop finishes the write in flight, then everything shuts down."""
        self.stopping.set()
        self.triggers.wake.set()
        loop = next((t for t in self._threads if t.name == "okr-sync-loop"), None)
        if loop is not None:
            loop.join(timeout)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.dealer.close()
        log.info("okr-sync daemon stopped", extra={"holder": self.holder_id, "cycles": self.cycles_done})

    def _warn_insecure(self) -> None:
        for name, tracker in self.settings.trackers.items():
            setting = installed()[tracker.kind].webhook_setting
            if setting is not None and getattr(tracker, setting, None) is None:
                log.warning("WEBHOOKS UNAUTHENTICATED: no %s for this tracker; anyone who can reach "
                            "/webhooks/%s can trigger cycles. Set trackers.%s.%s.", setting, name, name, setting,
                            extra={"tracker": name})
            if not tracker.verify_tls:
                log.warning("TLS VERIFICATION OFF for this tracker (verify_tls: false): its certificate is not "
                            "checked; use ca_cert instead", extra={"tracker": name})

    # ---------------------------------------------------------------------------------------- loop
    def _loop(self) -> None:
        interval = self.settings.schedule.interval.total_seconds()
        reconcile = self.settings.schedule.reconcile.total_seconds()
        debounce = self.settings.schedule.debounce.total_seconds()
        next_run = self._last_full = time.monotonic()
        next_checkin = self._first_checkin()
        while not self.stopping.is_set():
            self.last_loop = now = time.monotonic()
            next_due: float | None = None
            try:
                if now >= next_run:
                    self.held = self.dealer.tick(sorted(self.connectors))
                    full = now - self._last_full >= reconcile
                    self._run(self.held, full=full)
                    if full:
                        self._last_full = now
                    next_run = now + interval
                next_checkin = self._maybe_post_checkin(next_checkin)
                ready, next_due = self.triggers.due(debounce)
                if ready:
                    self._run(set(ready) & self.held, triggered_at=ready)
                    continue
            except Exception:
                log.exception("cycle failed; the daemon keeps running")
                next_run = time.monotonic() + interval
            wait = next_run - time.monotonic()
            if next_due is not None:
                wait = min(wait, next_due - time.monotonic())
            self.triggers.wake.wait(max(0.05, min(wait, 5.0)))
            self.triggers.wake.clear()

    def _first_checkin(self) -> datetime | None:
        """The scheduled check-in to post first: the latest one already due (posting is idempotent), so a
        daemon restarted on Monday at 09:05 still posts Monday's check-in."""
        spec = self.settings.schedule.checkin
        if not spec:
            return None
        from datetime import timedelta

        from okr_sync.engine.checkin import next_checkin_time

        return next_checkin_time(spec, self.settings.schedule.timezone, self.engine.clock() - timedelta(days=7))

    def _maybe_post_checkin(self, due: datetime | None) -> datetime | None:
        """Post the weekly check-in when its time has come; returns the next due time."""
        if due is None or self.engine.clock() < due or not self.held:
            return due
        from okr_sync.engine.checkin import due_checkin_week, next_checkin_time

        tz = self.settings.schedule.timezone
        week = due_checkin_week(due, tz)
        report = self.engine.cycle(only=self.held, checkin_week=week, may_write=self.dealer.may_write,
                                   should_stop=self.stopping.is_set)
        self.cycles_done += 1
        self.metrics.observe(report)
        log.info("weekly check-in posted", extra={"week": week, "writes": report.writes,
                                                   "problems": len(report.problems)})
        return next_checkin_time(self.settings.schedule.checkin or "", tz, due)

    def _run(self, trackers: set[str], *, full: bool = False, triggered_at: Mapping[str, float] | None = None) -> None:
        if not trackers or self.stopping.is_set():
            return
        report = self.engine.cycle(only=trackers, full=full, may_write=self.dealer.may_write,
                                   should_stop=self.stopping.is_set)
        self.cycles_done += 1
        self.metrics.observe(report)
        if triggered_at is not None:
            for tracker in trackers:
                self.metrics.freshness.labels(tracker).set(time.monotonic() - triggered_at[tracker])
        log.info("cycle done", extra={"trackers": sorted(trackers), "full": full, "writes": report.writes,
                                      "calls": report.calls, "problems": len(report.problems)})

    # ---------------------------------------------------------------------------------------- http
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The daemon's HTTP endpoints."""
        request = Request(environ)
        path = request.path.rstrip("/")
        if path == "/healthz":
            response = self._health()
        elif path == "/readyz":
            response = self._ready()
        elif path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

            response = Response(generate_latest(self.metrics.registry), content_type=CONTENT_TYPE_LATEST)
        elif path.startswith("/webhooks/"):
            response = self._webhook(request, path.removeprefix("/webhooks/"))
        else:
            response = _json(404, {"error": "not found", "endpoints": ["/healthz", "/readyz", "/metrics",
                                                                        "/webhooks/<tracker>"]})
        return response(environ, start_response)

    def _health(self) -> Response:
        stuck = time.monotonic() - self.last_loop > max(60.0, 3 * self.settings.schedule.interval.total_seconds()
                                                         + 600)
        alive = any(t.name == "okr-sync-loop" and t.is_alive() for t in self._threads)
        ok = alive and not stuck
        return _json(200 if ok else 503, {"status": "ok" if ok else "unhealthy", "loop_alive": alive,
                                          "cycles": self.cycles_done, "held": sorted(self.held)})

    def _ready(self) -> Response:
        ready = self.cycles_done > 0 and not self.stopping.is_set()
        return _json(200 if ready else 503, {"ready": ready, "cycles": self.cycles_done})

    def _webhook(self, request: Request, tracker: str) -> Response:
        connector = self.connectors.get(tracker)
        if connector is None:
            return _json(404, {"error": f"no tracker named '{tracker}' is configured"})
        limit = self.settings.server.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            self.metrics.webhooks.labels(tracker, "too_large").inc()
            return _json(413, {"error": f"body larger than {limit} bytes"})
        if not isinstance(connector, ReceivesWebhooks):
            return _json(404, {"error": f"tracker '{tracker}' takes no webhooks; it is read every "
                                        f"{format_duration(self.settings.schedule.interval)}"})
        body = request.stream.read(limit + 1)
        try:
            event = connector.parse_webhook(dict(request.headers), body, max_bytes=limit)
        except WebhookRejected as exc:
            self.metrics.webhooks.labels(tracker, f"rejected_{exc.status}").inc()
            log.warning("webhook rejected", extra={"tracker": tracker, "status": exc.status, "reason": str(exc)})
            return _json(exc.status, {"error": exc.message})
        if event.ignored:
            self.metrics.webhooks.labels(tracker, "ignored").inc()
            return _json(200, {"accepted": False, "ignored": event.event})
        self.metrics.webhooks.labels(tracker, "accepted").inc()
        self.triggers.add(tracker)
        return _json(202, {"accepted": True, "items": len(event.keys)})


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def run_daemon(settings: Settings, store: Any, connectors: Mapping[str, Connector], secrets: list[str]) -> int:
    """Run until SIGTERM/SIGINT; return the exit code (0 after a graceful stop)."""
    import signal

    daemon = Daemon(settings, store, connectors, secrets=secrets)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    daemon.start()
    stop.wait()
    daemon.stop()
    return 0
