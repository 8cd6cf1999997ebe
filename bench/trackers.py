"""Plain-HTTP access to the sandbox's trackers: changing work items as people would, and raw paging.

:class:`Trackers` changes ``k`` work items per tracker through each tracker's REST API (Jira: story
points; GitLab: weight; Planner: percentComplete with If-Match), spread over distinct KRs, and times
reading the same pages the connectors read with nothing but ``urllib`` + ``json`` — the floor any
client must pay for the same pages (the "raw paging time").
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.parse
import urllib.request
from typing import Any

from bench.synthetic import GITLAB_PROJECT, JIRA_PROJECT, Shape, kr_ids, plan_id, task_id

JIRA_FIELDS = "summary,status,resolution,labels,assignee,duedate,updated,created,parent,issuelinks"


def _request(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
             context: ssl.SSLContext | None = None) -> tuple[Any, dict[str, str]]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - loopback sandbox only
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=300, context=context) as response:  # noqa: S310 - loopback
        raw = response.read()
        return (json.loads(raw) if raw else None), dict(response.headers)


class Trackers:
    """REST clients of a running sandbox (its ``info``) for one synthetic shape."""

    def __init__(self, info: dict[str, Any], shape: Shape) -> None:
        self.info, self.shape = info, shape
        self.counts = shape.per_tracker(shape.items)
        self.krs = kr_ids(shape)
        self._jira_auth = {"Authorization": f"Bearer {info['jira']['token']}"}
        self._gitlab_auth = {"PRIVATE-TOKEN": info["gitlab"]["token"]}
        self._graph_token: str | None = None
        self._points_field: str | None = None
        self.rounds = 0

    # -- auth ------------------------------------------------------------------------------------
    def graph_headers(self) -> dict[str, str]:
        """A bearer token from the sandbox's identity platform (client credentials, over its TLS)."""
        if self._graph_token is None:
            planner = self.info["planner"]
            form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": planner["client_id"],
                                           "client_secret": planner["client_secret"],
                                           "scope": "https://graph.microsoft.com/.default"}).encode()
            token_url = f"{planner['authority']}/{planner['tenant_id']}/oauth2/v2.0/token"
            request = urllib.request.Request(token_url, data=form, method="POST")  # noqa: S310 - loopback sandbox
            context = ssl.create_default_context(cafile=planner["ca_cert"])
            with urllib.request.urlopen(request, context=context, timeout=30) as response:  # noqa: S310
                self._graph_token = json.loads(response.read())["access_token"]
        return {"Authorization": f"Bearer {self._graph_token}"}

    # -- changes ---------------------------------------------------------------------------------
    def _targets(self, tracker: str, k: int) -> list[int]:
        """Indexes of ``k`` work items of ``tracker`` on distinct KRs first (items are round-robin)."""
        count, krs = self.counts[tracker], len(self.krs[tracker])
        offset = (self.rounds * 7919) % max(1, count // max(1, krs))  # a different item of each KR per round
        return [(offset * krs + i) % count for i in range(min(k, count))]

    def change(self, tracker: str, k: int) -> int:
        """Change ``k`` work items of ``tracker`` so their KRs' progress moves; returns the KRs touched."""
        targets = self._targets(tracker, k)
        flip = self.rounds % 2
        getattr(self, f"_change_{tracker}")(targets, flip)
        return len({i % len(self.krs[tracker]) for i in targets})

    def next_round(self) -> None:
        """The next :meth:`change` picks other items and the opposite direction."""
        self.rounds += 1

    def _change_jira(self, targets: list[int], flip: int) -> None:
        base = self.info["jira"]["url"] + "/rest/api/2/"
        if self._points_field is None:
            fields, _ = _request("GET", base + "field", headers=self._jira_auth)
            self._points_field = next(f["id"] for f in fields if f["name"] == "Story Points")
        for index in targets:
            _request("PUT", f"{base}issue/{JIRA_PROJECT}-{index + 1}",
                     {"fields": {self._points_field: 40.0 if flip == 0 else 1.0}}, self._jira_auth)

    def _change_gitlab(self, targets: list[int], flip: int) -> None:
        project = urllib.parse.quote(GITLAB_PROJECT, safe="")
        for index in targets:
            _request("PUT", f"{self.info['gitlab']['url']}/api/v4/projects/{project}/issues/{index + 1}"
                            f"?weight={40 if flip == 0 else 1}&state_event={'close' if flip == 0 else 'reopen'}",
                     headers=self._gitlab_auth)

    def _change_planner(self, targets: list[int], flip: int) -> None:
        graph = self.info["planner"]["graph_url"]
        headers = self.graph_headers()
        for index in targets:
            url = f"{graph}/planner/tasks/{task_id(index // self.shape.plan_size, index % self.shape.plan_size)}"
            task, _ = _request("GET", url, headers=headers)
            percent = 100 if task["percentComplete"] != 100 else 0
            _request("PATCH", url, {"percentComplete": percent}, {**headers, "If-Match": task["@odata.etag"]})

    # -- raw paging ------------------------------------------------------------------------------
    def raw_paging(self) -> dict[str, dict[str, float]]:
        """Every work-item page each tracker serves, read with plain HTTP: ``{tracker: {pages, seconds}}``."""
        return {tracker: self._timed(getattr(self, f"_pages_{tracker}")) for tracker in ("jira", "gitlab", "planner")}

    @staticmethod
    def _timed(pages: Any) -> dict[str, float]:
        started = time.perf_counter()
        count = pages()
        return {"pages": count, "seconds": time.perf_counter() - started}

    def _pages_jira(self) -> int:
        jql = urllib.parse.quote(f"project = {JIRA_PROJECT} ORDER BY created ASC, key ASC")
        if self.shape.jira_deployment == "Server":  # /search with startAt, 1,000 per page
            start, pages = 0, 0
            while True:
                url = f"{self.info['jira']['url']}/rest/api/2/search?jql={jql}&startAt={start}&maxResults=1000" \
                      f"&fields={JIRA_FIELDS}"
                page, _ = _request("GET", url, headers=self._jira_auth)
                pages += 1
                start += len(page["issues"])
                if not page["issues"] or start >= page["total"]:
                    return pages
        base = self.info["jira"]["url"] + "/rest/api/2/search/jql"
        token, pages = None, 0
        while True:
            url = f"{base}?jql={jql}&maxResults=100&fields={JIRA_FIELDS}" + (f"&nextPageToken={token}" if token else "")
            page, _ = _request("GET", url, headers=self._jira_auth)
            pages += 1
            token = page.get("nextPageToken")
            if not token:
                return pages

    def _pages_gitlab(self) -> int:
        project = urllib.parse.quote(GITLAB_PROJECT, safe="")
        url: str | None = (f"{self.info['gitlab']['url']}/api/v4/projects/{project}/issues"
                           "?scope=all&state=all&order_by=updated_at&sort=asc&per_page=100")
        pages = 0
        while url:
            _, headers = _request("GET", url, headers=self._gitlab_auth)
            pages += 1
            url = _next_link(headers.get("Link", ""))
        return pages

    def _pages_planner(self) -> int:
        graph, headers, pages = self.info["planner"]["graph_url"], self.graph_headers(), 0
        for p in range(self.shape.plans()):
            url: str | None = f"{graph}/planner/plans/{plan_id(p)}/tasks"
            while url:
                page, _ = _request("GET", url, headers=headers)
                pages += 1
                url = page.get("@odata.nextLink")
        return pages


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None
