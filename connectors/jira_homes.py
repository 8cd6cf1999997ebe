"""Reading KR home issues: okr-sync's fields, its marked comments, and the owner's manual value.

One ``GET /rest/api/2/issue/{key}`` per home with only the fields needed (and ``expand=changelog`` for
homes whose KR takes a manual value, to know who typed it and when). Comments come with the issue; when
Jira pages them (``total`` larger than what came), the rest is read from ``/issue/{key}/comment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from jira import JIRAError

from connectors.base import HomeState
from connectors.jira_fields import JiraField
from connectors.jira_items import parse_time
from connectors.jira_session import LOG, JiraSession
from connectors.jira_writeback import WriteFields, marker_key
from mapping import HomeItem, ManualValue

MAX_CHANGELOG = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_home(session: JiraSession, home: HomeItem, fields: WriteFields, manual: JiraField | None,
              manual_kr: str | None, owner: str | None) -> HomeState:
    """The current state of one home issue (``exists=False`` when Jira says 404)."""
    client = session.client()
    wanted = ["summary", "comment", *fields.ids()]
    if manual is not None and manual_kr is not None:
        wanted += [manual.id, "reporter", "created"]
    expand = "changelog" if manual is not None and manual_kr is not None else None

    def get() -> dict[str, Any] | None:
        try:
            return client.issue(home.key, fields=",".join(dict.fromkeys(wanted)), expand=expand).raw
        except JIRAError as exc:
            if exc.status_code == 404:
                return None
            raise

    raw = session.call(get, subject=f"KR home issue {home.key}")
    if raw is None:
        return HomeState(home=home, exists=False)
    raw_fields = raw.get("fields") or {}
    values: dict[str, Any] = {"fields": fields.current(raw_fields), "comments": _marked(session, home, raw_fields)}
    if fields.last_sync is not None:
        values["fields"]["last_sync"] = raw_fields.get(fields.last_sync.id)
    value = None
    if manual is not None and manual_kr is not None:
        value = _manual(session, home, raw, manual, manual_kr, owner)
    return HomeState(home=home, exists=True, values=values, manual=value, title=raw_fields.get("summary"))


def _marked(session: JiraSession, home: HomeItem, raw_fields: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    page = raw_fields.get("comment") or {}
    comments = list(page.get("comments") or [])
    if int(page.get("total") or 0) > len(comments):
        client = session.client()
        comments = []
        start = 0
        while True:
            more = session.call(partial(client._get_json, f"issue/{home.key}/comment",
                                        params={"startAt": start, "maxResults": 5000}),
                                subject=f"comments of {home.key}")
            batch = list(more.get("comments") or [])
            comments += batch
            start += len(batch)
            if not batch or start >= int(more.get("total") or 0):
                break
    marked: dict[str, dict[str, str]] = {}
    for comment in comments:
        body = comment.get("body")
        key = marker_key(body) if isinstance(body, str) else None
        if key is not None and key not in marked:
            marked[key] = {"id": str(comment.get("id")), "self": str(comment.get("self")), "body": body}
    return marked


def _manual(session: JiraSession, home: HomeItem, raw: Mapping[str, Any], manual: JiraField, kr: str,
            owner: str | None) -> ManualValue | None:
    raw_fields = raw.get("fields") or {}
    value = raw_fields.get(manual.id)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value.get("value") if isinstance(value, dict) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        LOG.warning("jira %s: %s on %s holds %r, not a number; ignored", session.name, manual.name, home.key,
                    value)
        return None
    histories = _histories(session, home, raw)
    change = next(((h, item) for h in reversed(histories) for item in h.get("items") or []
                   if item.get("fieldId") == manual.id or item.get("field") == manual.name), None)
    if change is not None:
        author, at = change[0].get("author") or {}, parse_time(change[0].get("created"))
    else:  # set when the issue was created: the reporter typed it
        author, at = raw_fields.get("reporter") or {}, parse_time(raw_fields.get("created"))
    if at is None:
        return None
    if owner and not _is(author, owner):
        LOG.warning("jira %s: %s of %s (KR %s) was last changed by someone other than the KR owner; "
                    "not used as the manual value", session.name, manual.name, home.key, kr)
        return None
    name = str(author.get("displayName") or author.get("name") or author.get("accountId") or "unknown")
    return ManualValue(value=number, author=name, at=at)


def _histories(session: JiraSession, home: HomeItem, raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    changelog = raw.get("changelog") or {}
    histories = list(changelog.get("histories") or [])
    total = int(changelog.get("total") or len(histories))
    if total > len(histories) and session.cloud:  # Cloud embeds only the first page: read the newest one
        client = session.client()
        start = max(0, total - MAX_CHANGELOG)
        page = session.call(lambda: client._get_json(f"issue/{home.key}/changelog",
                                                     params={"startAt": start, "maxResults": MAX_CHANGELOG}),
                            subject=f"changelog of {home.key}")
        histories = list(page.get("values") or [])
    return sorted(histories, key=lambda h: parse_time(h.get("created")) or EPOCH)


def _is(author: Mapping[str, Any], owner: str) -> bool:
    wanted = owner.casefold()
    return any(str(author.get(k) or "").casefold() == wanted
               for k in ("accountId", "name", "key", "displayName", "emailAddress"))
