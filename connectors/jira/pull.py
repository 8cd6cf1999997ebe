"""Incremental Jira pulls: the watermark, the JQL time window and paged search on Cloud and Server.

JQL compares ``updated`` at minute resolution in the *okr-sync user's* time zone. So a pull asks for
``updated >= "<since - overlap, floored to the minute, in that zone>"`` and drops what it already
delivered: the watermark remembers, besides the newest ``updated`` seen, the ``updated`` stamp of every
item inside the overlap window. An idle pull therefore returns nothing and costs one search request.

Watermark format (opaque to the engine): compact JSON
``{"v": 1, "since": "<ISO 8601 UTC, ms>", "seen": {"PGE-7": "<ISO 8601 UTC, ms>", …}}``.

Paging: Cloud ``GET /rest/api/2/search/jql`` with ``nextPageToken`` (100 per page with fields), Server
``GET /rest/api/2/search`` with ``startAt`` (up to 1000 per page, honouring the ``maxResults`` echoed).
Each page is one retried request. Results are ordered by creation so that paging is stable while people
edit issues.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okr_sync.connectors import watermark
from okr_sync.connectors.jira.session import LOG, JiraSession
from okr_sync.connectors.logs import TrackerLog

CLOUD_PAGE = 100
MAX_RECONCILE = 50
"""Issue ids ``/search/jql`` reconciles at most (``reconcileIssues``)."""
SERVER_PAGE = 1000
_ORDER_BY = re.compile(r"\s+order\s+by\s+[^\"']*$", re.IGNORECASE)
MARGIN = timedelta(minutes=1)


@dataclass(slots=True)
class Watermark:
    """Newest ``updated`` delivered, and the items delivered inside the overlap window."""

    since: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)
    site: dict[str, Any] | None = None
    """What the site told us once (serverInfo, the field list, the user's time zone), so a new process
    does not ask again; refreshed by every full pull (the periodic reconcile)."""

    @classmethod
    def decode(cls, text: str | None, *, log: logging.Logger | TrackerLog = LOG) -> Watermark:
        """Read a watermark; an unreadable one means a full pull (logged to ``log``, the tracker's)."""
        if not text:
            return cls()
        data = watermark.decode(text)
        try:
            if data is None:
                raise ValueError("not a watermark")
            since = datetime.fromisoformat(data["since"]).astimezone(UTC)
            site = data.get("site") if isinstance(data.get("site"), dict) else None
            return cls(since, {str(k): str(v) for k, v in (data.get("seen") or {}).items()}, site)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("jira: unreadable watermark %r; pulling everything in scope", text[:80])
            return cls()

    def encode(self) -> str | None:
        """The opaque string the engine stores (None before anything was seen)."""
        if self.since is None:
            return None
        data: dict[str, Any] = {"since": _iso(self.since), "seen": self.seen}
        if self.site:
            data["site"] = self.site
        return watermark.encode(data)

    def is_new(self, key: str, updated: datetime | None) -> bool:
        """Whether this version of the item was not delivered yet."""
        return updated is None or self.seen.get(key) != _iso(updated)

    def advance(self, delivered: list[tuple[str, datetime | None]], overlap: timedelta) -> Watermark:
        """The watermark after delivering ``delivered`` (key, updated)."""
        stamps = [u for _, u in delivered if u is not None]
        since = max([*stamps, *([self.since] if self.since else [])], default=None)
        if since is None:
            return Watermark(site=self.site)
        horizon = since - overlap - MARGIN
        seen = {k: v for k, v in self.seen.items() if datetime.fromisoformat(v) >= horizon}
        seen.update({k: _iso(u) for k, u in delivered if u is not None and u >= horizon})
        return Watermark(since, seen, self.site)


def window_jql(scope: str, since: datetime | None, overlap: timedelta, time_zone: str, *,
               log: logging.Logger | TrackerLog = LOG) -> str:
    """The search JQL: the scope, limited to ``updated >= since - overlap`` when incremental."""
    condition = _ORDER_BY.sub("", scope.strip())
    if since is not None:
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("jira: unknown user time zone %r; using UTC (pull overlap still applies)", time_zone)
            zone = ZoneInfo("UTC")
        literal = (since - overlap).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        condition = f'({condition}) AND updated >= "{literal}"' if condition else f'updated >= "{literal}"'
    return f"{condition} ORDER BY created ASC, key ASC"


def search_pages(session: JiraSession, jql: str, fields: list[str],
                 reconcile: list[int] | None = None) -> Iterator[list[dict[str, Any]]]:
    """Pages of raw issues for ``jql`` (one retried request per page).

    Cloud's search index is eventually consistent: right after okr-sync wrote an issue, a search may
    not show the change yet. ``reconcile`` (issue ids, at most 50, the same on every page) asks Cloud to
    reconcile those issues with the results (``reconcileIssues`` of ``/search/jql``).
    """
    client = session.client()
    subject = f"search ({jql})"
    if session.cloud:
        token: str | None = None
        while True:
            page = session.call(
                partial(_checked, partial(client.enhanced_search_issues, jql, nextPageToken=token,
                                          maxResults=CLOUD_PAGE, fields=list(fields), json_result=True,
                                          reconcileIssues=list(reconcile or [])[:MAX_RECONCILE] or None)),
                subject=subject)
            yield page["issues"]
            token = page.get("nextPageToken")
            if not token:
                return
    start = 0
    while True:
        search: Callable[[], dict[str, Any]] = partial(  # type: ignore[assignment]  # json_result=True: a dict
            client.search_issues, jql, startAt=start, maxResults=SERVER_PAGE, fields=list(fields), json_result=True)
        page = session.call(partial(_checked, search), subject=subject)
        issues = page["issues"]
        yield issues
        start += len(issues)
        total = page["total"]
        if not issues or start >= total:
            return


def _checked(search: Callable[[], Any]) -> dict[str, Any]:
    """One search page, or ValueError (an unreadable answer, retried) when it is not what Jira sends.

    The library turns an empty body into ``{}``; a proxy's 200 page or a cut answer must never read as
    "no issues changed" (the watermark would move past them).
    """
    page = search()
    if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
        raise ValueError("the search answer holds no list of issues")
    total = page.get("total", 0)
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        raise ValueError(f"the search answer's total is {type(total).__name__}, not a number")
    return {**page, "issues": [i for i in page["issues"]], "total": total or 0}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")
