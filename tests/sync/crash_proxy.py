"""A recording HTTP proxy between okr-sync and the sandbox, able to stop a process at an exact write.

okr-sync is configured with the proxy's URLs instead of the sandbox's (``/jira``, ``/gitlab``,
``/graph/v1.0`` are forwarded unchanged, with the client's ``Host`` header, so every link the sandbox
renders points back through the proxy). The proxy:

- records every write request (POST, PUT, PATCH, DELETE) with its arrival and answer times in a
  :class:`Journal` that several proxies may share (one proxy per replica tells who wrote what, when);
- logs every request line (``METHOD /path?query``) in :attr:`TrackerProxy.seen`;
- can hold the first request matching a pattern (:meth:`TrackerProxy.hold_request`) without forwarding
  it — e.g. the first request of a tracker's pull, or of the reading of home items;
- can *hold* the n-th write: ``phase="before"`` holds it without forwarding (the process is killed
  between two writes: write n never reaches the tracker), ``phase="after"`` forwards it and holds the
  answer (the write landed but the process dies before it learns so — the nastiest crash point).

The held request is released by :meth:`TrackerProxy.release` after the test killed the client; a
"before" write is then dropped, never forwarded.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_POSTS = ("/_apis/wit/wiql", "/_apis/wit/workitemsbatch")
"""Azure DevOps reads by POST (a WIQL query, a batch of work items): not writes, as the sandbox counts them."""


def _is_write(method: str, path: str) -> bool:
    return method in WRITE_METHODS and not path.rstrip("/").lower().endswith(READ_POSTS)
_MARKER = re.compile(rb"okr-sync:(?:status|checkin):[A-Za-z0-9:-]+")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te",
               "trailer", "upgrade"}


@dataclass(frozen=True)
class WriteRecord:
    """One write request seen by a proxy: who sent it, what, and when (monotonic seconds)."""

    source: str
    method: str
    path: str
    arrived: float
    answered: float
    status: int
    marker: str = ""  # the okr-sync marker the request body carries (a status or check-in text), if any

    @property
    def tracker(self) -> str:
        """``jira``, ``gitlab`` or ``planner`` from the path's mount."""
        mount = self.path.split("/")[1]
        return "planner" if mount == "graph" else mount


@dataclass
class Journal:
    """Every write the proxies forwarded, in arrival order; shared by the proxies of one test."""

    records: list[WriteRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: WriteRecord) -> None:
        """Append one record (thread-safe)."""
        with self.lock:
            self.records.append(record)

    def snapshot(self) -> list[WriteRecord]:
        """A copy of the records so far."""
        with self.lock:
            return list(self.records)


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log."""


class TrackerProxy:
    """Forwards HTTP requests to ``upstream`` (``http://127.0.0.1:PORT``), recording and holding writes."""

    def __init__(self, upstream: str, *, source: str = "proxy", journal: Journal | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.journal = journal or Journal()
        self.writes_seen = 0
        self._count_lock = threading.Lock()
        self._hold_at: int | None = None
        self._hold_phase = "before"
        self._hold_read_after: int | None = None
        self._hold_pattern: re.Pattern[str] | None = None
        self.seen: list[str] = []
        self.held = threading.Event()
        self._release = threading.Event()
        self._server: BaseWSGIServer | None = None

    # ------------------------------------------------------------------------------------ lifecycle
    def start(self) -> TrackerProxy:
        """Listen on a free port of 127.0.0.1."""
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, name=f"proxy-{self.source}", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        """Base URL of the proxy (mounts are appended: ``/jira``, ``/gitlab``, ``/graph/v1.0``)."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    def stop(self) -> None:
        """Release anything held and stop listening."""
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ---------------------------------------------------------------------------------------- holds
    def hold(self, nth_write: int, phase: str) -> None:
        """Hold the ``nth_write`` write from now on (1-based): ``before`` or ``after`` forwarding it."""
        assert phase in ("before", "after"), phase
        with self._count_lock:
            self.writes_seen = 0
            self._hold_at, self._hold_phase = nth_write, phase
        self.held.clear()
        self._release.clear()

    def hold_read_after(self, writes: int) -> None:
        """Hold (without forwarding) the first read that arrives once ``writes`` writes were seen — e.g.
        the pull with which a cycle absorbs its own writes after the last one."""
        with self._count_lock:
            self.writes_seen = 0
            self._hold_at, self._hold_read_after = None, writes
        self.held.clear()
        self._release.clear()

    def hold_request(self, pattern: str) -> None:
        """Hold (without forwarding) the first request whose ``METHOD /path?query`` matches ``pattern``
        (a regular expression searched in it) from now on."""
        with self._count_lock:
            self.writes_seen = 0
            self._hold_at = self._hold_read_after = None
            self._hold_pattern = re.compile(pattern)
        self.held.clear()
        self._release.clear()

    def release(self) -> None:
        """Let a held request go (a "before" write is dropped) and hold nothing more."""
        with self._count_lock:
            self._hold_at = self._hold_read_after = None
            self._hold_pattern = None
        self._release.set()

    # ------------------------------------------------------------------------------------------ wsgi
    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request = Request(environ)
        method = request.method.upper()
        arrived = time.monotonic()
        holding = False
        line = f"{method} {environ.get('RAW_URI') or request.full_path}"
        with self._count_lock:
            self.seen.append(line)
            if self._hold_pattern is not None and self._hold_pattern.search(line):
                holding, self._hold_pattern, self._hold_phase = True, None, "before"
            elif _is_write(method, request.path):
                self.writes_seen += 1
                holding = self._hold_at is not None and self.writes_seen == self._hold_at
            elif self._hold_read_after is not None and self.writes_seen >= self._hold_read_after:
                holding, self._hold_read_after, self._hold_phase = True, None, "before"
        if holding and self._hold_phase == "before":
            self.held.set()
            self._release.wait(120)
            start_response("502 Bad Gateway", [("Content-Length", "0")])
            return []
        status, reason, headers, body = self._forward(request, environ.get("RAW_URI") or request.full_path)
        if _is_write(method, request.path):
            found = _MARKER.search(request.get_data())
            self.journal.add(WriteRecord(self.source, method, request.path, arrived, time.monotonic(), status,
                                         found.group().decode() if found else ""))
        if holding:
            self.held.set()
            self._release.wait(120)
        start_response(f"{status} {reason}", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _forward(self, request: Request, target: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(request.method, target, body=request.get_data(), headers=headers)
            response = connection.getresponse()
            body = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, response.reason, kept, body
        finally:
            connection.close()
