"""The GitLab connector: issues of projects and groups in, OKR status out, on any GitLab tier.

Built on ``python-gitlab`` (REST v4). Reading: :mod:`okr_sync.connectors.gitlab.pull` (incremental, de-duplicated,
``per_page=100``) and :mod:`okr_sync.connectors.gitlab.items` (issue → :class:`mapping.WorkItem`). Writing on KR
home issues: :mod:`okr_sync.connectors.gitlab.writeback` (scoped status label, description block between
markers, one check-in note per ISO week). Transport, retries and error classification:
:mod:`okr_sync.connectors.gitlab.transport`. Webhooks: :mod:`okr_sync.connectors.gitlab.webhook`.

Request costs (each asserted in ``tests/connectors/test_gitlab_*.py``): a pull is ⌈N/100⌉ list calls per
scope (an idle one exactly 1), plus 1 per KR home when an ``issue_link`` rule is configured;
``read_homes`` is 1 list call per project (per 100 homes) plus 1 notes call per home (when check-ins or
manual values are in play); writes: label 1 PUT, block 1 GET + 1 PUT (re-read, splice, write), check-in
1 POST or PUT. An unchanged KR costs no write.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from okr_sync.config.errors import DeferredError, SkippableError, SyncError
from okr_sync.connectors.base import DesiredHome, HomeState, PullResult, PullSpec, WebhookEvent, Write, WriteResult
from okr_sync.connectors.gitlab.items import IssueTranslator, split_key
from okr_sync.connectors.gitlab.people import scope_members
from okr_sync.connectors.gitlab.pull import IssuePuller, scope_paths
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.connectors.gitlab.transport import PAGE_SIZE, GitLabTransport
from okr_sync.connectors.gitlab.webhook import parse_delivery
from okr_sync.connectors.gitlab.writeback import ack_signs, block_text, checkin_notes, manual_value, plan_home, splice
from okr_sync.connectors.logs import tracker_log
from okr_sync.mapping import HomeItem, ManualValue
from okr_sync.mapping.numbers import number_format
from okr_sync.mapping.typed import IgnoredValue


class GitLabConnector:
    """One GitLab instance, scoped by projects and groups (see the module docstring)."""

    kind: ClassVar[str] = "gitlab"
    page_size: ClassVar[int] = PAGE_SIZE

    def __init__(self, name: str, settings: GitLabTracker, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name
        self.log = tracker_log("gitlab", name)
        self.settings = settings
        self.transport = GitLabTransport(name, settings, sleep=sleep)
        self.translator = IssueTranslator(name, settings)
        link_types = [str(rule.issue_link) for rule in settings.link if rule.issue_link]
        self.puller = IssuePuller(self.transport, self.translator, settings.overlap,
                                  scope_paths(settings.scope.projects, settings.scope.groups), link_types)

    @property
    def requests_made(self) -> int:
        """HTTP requests made so far (all retries included)."""
        return self.transport.requests_made

    # -- reading -----------------------------------------------------------------------------------

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Issues changed since the watermark (every issue in scope when ``full`` or ``since`` is None)."""
        items, watermark, complete, problems = self.puller.pull(since, spec, full=full or since is None)
        scopes = tuple(name for name, _ in self.puller.scopes)
        self.log.info("gitlab %s: pulled %d changed issue(s) from %d scope(s)%s", self.name, len(items), len(scopes),
                 " (full)" if complete else "")
        return PullResult(items=items, watermark=watermark, full=complete, problems=problems, scopes=scopes)

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Labels, description block, check-in notes and manual value of each home issue."""
        states: dict[HomeItem, HomeState] = {}
        by_project: dict[str, dict[int, HomeItem]] = {}
        for home in homes:
            try:
                path, iid = split_key(home.key)
            except ValueError:
                states[home] = HomeState(home, exists=False)
                continue
            by_project.setdefault(path, {})[iid] = home
        for path, wanted in by_project.items():
            found = self.home_issues(path, sorted(wanted))
            for iid, home in wanted.items():
                row = found.get(iid)
                states[home] = HomeState(home, exists=False) if row is None else self._home_state(home, row, spec)
        return states

    def home_issues(self, path: str, iids: list[int]) -> dict[int, dict[str, Any]]:
        """The issues ``iids`` of project ``path`` that exist, by iid (one request per page of iids)."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(iids), self.page_size):
            chunk = iids[start:start + self.page_size]
            try:
                for page in self.transport.pages(f"/projects/{quote(path, safe='')}/issues",
                                                 subject=f"home issues of project {path}",
                                                 query={"iids[]": chunk, "state": "all"}):
                    found.update({row["iid"]: row for row in page
                                  if isinstance(row, dict) and isinstance(row.get("iid"), int)})
            except SkippableError as exc:  # the project is gone or invisible: its homes do not exist
                self.log.warning("gitlab %s: %s", self.name, exc.message)
        return found

    def _home_state(self, home: HomeItem, issue: dict[str, Any], spec: PullSpec) -> HomeState:
        description, labels = issue.get("description"), issue.get("labels") or []
        values: dict[str, Any] = {"labels": [str(label) for label in labels] if isinstance(labels, list) else [],
                                  "block": block_text(description) if isinstance(description, str) else None}
        if (description is not None and not isinstance(description, str)) or not isinstance(labels, list):
            values["error"] = f"home issue {home.key}: GitLab answered a description or labels of the wrong type"
        kr_id = spec.manual_homes.get(home)
        manual: ManualValue | None = None
        ignored: tuple[IgnoredValue, ...] = ()
        notes: list[dict[str, Any]] = []  # read only when check-ins or a manual value need them (acks ride along)
        if self.settings.write.checkin_note or kr_id is not None:
            try:
                notes = self._notes(home.key)
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except SyncError as exc:  # unknown notes: writing a check-in now could duplicate one
                self.log.warning("gitlab %s: %s", self.name, exc.message)
                values["error"] = exc.message
                notes = []
            values["checkins"] = checkin_notes(notes)
            if kr_id is not None:
                manual, ignored = manual_value(notes, self.settings.manual_value_prefix, spec.owners_of(kr_id),
                                               number_format(spec.locale))
        acks = ack_signs(issue, notes, self.settings.write.ack_label_prefix)
        return HomeState(home, exists=True, values=values, manual=manual, title=issue.get("title"), acks=acks,
                         ignored=ignored)

    def _notes(self, key: str, *, retry: bool = True) -> list[dict[str, Any]]:
        path, iid = split_key(key)
        pages = self.transport.pages(f"/projects/{quote(path, safe='')}/issues/{iid}/notes", subject=f"notes of {key}",
                                     query={"sort": "asc", "order_by": "created_at"}, retry=retry)
        return [note for page in pages for note in page]

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

        A home's status label and status block go out in one PUT (labels and description together),
        so a changed KR costs GET + PUT instead of PUT + GET + PUT; both writes share its outcome.
        """
        results: list[WriteResult] = []
        blocks = {w.home for w in writes if w.target == "status block"}
        labels = {w.home: w for w in writes if w.target == "status label" and w.home in blocks}
        for write in writes:
            if write.target == "status label" and labels.get(write.home) is write:
                continue  # carried by the same home's status block PUT
            together = [write] if write.target != "status block" or write.home not in labels else \
                [labels[write.home], write]
            try:
                if write.target == "status label":
                    self._write_labels(write)
                elif write.target == "status block":
                    self._write_block(write, labels.get(write.home))
                elif write.target.startswith("check-in"):
                    self._write_checkin(write)
                else:
                    raise SkippableError(f"unknown write target {write.target!r} on {write.home.key}",
                                         tracker=self.name)
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except SyncError as exc:
                for done in together:
                    self.log.warning("gitlab %s: %s: %s failed: %s", self.name, done.home.key, done.target, exc.message)
                    results.append(WriteResult(done, ok=False, error=exc))
            else:
                results.extend(WriteResult(done, ok=True) for done in together)
        return results

    def _issue_route(self, key: str) -> str:
        path, iid = split_key(key)
        return f"/projects/{quote(path, safe='')}/issues/{iid}"

    @staticmethod
    def _label_body(write: Write | None) -> dict[str, str]:
        if write is None:
            return {}
        return {name: ",".join(write.payload[part]) for name, part in (("add_labels", "add"),
                                                                        ("remove_labels", "remove"))
                if write.payload[part]}

    def _write_labels(self, write: Write) -> None:
        self.transport.request("put", self._issue_route(write.home.key), subject=f"labels of {write.home.key}",
                               body=self._label_body(write))

    def _write_block(self, write: Write, labels: Write | None = None) -> None:
        """Splice the block into a fresh copy of the description; ``labels`` (the same home's status
        label write) rides in the same PUT."""
        route, subject = self._issue_route(write.home.key), f"description of {write.home.key}"
        label_body = self._label_body(labels)

        def splice_fresh_copy() -> None:
            issue = self.transport.json("get", route, subject=subject, retry=False)
            if not isinstance(issue, dict):
                raise SkippableError(f"{subject}: GitLab answered something other than an issue; not written",
                                     tracker=self.name)
            description = issue.get("description")
            if description is not None and not isinstance(description, str):
                raise SkippableError(f"{subject}: GitLab answered a description that is not text; not written "
                                     "(splicing into it could lose people's text)", tracker=self.name)
            old = description or ""
            new = splice(old, write.payload["block"])
            body = {**label_body, **({"description": new} if new != old else {})}
            if body:
                self.transport.request("put", route, subject=subject, body=body, retry=False)

        self.transport.retried(splice_fresh_copy)

    def _write_checkin(self, write: Write) -> None:
        key, marker, body = write.home.key, write.payload["marker"], write.payload["body"]
        route = self._issue_route(key) + "/notes"
        attempts = 0

        def upsert() -> None:
            nonlocal attempts
            attempts += 1
            note_id = write.payload.get("note_id")
            if attempts > 1:  # an earlier attempt may have landed: look again, never post twice
                existing = checkin_notes(self._notes(key, retry=False)).get(marker)
                if existing is not None and existing["body"] == body:
                    return
                note_id = existing["id"] if existing else None
            if note_id is None:
                self.transport.request("post", route, subject=f"check-in note on {key}", body={"body": body},
                                       retry=False)
            else:
                self.transport.request("put", f"{route}/{note_id}", subject=f"check-in note {note_id} on {key}",
                                       body={"body": body}, retry=False)

        self.transport.retried(upsert)

    # -- people --------------------------------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        """The active human members of the configured groups and projects as ``{"identity", "name", "email"}``
        (``okr-sync people import``; never every user of the instance: :mod:`okr_sync.connectors.gitlab.people`)."""
        return scope_members(self.transport, self.settings.scope.projects, self.settings.scope.groups)

    # -- webhooks and life cycle ---------------------------------------------------------------------

    def mention(self, identity: str | None, name: str) -> str:
        """``@username`` (GitLab notifies the user), or the name when no username is known."""
        return f"@{identity.lstrip('@')}" if identity else name

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, max_bytes: int) -> WebhookEvent:
        """``Issue Hook`` / ``Note Hook`` → changed issue keys; see :mod:`okr_sync.connectors.gitlab.webhook`."""
        secret = self.settings.webhook_secret.get_secret_value() if self.settings.webhook_secret else None
        return parse_delivery(self.name, headers, body, max_bytes=max_bytes, secret=secret)

    def close(self) -> None:
        """Release connections."""
        self.transport.close()
