"""The Jira connector (Cloud and Server/Data Center, REST v2 through the ``jira`` library).

``JiraConnector(name, settings, *, sleep=time.sleep)`` connects lazily: the first call reads
``serverInfo`` (deployment type when ``deployment: auto``) and ``/field`` (names → ids, once). Pieces:
:mod:`okr_sync.connectors.jira.session` (client, request counting, the one retry layer, error classification),
:mod:`okr_sync.connectors.jira.fields` (name-or-id fields), :mod:`okr_sync.connectors.jira.items` (link rules →
WorkItem), :mod:`okr_sync.connectors.jira.pull` (watermark, JQL window, paging), :mod:`okr_sync.connectors.jira.homes`
and :mod:`okr_sync.connectors.jira.writeback` (home state, diff, write-back), :mod:`okr_sync.connectors.jira.discover`
(KRs defined as Jira issues). Field writes of one issue go in one PUT (each PUT notifies watchers and fires
webhooks), so HTTP writes can be fewer than :class:`Write` objects. Webhooks: ``jira:issue_*`` deliveries,
``X-Hub-Signature: sha256=<hex HMAC of the body>`` checked when ``webhook_secret`` is set.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from okr_sync.config.errors import DeferredError, SkippableError, SyncError
from okr_sync.config.models import DiscoverRule
from okr_sync.connectors.base import (
    DesiredHome,
    HomeState,
    ItemProblem,
    PullResult,
    PullSpec,
    WebhookEvent,
    WebhookRejected,
    Write,
    WriteResult,
)
from okr_sync.connectors.capabilities import DiscoveredKr
from okr_sync.connectors.jira.comments import PROPERTY_KEY, CommentMemory, body_hash, property_of
from okr_sync.connectors.jira.discover import DEFAULT_JQL, read_kr, resolve_fields
from okr_sync.connectors.jira.fields import FieldCatalogue, JiraField
from okr_sync.connectors.jira.homes import read_home, resolve_own_comments
from okr_sync.connectors.jira.items import ItemReader
from okr_sync.connectors.jira.pull import CLOUD_PAGE, Watermark, search_pages, window_jql
from okr_sync.connectors.jira.session import JiraSession
from okr_sync.connectors.jira.settings import JiraTracker
from okr_sync.connectors.jira.users import cloud_users, server_users
from okr_sync.connectors.jira.writeback import WriteFields, fields_body, issue_url, plan_home
from okr_sync.connectors.webhooks import check_hmac_sha256, check_size, header, json_body
from okr_sync.mapping import HomeItem
from okr_sync.mapping.numbers import number_format


class JiraConnector:
    """Pull linked work from Jira and write KR status back onto home issues."""

    kind: ClassVar[str] = "jira"
    page_size: ClassVar[int] = CLOUD_PAGE
    """Issues per search request on Cloud (Server pages by up to 1000, as it echoes)."""

    def __init__(self, name: str, settings: JiraTracker, *, sleep: Callable[[float], None] = time.sleep,
                 token: str | None = None) -> None:
        self.name = name
        self.settings = settings
        self.session = JiraSession(name, settings, sleep=sleep, token=token)
        self._catalogue: FieldCatalogue | None = None
        self._write_fields: WriteFields | None = None
        self._known_fields: list[dict[str, Any]] | None = None
        self._fields_raw: list[dict[str, Any]] = []
        self.memory = CommentMemory()
        """Comment id → marker and hash of okr-sync's comments this process wrote or identified."""
        self._issue_ids: dict[str, int] = {}
        self._written_ids: list[int] = []
        """Ids of home issues written since the last pull: that pull asks Cloud to reconcile them."""
        self.listing_notes: list[str] = []
        """What :meth:`list_users` could not list completely (said by ``okr-sync people import``)."""

    @property
    def requests_made(self) -> int:
        """HTTP requests made so far (retries included)."""
        return self.session.requests_made

    # --- set-up ---------------------------------------------------------------------------------------

    def catalogue(self) -> FieldCatalogue:
        """The site's fields, read once (``GET /field``); also primes the library's clause-name cache."""
        if self._catalogue is None:
            client = self.session.client()
            raw = self._known_fields or self.session.call(client.fields, subject="field list (/field)")
            self._fields_raw = [{k: f.get(k) for k in ("id", "name", "custom", "schema", "clauseNames")}
                                for f in raw]
            catalogue = FieldCatalogue(self.name, raw)
            client._fields_cache_value = catalogue.clause_cache()  # the library would read /field again
            self._catalogue = catalogue
        return self._catalogue

    def write_fields(self) -> WriteFields:
        """``write.fields.*`` resolved to field ids."""
        if self._write_fields is None:
            self._write_fields = WriteFields.resolve(self.settings, self.catalogue())
        return self._write_fields

    def forget_fields(self) -> None:
        """Read ``/field`` again on next use: a field was created (``okr-sync setup``) and has an id now."""
        self._catalogue, self._write_fields = None, None

    def manual_field(self) -> JiraField | None:
        """``manual_value_field`` resolved, when configured."""
        ref = self.settings.manual_value_field
        return self.catalogue().resolve(ref, setting="manual_value_field") if ref else None

    # --- pull -----------------------------------------------------------------------------------------

    def _remember_site(self, site: dict[str, Any] | None) -> None:
        """Use what an earlier process learnt of the site (serverInfo, fields, time zone) instead of asking."""
        if not site or self.session._client is not None or self._catalogue is not None:
            return
        info, fields = site.get("info"), site.get("fields")
        if isinstance(info, dict) and info.get("deploymentType") and isinstance(fields, list) and fields:
            self.session.known_info = info
            self._known_fields = fields
            if isinstance(site.get("tz"), str):
                self.session._time_zone = site["tz"]
            if isinstance(site.get("me"), str) and site["me"]:
                self.session._me = site["me"]

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Issues in ``scope.jql`` changed since the watermark (all of them when ``full`` or no watermark)."""
        mark = Watermark() if full else Watermark.decode(since, log=self.session.log)
        self._remember_site(mark.site)
        reader = ItemReader.build(self.name, self.session.base_url, self.settings, self.catalogue(),
                                  spec.kr_homes, spec.number_fields, spec.kr_ids, spec.locale, spec.number_paths)
        zone = self.session.time_zone() if mark.since is not None else "UTC"
        jql = window_jql(self.settings.scope.jql, mark.since, self.settings.overlap, zone,
                         log=self.session.log)
        items, delivered = {}, []
        problems = [ItemProblem(self.name, "number field", text, "configuration") for text in reader.unresolved]
        written, self._written_ids = self._written_ids, []
        for page in search_pages(self.session, jql, reader.field_ids(), written):
            for raw in page:
                unread: list[str] = []
                try:
                    item = reader.work_item(raw, unread)
                except SkippableError as exc:  # one unreadable issue never stops the pull
                    problems.append(ItemProblem(self.name, exc.subject or "(issue)", exc.message))
                    continue
                problems += [ItemProblem(self.name, item.key, text) for text in unread]
                if item.key in items or not mark.is_new(item.key, item.updated):
                    continue
                items[item.key] = item
                delivered.append((item.key, item.updated))
        self.session.log.info("jira %s: pulled %d changed issue(s)", self.name, len(items))
        after = mark.advance(delivered, self.settings.overlap)
        after.site = {"info": {k: self.session.server_info.get(k) for k in ("versionNumbers", "deploymentType",
                                                                            "baseUrl", "version")},
                      "fields": self._fields_raw, "tz": self.session._time_zone,
                      "me": self.session._me}
        return PullResult(items=list(items.values()), watermark=after.encode(), full=mark.since is None,
                          problems=problems, scopes=(self.settings.scope.jql,))

    # --- discovery ------------------------------------------------------------------------------------

    def discover(self, rule: DiscoverRule, *, index: int = 0) -> tuple[list[DiscoveredKr], list[ItemProblem]]:
        """KRs defined as Jira issues by a ``discover`` rule (see :mod:`okr_sync.connectors.jira.discover`)."""
        ids = resolve_fields(rule, self.catalogue(), index)
        wanted = ["summary", "assignee", *dict.fromkeys(ids.values())]
        found: list[DiscoveredKr] = []
        problems: list[ItemProblem] = []
        for page in search_pages(self.session, window_jql(rule.jql or DEFAULT_JQL, None, self.settings.overlap,
                                                          "UTC"), wanted):
            for raw in page:
                kr = read_kr(self.name, raw, ids)
                (found if isinstance(kr, DiscoveredKr) else problems).append(kr)  # type: ignore[arg-type]
        return found, problems

    # --- write-back ---------------------------------------------------------------------------------

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Current okr-sync fields, marked comments and manual values of the home issues."""
        fields = self.write_fields()
        manual = self.manual_field()
        out: dict[HomeItem, HomeState] = {}
        for home in dict.fromkeys(homes):
            kr = spec.manual_homes.get(home)
            out[home] = read_home(self.session, home, fields, manual, kr, spec.owners_of(kr), self.memory,
                                  fmt=number_format(spec.locale))
        resolve_own_comments(self.session, out, self.memory)
        self._issue_ids.update({home.key: int(state.values["issue_id"]) for home, state in out.items()
                                if str(state.values.get("issue_id") or "").isdigit()})
        return out

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        """Only the writes that make each existing home issue show ``desired``."""
        fields = self.write_fields()
        now = datetime.now(UTC)
        writes: list[Write] = []
        for want in desired:
            state = current.get(want.home)
            if state is None or not state.exists:
                self.session.log.warning("jira %s: KR home issue %s does not exist or is not readable; nothing written",
                            self.name, want.home.key)
                continue
            writes += plan_home(self.settings, fields, want, state.values, now)
        return writes

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Perform writes: field writes of one issue in one request; one failure never stops the others."""
        results: dict[int, WriteResult] = {}
        by_home: dict[HomeItem, list[int]] = {}
        for index, write in enumerate(writes):
            if write.payload.get("op") == "field":
                by_home.setdefault(write.home, []).append(index)
            else:
                results[index] = self._attempt(write, partial(self._comment, write))
        for indexes in by_home.values():
            group = [writes[i] for i in indexes]
            outcome = self._attempt(group[0], partial(self._put_fields, group))
            if outcome.ok or len(group) == 1:
                results.update({i: WriteResult(writes[i], outcome.ok, outcome.error) for i in indexes})
                continue
            for i in indexes:  # one bad field (say, a missing option) must not block the others
                results[i] = self._attempt(writes[i], partial(self._put_fields, [writes[i]]))
        wrote = {results[i].write.home.key for i in range(len(writes)) if results[i].ok}
        self._written_ids += [self._issue_ids[k] for k in sorted(wrote) if k in self._issue_ids
                              and self._issue_ids[k] not in self._written_ids]
        return [results[i] for i in range(len(writes))]

    def _attempt(self, write: Write, action: Callable[[], Any]) -> WriteResult:
        try:
            action()
        except DeferredError:
            raise  # the tracker asked for a pause: no further request this cycle
        except SyncError as error:
            if write.home.key not in error.message:  # e.g. the connection itself failed: say which write
                error.message = f"{write.target} on {write.home.key}: {error.message}"
                error.args = (error.message,)
            self.session.log.warning("jira %s: %s failed: %s", self.name, write.describe(), error.message)
            return WriteResult(write, False, error)
        return WriteResult(write, True)

    def _put_fields(self, group: list[Write]) -> None:
        home = group[0].home
        session = self.session.client()._session
        names = ", ".join(w.target.removeprefix("field ") for w in group)
        self.session.call(lambda: session.put(issue_url(self.session.base_url, home.key), data=fields_body(group)),
                          subject=f"field(s) {names} on {home.key}")

    def _comment(self, write: Write) -> None:
        """Post or edit one of okr-sync's comments, its ``okr-sync`` property in the same request.

        Edits go to the configured site (``/issue/{key}/comment/{id}``), never to the ``self`` URL Jira
        handed back, which may name another host.
        """
        client, key, body = self.session.client(), write.home.key, str(write.payload["body"])
        marker = str(write.payload["marker"])
        subject = f"{write.target} on {key}"
        data = {"body": body, "properties": [{"key": PROPERTY_KEY, "value": property_of(marker, body)}]}
        url = f"{issue_url(self.session.base_url, key)}/comment"
        if write.payload["op"] == "comment_edit":
            url += f"/{quote(str(write.payload['id']), safe='')}"
            answer = self.session.call(lambda: _comment_answer(client._session.put(url, data=json.dumps(data))),
                                       subject=subject)
        else:
            answer = self.session.call(lambda: _comment_answer(client._session.post(url, data=json.dumps(data))),
                                       subject=subject, before_retry=lambda: self._landed(key, marker))
        if isinstance(answer, dict):  # not when a retry found the comment already posted
            self.memory.learn(str(answer["id"]), marker, body_hash(body))

    def _landed(self, key: str, marker: str) -> Any:
        """Before re-posting a comment: did the failed attempt create it after all?"""
        home = HomeItem(self.name, key)
        states = {home: read_home(self.session, home, WriteFields({}, None), None, None, None, self.memory)}
        resolve_own_comments(self.session, states, self.memory)
        return True if marker in (states[home].values.get("comments") or {}) else None

    # --- people ---------------------------------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        """Every active person as ``{"identity", "name", "email"}`` (``okr-sync people import``).

        Cloud: ``/users/search`` (app and customer accounts left out; the e-mail is None where the
        profile hides it). Server/DC: ``/user/search``, split by prefix where Data Center 10's cap of 100
        would cut the answer (:mod:`okr_sync.connectors.jira.users`); prefixes still capped are in
        :attr:`listing_notes`.
        """
        client = self.session.client()
        cloud = self.session.cloud

        def fetch(path: str, params: dict[str, Any]) -> Any:
            return self.session.call(lambda: client._get_json(path, params=params), subject=f"user list (/{path})")

        if cloud:
            users = cloud_users(fetch)
        else:
            major = int((self.session.server_info.get("versionNumbers") or [0])[0] or 0)
            users, capped = server_users(fetch, major)
            self.listing_notes = [f"more than 100 users match {term!r}: some of them may be missing; add them "
                                  "to people: by hand" for term in capped]
        wanted = [u for u in users if u.get("active", True) and u.get("accountType", "atlassian") == "atlassian"]
        return [{"identity": str(u.get("accountId") if cloud else u.get("name")), "name": u.get("displayName"),
                 "email": u.get("emailAddress") or None} for u in wanted]

    # --- webhooks -------------------------------------------------------------------------------------

    def mention(self, identity: str | None, name: str) -> str:
        """The owner's mention in wiki markup: ``[~accountid:…]`` on Cloud, ``[~username]`` on Server."""
        if not identity or "@" in identity:  # an e-mail cannot be mentioned without a user lookup
            return name
        self.session.client()  # the deployment type comes with serverInfo
        return f"[~accountid:{identity}]" if self.session.cloud else f"[~{identity}]"

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, max_bytes: int) -> WebhookEvent:
        """Authenticate (size, then ``X-Hub-Signature`` when a secret is set) and read the changed issue."""
        check_size(body, max_bytes, tracker=self.name)
        secret = self.settings.webhook_secret
        check_hmac_sha256(body, header(headers, "X-Hub-Signature"),
                          secret.get_secret_value() if secret is not None else None, tracker=self.name)
        data = json_body(body, tracker=self.name, expected="the JSON object Jira sends (application/json)")
        if not isinstance(data, dict):
            raise WebhookRejected(400, "webhook body is not a JSON object", tracker=self.name)
        event = str(data.get("webhookEvent") or "")
        issue = data.get("issue") if isinstance(data.get("issue"), dict) else {}
        key = issue.get("key") if isinstance(issue, dict) else None
        if not event.startswith("jira:issue_") or not key:
            return WebhookEvent(self.name, frozenset(), event or "unknown", ignored=True)
        return WebhookEvent(self.name, frozenset({str(key)}), event)

    def close(self) -> None:
        """Release connections."""
        self.session.close()


def _comment_answer(response: Any) -> dict[str, Any]:
    """The comment Jira answered with, or ValueError (an unreadable answer: retried, after checking)."""
    data = response.json()
    if not isinstance(data, dict) or not data.get("id"):
        raise ValueError("the answer is not the comment Jira sends")
    return data
