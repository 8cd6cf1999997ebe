"""Reading KR home issues: okr-sync's fields, its marked comments, the owner's manual value, and
acknowledgement signs.

One ``GET /rest/api/2/issue/{key}`` per home with only the fields needed (and ``expand=changelog`` for
homes whose KR takes a manual value, to know who typed it and when). Comments come with the issue; when
Jira pages them (``total`` larger than what came), the rest is read from ``/issue/{key}/comment``.

Acknowledgement signs (:class:`connectors.base.AckSign`): ``okr-ack: <rule>`` lines in comments without
an okr-sync marker (by the author, at the comment's creation: no extra request), and labels
``<write.ack_label_prefix><rule>``, dated by the changelog entry that added the label (by the issue's
creation when it was there from the start). A home carrying such a label and not already read with its
changelog costs one more ``GET /issue/{key}?expand=changelog``: embedding the changelog in every home read
instead would cost ~0.9 KB per history entry per home per cycle (180 KB for 200 entries), and the issue's
``updated`` is no substitute — it moves with every edit, okr-sync's own included, and would make a label
that stays a new sign after each one. On Cloud, whose embedded changelog is its first page only, the
newest page is read from ``/issue/{key}/changelog`` when there are more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from jira import JIRAError

from okr_sync.config.errors import DeferredError, SyncError
from okr_sync.connectors.base import AckSign, HomeState
from okr_sync.connectors.jira.comments import PROPERTY_KEY, CommentMemory, heading, identity, read_property
from okr_sync.connectors.jira.fields import JiraField
from okr_sync.connectors.jira.items import parse_time
from okr_sync.connectors.jira.session import JiraSession
from okr_sync.connectors.jira.writeback import WriteFields, marker_key
from okr_sync.mapping import HomeItem, ManualValue, rule_from_label, rules_in_comment
from okr_sync.mapping.numbers import NumberFormat, number_format
from okr_sync.mapping.typed import IgnoredValue, TypedValue, choose_manual

MAX_CHANGELOG = 100
DEFAULT_FORMAT = number_format("en")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_home(session: JiraSession, home: HomeItem, fields: WriteFields, manual: JiraField | None,
              manual_kr: str | None, owner: str | Sequence[str] | None, memory: CommentMemory | None = None,
              fmt: NumberFormat = DEFAULT_FORMAT) -> HomeState:
    """The current state of one home issue (``exists=False`` when Jira says 404).

    okr-sync's own comments not recognisable from what this read shows are left in
    ``values["pending"]`` for :func:`resolve_own_comments`, which reads their properties for all homes
    at once.
    """
    client = session.client()
    wanted = ["summary", "comment", "labels", "reporter", "created", *fields.ids()]
    if manual is not None and manual_kr is not None:
        wanted.append(manual.id)
    expand = "changelog" if manual is not None and manual_kr is not None else None

    def get() -> dict[str, Any] | None:
        try:
            raw = client.issue(home.key, fields=",".join(dict.fromkeys(wanted)), expand=expand).raw
        except JIRAError as exc:
            if exc.status_code == 404:
                return None
            raise
        fields = raw.get("fields") if isinstance(raw, dict) else None
        if not isinstance(fields, dict):
            raise ValueError("the issue answer has no fields")
        _comment_page(fields.get("comment"))
        return raw

    raw = session.call(get, subject=f"KR home issue {home.key}")
    if raw is None:
        return HomeState(home=home, exists=False)
    raw_fields = raw.get("fields") or {}
    comments = _comments(session, home, raw_fields)
    me = session.me() if comments else ""
    marked, pending, legacy = _own(comments, me, memory or CommentMemory())
    values: dict[str, Any] = {"fields": fields.current(raw_fields), "comments": marked, "pending": pending,
                              "legacy": legacy, "issue_id": raw.get("id")}
    if fields.last_sync is not None:
        values["fields"]["last_sync"] = raw_fields.get(fields.last_sync.id)
    histories: list[Mapping[str, Any]] | None = None

    def changelog() -> list[Mapping[str, Any]]:
        nonlocal histories
        if histories is None:
            histories = _histories(session, home, raw if "changelog" in raw else _with_changelog(session, home))
        return histories

    value: ManualValue | None = None
    ignored: tuple[IgnoredValue, ...] = ()
    if manual is not None and manual_kr is not None:
        value, ignored = _manual(raw, manual, owner, fmt, changelog)
    try:
        labels = _label_signs(raw_fields, session.settings.write.ack_label_prefix, changelog)
    except DeferredError:
        raise  # the tracker asked for a pause: no further request this cycle
    except SyncError as exc:  # undated label signs would be wrong ones: leave them for the next read
        session.log.warning("jira %s: acknowledgement labels of %s not read: %s", session.name, home.key, exc.message)
        labels = []
    acks = labels + _comment_signs(comments, me)
    return HomeState(home=home, exists=True, values=values, manual=value, title=raw_fields.get("summary"),
                     acks=tuple(sorted(acks, key=lambda sign: (sign.at, sign.source, sign.rule))), ignored=ignored)


def _comments(session: JiraSession, home: HomeItem, raw_fields: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    page = raw_fields.get("comment") or {}
    comments = list(page.get("comments") or [])
    if int(page.get("total") or 0) > len(comments):
        client = session.client()
        comments = []
        start = 0
        while True:
            more = session.call(partial(_checked_comments, partial(client._get_json, f"issue/{home.key}/comment",
                                                                   params={"startAt": start, "maxResults": 5000})),
                                subject=f"comments of {home.key}")
            batch = list(more.get("comments") or [])
            comments += batch
            start += len(batch)
            if not batch or start >= int(more.get("total") or 0):
                break
    return comments


def _comment_page(page: Any) -> dict[str, Any]:
    """A page of comments as Jira sends it, or ValueError (unreadable, retried; never "no comments").

    Reading a broken page as empty would make okr-sync post its status comment a second time.
    """
    if not isinstance(page, dict) or not isinstance(page.get("comments"), list) \
            or not all(isinstance(c, dict) for c in page["comments"]):
        raise ValueError("the answer holds no readable list of comments")
    total = page.get("total", 0)
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        raise ValueError("the comment page's total is not a number")
    return page


def _checked_comments(fetch: Callable[[], Any]) -> dict[str, Any]:
    return _comment_page(fetch())


def _own(comments: list[Mapping[str, Any]], me: str,
         memory: CommentMemory) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """okr-sync's comments by marker (oldest first wins), those still to be identified, and legacy ones.

    Only comments written by okr-sync's user count. A comment this process wrote (or read the property
    of) is known by id; one still carrying its anchor (Server/DC keeps the text) by the anchor; any
    other is pending. Someone else's later edit clears the known hash, so the comment is rewritten.
    """
    marked: dict[str, dict[str, Any]] = {}
    pending: list[dict[str, Any]] = []
    legacy: list[dict[str, Any]] = []
    for comment in comments:
        body = comment.get("body")
        if not isinstance(body, str) or not me or identity(comment.get("author")) != me:
            continue
        entry: dict[str, Any] = {"id": str(comment.get("id")), "self": str(comment.get("self")), "body": body,
                                 "sha": None, "edited": identity(comment.get("updateAuthor") or comment.get("author"))
                                 not in ("", me)}
        known = memory.get(entry["id"])
        key = known.marker if known is not None else marker_key(body)
        if key is None:
            if memory.lacks_property(entry["id"]):
                legacy.append({**entry, "heading": heading(body)})
            else:
                pending.append(entry)
            continue
        if known is not None and not entry["edited"]:
            entry["sha"] = known.sha
        marked.setdefault(key, entry)
    return marked, pending, legacy


def resolve_own_comments(session: JiraSession, states: Mapping[HomeItem, HomeState], memory: CommentMemory) -> None:
    """Identify the pending comments of ``states`` by their ``okr-sync`` property; the rest are legacy.

    Cloud: ``POST /comment/list?expand=properties``, one request per 1000 comments of all homes. Server/DC
    (no such list; anchors survive there, so this is rare): ``GET /comment/{id}/properties/okr-sync``.
    """
    pending = [(state, entry) for state in states.values() for entry in state.values.get("pending") or []]
    if not pending:
        return
    found: dict[str, tuple[str, str]] = {}
    ids = [entry["id"] for _, entry in pending]
    client = session.client()
    if session.cloud:
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            page = session.call(partial(_comment_list, client, session.base_url, chunk),
                                subject="okr-sync's comment properties (/comment/list)")
            for comment in page:
                prop = read_property(comment)
                if prop is not None:
                    found[str(comment.get("id"))] = prop
    else:
        for comment_id in ids:
            prop = session.call(partial(_one_property, client, comment_id),
                                subject=f"okr-sync's property of comment {comment_id}")
            if prop is not None:
                found[comment_id] = prop
    for state, entry in pending:
        values = state.values
        prop = found.get(entry["id"])
        if prop is None:
            memory.without_property(entry["id"])
            values["legacy"].append({**entry, "heading": heading(entry["body"])})
            continue
        marker, sha = prop
        memory.learn(entry["id"], marker, sha)
        values["comments"].setdefault(marker, {**entry, "sha": None if entry["edited"] else sha})
    for state in states.values():
        cast(dict[str, Any], state.values).pop("pending", None)  # read_home builds values as a dict


def _comment_list(client: Any, base_url: str, ids: list[str]) -> list[Mapping[str, Any]]:
    raw = client._session.post(f"{base_url}/rest/api/2/comment/list",
                               params={"expand": "properties"},
                               data=json.dumps({"ids": [int(i) if i.isdigit() else i for i in ids]})).json()
    if not isinstance(raw, dict) or not isinstance(raw.get("values"), list):
        raise ValueError("the comment list answer holds no list of comments")
    return [c for c in raw["values"] if isinstance(c, dict)]


def _one_property(client: Any, comment_id: str) -> tuple[str, str] | None:
    try:
        raw = client._get_json(f"comment/{comment_id}/properties/{PROPERTY_KEY}")
    except JIRAError as exc:
        if exc.status_code == 404:
            return None
        raise
    return read_property({"properties": [raw]}) if isinstance(raw, dict) else None


def _label_signs(raw_fields: Mapping[str, Any], prefix: str,
                 changelog: Callable[[], list[Mapping[str, Any]]]) -> list[AckSign]:
    """Acknowledgement labels, each dated by the changelog entry that added it (else the issue's creation)."""
    labels = {label: rule for label in raw_fields.get("labels") or []
              if isinstance(label, str) and (rule := rule_from_label(label, prefix))}
    signs: list[AckSign] = []
    for label, rule in labels.items():
        added = next((h for h in reversed(changelog()) for item in h.get("items") or []
                      if _adds_label(item, label)), None)
        author, at = ((added.get("author") or {}, parse_time(added.get("created"))) if added is not None
                      else (raw_fields.get("reporter") or {}, parse_time(raw_fields.get("created"))))
        if at is not None:
            signs.append(AckSign(rule=rule, by=_who(author), at=at, source="label"))
    return signs


def _adds_label(item: Mapping[str, Any], label: str) -> bool:
    if "labels" not in (item.get("fieldId"), item.get("field")):
        return False
    return label in str(item.get("toString") or "").split() and label not in str(item.get("fromString") or "").split()


def _comment_signs(comments: list[Mapping[str, Any]], me: str) -> list[AckSign]:
    """``okr-ack: <rule>`` lines of people's comments (okr-sync's own comments never count)."""
    signs: list[AckSign] = []
    for comment in comments:
        body, at = comment.get("body"), parse_time(comment.get("created"))
        if not isinstance(body, str) or at is None or marker_key(body) is not None \
                or (me and identity(comment.get("author")) == me):
            continue
        by = _who(comment.get("author") or {})
        signs += [AckSign(rule=rule, by=by, at=at, source=f"comment:{comment.get('id')}")
                  for rule in rules_in_comment(body)]
    return signs


def _who(author: Mapping[str, Any]) -> str:
    """A Jira user's stable identity: the Cloud account id, else the Server user name."""
    return str(author.get("accountId") or author.get("name") or author.get("key") or "unknown")


def _manual(raw: Mapping[str, Any], manual: JiraField, owner: str | Sequence[str] | None, fmt: NumberFormat,
            changelog: Callable[[], list[Mapping[str, Any]]]) -> tuple[ManualValue | None, tuple[IgnoredValue, ...]]:
    """The manual-value field as the owner's value, or why it does not count (``mapping.typed``): who
    last changed it comes from the changelog (the reporter when it was set at creation)."""
    raw_fields = raw.get("fields") or {}
    value = raw_fields.get(manual.id)
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, bool) or not str(value).strip():
        return None, ()
    text = fmt.write(float(value)) if isinstance(value, int | float) else str(value).strip()
    change = next(((h, item) for h in reversed(changelog()) for item in h.get("items") or []
                   if item.get("fieldId") == manual.id or item.get("field") == manual.name), None)
    if change is not None:
        author, at = change[0].get("author") or {}, parse_time(change[0].get("created"))
    else:  # set when the issue was created: the reporter typed it
        author, at = raw_fields.get("reporter") or {}, parse_time(raw_fields.get("created"))
    if at is None:
        return None, ()
    name = str(author.get("displayName") or author.get("name") or author.get("accountId") or "unknown")
    typed = TypedValue(text, _who(author), name, at)
    owners = [owner] if isinstance(owner, str) else list(owner or ())  # any co-owner's value counts
    return choose_manual([typed], owners=owners, fmt=fmt, is_owner=lambda _v, o: _is(author, o))


def _with_changelog(session: JiraSession, home: HomeItem) -> Mapping[str, Any]:
    """The issue again, with its changelog (to date acknowledgement labels)."""
    client = session.client()
    issue = session.call(lambda: client.issue(home.key, fields="labels", expand="changelog"),
                         subject=f"changelog of KR home issue {home.key}")
    return issue.raw


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
