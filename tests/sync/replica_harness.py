"""``okr-sync run`` daemons as processes of their own, and changes made to the demo while they run.

- :class:`DaemonProcess` starts ``okr-sync run`` (``server.listen`` on port 0), reads its JSON log lines
  as they come (the address it bound is in its "daemon started" line) and talks to its HTTP endpoints.
- :class:`Churn` keeps changing linked work items in the sandbox through the trackers' own REST APIs
  (a Jira metric field, a GitLab issue closed and reopened), so every cycle has status to write back.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.sync.crash_harness import okr_sync


class DaemonProcess:
    """One ``okr-sync run`` process; its parsed log records and its HTTP endpoints."""

    def __init__(self, name: str, config: Path, env: dict[str, str]) -> None:
        self.name = name
        self.process = okr_sync("run", "--config", str(config), env=env)
        self.lines: list[str] = []
        self.records: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, name=f"log-{name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            with contextlib.suppress(ValueError):
                self.records.append(json.loads(line))

    def wait_started(self, timeout: float = 120) -> str:
        """The ``host:port`` the daemon listens on, once its HTTP server is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in list(self.records):
                if record.get("message") == "okr-sync daemon started":
                    self.address = str(record["listen"])
                    return self.address
            assert self.process.poll() is None, f"{self.name} exited {self.process.returncode}:\n" + \
                "".join(self.lines[-30:])
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not start within {timeout} s:\n" + "".join(self.lines[-30:]))

    def call(self, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
             timeout: float = 10) -> tuple[int, str]:
        """``GET`` (or ``POST`` with ``body``) ``path`` on the daemon: (status, body text)."""
        request = urllib.request.Request(f"http://{self.address}{path}", data=body, headers=headers or {},
                                         method="GET" if body is None else "POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def health(self) -> dict[str, Any]:
        """The parsed ``/healthz`` answer."""
        status, text = self.call("/healthz")
        answer: dict[str, Any] = json.loads(text)
        answer["http_status"] = status
        return answer

    def held(self) -> set[str]:
        """The scopes the daemon reports holding."""
        return set(self.health()["held"])

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds until ``/readyz`` answered 200."""
        started = time.monotonic()
        while self.call("/readyz")[0] != 200:
            assert self.process.poll() is None, f"{self.name} exited:\n" + "".join(self.lines[-30:])
            assert time.monotonic() - started < timeout, f"{self.name} not ready within {timeout} s"
            time.sleep(0.1)
        return time.monotonic() - started

    def cycles_logged(self) -> list[dict[str, Any]]:
        """The "cycle done" log records so far."""
        return [r for r in list(self.records) if r.get("message") == "cycle done"]

    def stop(self) -> None:
        """Kill the process if it still runs (test teardown)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        self._reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class Churn:
    """Changes linked work items every ``period`` seconds while running (a thread)."""

    def __init__(self, info: dict[str, Any], state: dict[str, Any], *, period: float = 0.7) -> None:
        self.info = info
        self.period = period
        self.changes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="churn", daemon=True)
        jira = state["jira"]
        # a done item: OBJ1-KR1 sums "Amount Recovered" over done items only (issue 19)
        self.jira_key = next(i["key"] for i in jira["issues"] if i.get("status") == "Done" and (
            "kr:OBJ1-KR1" in i.get("labels", []) or (i["fields"].get("Key Result") == "OBJ1-KR1"
                                                     and i["key"] != "PGE-2")))
        self.jira_field = next(f["id"] for f in self.jira("GET", "field") if f["name"] == "Amount Recovered")
        gitlab = state["gitlab"]
        self.gitlab_iid = next(i["iid"] for i in gitlab["issues"]
                               if "kr::OBJ3-KR1" in i["labels"] and i["state"] == "opened")

    def jira(self, method: str, path: str, body: Any = None) -> Any:
        """A Jira REST v2 call (``path`` after ``/rest/api/2/``) as the sandbox's bot user."""
        jira = self.info["jira"]
        login = base64.b64encode(f"{jira['email']}:{jira['token']}".encode()).decode()  # Cloud: e-mail + token
        return _call(method, f"{jira['url']}/rest/api/2/{path}", body, {"Authorization": f"Basic {login}"})

    def gitlab(self, method: str, path: str) -> Any:
        """A GitLab REST v4 call on the demo project (``path`` after ``/projects/<id>/``)."""
        gitlab = self.info["gitlab"]
        project = urllib.parse.quote(gitlab["project"], safe="")
        return _call(method, f"{gitlab['url']}/api/v4/projects/{project}/{path}", None,
                     {"PRIVATE-TOKEN": gitlab["token"]})

    def change_jira(self, flip: bool) -> None:
        """Move OBJ1-KR1's metric: one linked done item's "Amount Recovered" to 3.0 (``flip``) or 0.5."""
        self.jira("PUT", f"issue/{self.jira_key}", {"fields": {self.jira_field: 3.0 if flip else 0.5}})

    def change_gitlab(self, flip: bool) -> None:
        """Move OBJ3-KR1's completion: close (``flip``) or reopen one of its open issues."""
        self.gitlab("PUT", f"issues/{self.gitlab_iid}?state_event={'close' if flip else 'reopen'}")

    def change_once(self) -> None:
        """One change on each tracker (alternating, so statuses keep moving)."""
        flip = self.changes % 2 == 0
        self.change_jira(flip)
        self.change_gitlab(flip)
        self.changes += 1

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.change_once()

    def __enter__(self) -> Churn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def _call(method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None
