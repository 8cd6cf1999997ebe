"""The Azure DevOps connector: work items of one project in, OKR status out (Services and Server, REST 7.1).

Reading: :mod:`~okr_sync.connectors.azure_devops.pull` (WIQL ids by ``ChangedDate``, narrowed under the
20,000 cap; fields by ``workitemsbatch``, 200 ids per call) and :mod:`~okr_sync.connectors.azure_devops.items`.
Writing on KR home work items: :mod:`~okr_sync.connectors.azure_devops.writeback` — tags and custom fields in
one JSON Patch that tests ``/rev`` (a conflict re-reads the item and re-applies once), status and check-in
comments found by their marker. Transport: :mod:`~okr_sync.connectors.azure_devops.transport`.

Request costs: a pull is 1 WIQL call + ⌈N/200⌉ batch calls (+1 per work item type the first time); an idle
pull is 1 WIQL call. ``read_homes`` is ⌈H/200⌉ batch calls + one comments call per home per 200 comments (+1
``connectionData`` once). Writes: tags and fields of a home 1 PATCH (2 + 1 GET on a conflict), each comment
1 POST or PATCH. An unchanged KR costs no write.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from okr_sync.config.errors import DeferredError, SkippableError, SyncError
from okr_sync.connectors.azure_devops.items import WorkItemTranslator, as_dict, tags_of
from okr_sync.connectors.azure_devops.pull import BATCH, WorkItemPuller
from okr_sync.connectors.azure_devops.settings import AzureDevOpsTracker
from okr_sync.connectors.azure_devops.transport import AdoTransport, is_conflict
from okr_sync.connectors.azure_devops.webhook import parse_delivery
from okr_sync.connectors.azure_devops.writeback import (
    ack_signs,
    manual_value,
    own_comments,
    plan_home,
    retagged,
)
from okr_sync.connectors.base import DesiredHome, HomeState, PullResult, PullSpec, WebhookEvent, Write, WriteResult
from okr_sync.connectors.logs import tracker_log
from okr_sync.mapping import HomeItem, ManualValue
from okr_sync.mapping.numbers import number_format
from okr_sync.mapping.typed import IgnoredValue

HOME_FIELDS = ["System.Id", "System.Rev", "System.Title", "System.Tags", "System.TeamProject",
               "System.CreatedDate", "System.ChangedDate"]


class AzureDevOpsConnector:
    """One Azure DevOps organisation, scoped to one project (see the module docstring)."""

    kind: ClassVar[str] = "azure_devops"
    page_size: ClassVar[int] = BATCH

    def __init__(self, name: str, settings: AzureDevOpsTracker, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name
        self.log = tracker_log("azure_devops", name)
        self.settings = settings
        self.transport = AdoTransport(name, settings, sleep=sleep)
        self.translator = WorkItemTranslator(name, settings, settings.url)
        self.puller = WorkItemPuller(self.transport, self.translator, settings.scope, settings.overlap)
        self._me: str | None = None

    @property
    def requests_made(self) -> int:
        """HTTP requests made so far (all retries included)."""
        return self.transport.requests_made

    # -- reading -----------------------------------------------------------------------------------

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Work items changed since the watermark (every item in scope when ``full`` or ``since`` is None)."""
        items, watermark, complete, problems = self.puller.pull(since, spec, full=full or since is None)
        self.log.info("azure_devops %s: pulled %d changed work item(s) from %s%s", self.name, len(items),
                      self.puller.scope_name, " (full)" if complete else "")
        return PullResult(items=items, watermark=watermark, full=complete, problems=problems,
                          scopes=(self.puller.scope_name,))

    def me(self) -> str:
        """The id of the identity the PAT belongs to (``_apis/connectionData``, read once)."""
        if self._me is None:
            body = self.transport.json("get", "_apis/connectionData", subject="the okr-sync identity (connectionData)")
            user = body.get("authenticatedUser") if isinstance(body, dict) else None
            self._me = str(user.get("id") or "") if isinstance(user, dict) else ""
        return self._me

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Tags, okr-sync's fields, its marked comments, the owner's manual value and acks of each home."""
        states: dict[HomeItem, HomeState] = {}
        by_id: dict[int, HomeItem] = {}
        for home in homes:
            if home.key.isdigit() and int(home.key) > 0:
                by_id[int(home.key)] = home
            else:
                states[home] = HomeState(home, exists=False)
        found = {row["id"]: row for row in self.puller.read(sorted(by_id), self._home_fields())
                 if isinstance(row.get("id"), int)}
        for item_id, home in by_id.items():
            row = found.get(item_id)
            states[home] = HomeState(home, exists=False) if row is None else self._home_state(home, row, spec)
        return states

    def _home_fields(self) -> list[str]:
        extra = [f for f in (self.settings.write.status_field, self.settings.write.progress_field) if f]
        return list(dict.fromkeys([*HOME_FIELDS, *extra]))

    def _home_state(self, home: HomeItem, row: dict[str, Any], spec: PullSpec) -> HomeState:
        fields = as_dict(row.get("fields"))
        values: dict[str, Any] = {"rev": row.get("rev"), "fields": fields}
        try:
            tags = tags_of(fields)
        except ValueError:
            tags, values["error"] = [], f"home work item {home.key}: Azure DevOps answered tags that are not text"
        values["tags"] = tags
        kr_id = spec.manual_homes.get(home)
        manual: ManualValue | None = None
        ignored: tuple[IgnoredValue, ...] = ()
        comments: list[dict[str, Any]] = []
        write = self.settings.write
        if write.status_comment or write.checkin_comment or kr_id is not None:
            try:
                comments = self.comments(home.key)
                values["comments"] = own_comments(comments, self.me())
                if any(not isinstance(c.get("text"), str) for c in comments if not c.get("isDeleted")):
                    values["error"] = (f"home work item {home.key}: Azure DevOps answered a comment without text; "
                                       "okr-sync writes no comment there this cycle (it could duplicate its own)")
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except SyncError as exc:  # unknown comments: writing one now could duplicate it
                self.log.warning("azure_devops %s: %s", self.name, exc.message)
                values["error"] = exc.message
                comments = []
            if kr_id is not None:
                manual, ignored = manual_value(comments, self.settings.manual_value_prefix, spec.owners.get(kr_id),
                                               number_format(spec.locale))
        acks = ack_signs(fields, tags, comments, write.ack_tag_prefix)
        title = fields.get("System.Title")
        return HomeState(home, exists=True, values=values, manual=manual, etag=str(row.get("rev")),
                         title=title if isinstance(title, str) else None, acks=acks, ignored=ignored)

    def comments(self, key: str, *, retry: bool = True) -> list[dict[str, Any]]:
        """Every comment of work item ``key``, following continuation tokens (200 per page)."""
        path = f"{quote(self.settings.scope.project)}/_apis/wit/workItems/{key}/comments"
        if not retry:
            body, _ = self.transport.call("get", path, subject=f"comments of work item {key}",
                                          query={"$top": 200}, preview=True, retry=False)
            if isinstance(body, dict) and not body.get("continuationToken"):
                return [c for c in body.get("comments") or [] if isinstance(c, dict)]
        return [comment for page in self.transport.continued(path, subject=f"comments of work item {key}",
                                                             rows="comments", query={"$top": 200}, preview=True)
                for comment in page]

    # -- writing -----------------------------------------------------------------------------------

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        """Only the writes that make each home show ``desired``; none for unchanged or missing homes."""
        writes: list[Write] = []
        for wanted in desired:
            state = current.get(wanted.home)
            if state is None or not state.exists or "error" in state.values:
                continue
            writes.extend(plan_home(wanted, state, self.settings))
        return writes

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Perform writes; one failing write never stops the others.

        A home's tag and field writes go out in one JSON Patch (first, so the comments written after do not
        make its ``/rev`` test stale); each comment is its own request.
        """
        results: list[WriteResult] = []
        patches: dict[HomeItem, list[Write]] = {}
        for write in writes:
            if write.target == "status tag" or write.target.startswith("field "):
                patches.setdefault(write.home, []).append(write)
        for home, group in patches.items():
            results += self._outcome(group, functools.partial(self._patch, home, group))
        for write in writes:
            if write.target == "status comment" or write.target.startswith("check-in"):
                results += self._outcome([write], functools.partial(self._upsert_comment, write))
            elif write.target != "status tag" and not write.target.startswith("field "):
                error = SkippableError(f"unknown write target {write.target!r} on {write.home.key}", tracker=self.name)
                results.append(WriteResult(write, ok=False, error=error))
        return results

    def _outcome(self, group: list[Write], action: Callable[[], None]) -> list[WriteResult]:
        try:
            action()
        except DeferredError:
            raise  # the tracker asked for a pause: no further request this cycle
        except SyncError as exc:
            for write in group:
                self.log.warning("azure_devops %s: %s: %s failed: %s", self.name, write.home.key, write.target,
                                 exc.message)
            return [WriteResult(write, ok=False, error=exc) for write in group]
        return [WriteResult(write, ok=True) for write in group]

    def _patch(self, home: HomeItem, group: list[Write]) -> None:
        """One JSON Patch with ``test /rev``; on a conflict, re-read the item and re-apply once."""
        path, subject = f"_apis/wit/workitems/{home.key}", f"work item {home.key}"
        tag = next((w.payload for w in group if w.target == "status tag"), None)
        fields = {w.payload["field"]: w.payload["value"] for w in group if w.target.startswith("field ")}
        rev, tags = group[0].payload.get("rev"), list(tag["tags"]) if tag else []
        for attempt in (1, 2):
            if attempt == 2:
                fresh = self.transport.json("get", path, subject=subject, query={"fields": "System.Tags"})
                rev, tags = fresh.get("rev"), tags_of(fresh.get("fields") or {})
            ops: list[dict[str, Any]] = [{"op": "test", "path": "/rev", "value": rev}]
            if tag is not None:
                ops.append({"op": "add", "path": "/fields/System.Tags", "value": "; ".join(retagged(tags, tag["tag"]))})
            ops += [{"op": "add", "path": f"/fields/{name}", "value": value} for name, value in fields.items()]
            try:
                self.transport.call("patch", path, subject=subject, body=ops, patch=True)
                return
            except SyncError as exc:
                if not is_conflict(exc) or attempt == 2:
                    raise
                self.log.info("azure_devops %s: %s changed since it was read; re-reading and re-applying once",
                              self.name, subject)

    def _upsert_comment(self, write: Write) -> None:
        key, marker, body = write.home.key, write.payload["marker"], write.payload["body"]
        base = f"{quote(self.settings.scope.project)}/_apis/wit/workItems/{key}/comments"
        attempts = 0

        def upsert() -> None:
            nonlocal attempts
            attempts += 1
            comment_id = write.payload.get("comment_id")
            if attempts > 1:  # an earlier attempt may have landed: look again, never comment twice
                existing = own_comments(self.comments(key, retry=False), self.me()).get(marker)
                if existing is not None and existing["text"] == body:
                    return
                comment_id = existing["id"] if existing else None
            if comment_id is None:
                self.transport.call("post", base, subject=f"{write.target} comment on work item {key}",
                                    query={"format": "markdown"}, body={"text": body}, preview=True, retry=False)
            else:
                self.transport.call("patch", f"{base}/{comment_id}", subject=f"comment {comment_id} on work item {key}",
                                    query={"format": "markdown"}, body={"text": body}, preview=True, retry=False)

        self.transport.retried(upsert)

    # -- people, webhooks, life cycle ----------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        """The organisation's users as ``{"identity", "name", "email"}`` (Graph ``_apis/graph/users``, paged
        by ``x-ms-continuationtoken``); the identity is the e-mail (the unique name work items carry)."""
        url = (self.settings.graph_url or _graph_url(self.settings.url)).rstrip("/") + "/_apis/graph/users"
        people: dict[str, dict[str, Any]] = {}
        for page in self.transport.continued(url, subject="the users of the organisation", rows="value",
                                             query={"subjectTypes": "aad,msa"}, preview=True):
            for row in page:
                email = row.get("mailAddress") or row.get("principalName")
                if row.get("subjectKind", "user") != "user" or not email or str(email) in people:
                    continue
                people[str(email)] = {"identity": str(email), "name": row.get("displayName"), "email": str(email)}
        return list(people.values())

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, max_bytes: int) -> WebhookEvent:
        """Service-hook deliveries → changed work item ids; see :mod:`okr_sync.connectors.azure_devops.webhook`."""
        secret = self.settings.webhook_password.get_secret_value() if self.settings.webhook_password else None
        return parse_delivery(self.name, headers, body, max_bytes=max_bytes, username=self.settings.webhook_username,
                              password=secret)

    def close(self) -> None:
        """Release connections."""
        self.transport.close()


def _graph_url(url: str) -> str:
    """``https://vssps.dev.azure.com/<org>`` on Services; the organisation URL itself on Server."""
    parts = urlsplit(url)
    if (parts.hostname or "").casefold() == "dev.azure.com":
        return f"{parts.scheme}://vssps.dev.azure.com{parts.path}"
    return url
