"""Contract harness for the Jira connector, and the Jira site helpers its own tests share.

:class:`JiraSite` drives a sandbox Jira the way people and admins do — through the real ``jira`` library:
it creates custom fields (``POST /rest/api/2/field``) and select options (Cloud's context option API),
KR home issues and work items, transitions and edits. On Server there is no REST API for select options
(admins add them in the UI), so :func:`server_fixture` declares the select field in the fixture instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from jira import JIRA

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.jira.settings import JiraTracker
from okr_sync.mapping import HomeItem, KrStatus, KrStatusValue, Provenance, ScoreBand

WEBHOOK_SECRET = "jira-webhook-secret-for-tests"
STATUS_OPTIONS = ["Not started", "On track", "At risk", "Off track", "Done"]
TRACKER = "jira"


def server_fixture(*, status_field: bool = True) -> dict[str, Any]:
    """A Server fixture whose only addition to ``empty`` is the select field an admin set up in the UI."""
    fields = [{"name": "OKR Status", "type": "select", "options": STATUS_OPTIONS}] if status_field else []
    return {"jira": {"deployment": "Server", "fields": fields}}


class JiraSite:
    """A started sandbox's Jira, driven through the real library as the admin user."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.info = sandbox.info["jira"]
        self.client = JIRA(self.info["url"], basic_auth=(self.info["user"], self.info["token"]), max_retries=0)
        self.cloud = self.info["deployment"] == "Cloud"

    def close(self) -> None:
        """Release the admin client."""
        self.client.close()

    # --- admin set-up ---------------------------------------------------------------------------------

    def field_id(self, name: str) -> str | None:
        """The id of the field called ``name``, if any."""
        return next((f["id"] for f in self.client.fields() if f["name"] == name), None)

    def create_field(self, name: str, kind: str, options: Sequence[str] = ()) -> str:
        """A custom field (``number``, ``string``, ``select``) as an admin creates it; returns its id."""
        existing = self.field_id(name)
        if existing is not None:
            return existing
        types = {"number": "float", "string": "textfield", "select": "select"}
        url = f"{self.info['url']}/rest/api/2/field"
        body = {"name": name, "type": f"com.atlassian.jira.plugin.system.customfieldtypes:{types[kind]}"}
        field = self.client._session.post(url, data=json.dumps(body)).json()
        if options:
            contexts = self.client._session.get(f"{url}/{field['id']}/context").json()["values"]
            self.client._session.post(f"{url}/{field['id']}/context/{contexts[0]['id']}/option",
                                      data=json.dumps({"options": [{"value": o} for o in options]}))
        return str(field["id"])

    def okr_fields(self) -> None:
        """OKR Progress, OKR Forecast (numbers) and OKR Status (select) on the site."""
        self.create_field("OKR Progress", "number")
        self.create_field("OKR Forecast", "number")
        if self.field_id("OKR Status") is None:
            self.create_field("OKR Status", "select", STATUS_OPTIONS)

    # --- people's work --------------------------------------------------------------------------------

    def create_issue(self, summary: str, *, kind: str = "Task", labels: Sequence[str] = (),
                     parent: str | None = None, **fields: Any) -> str:
        """An issue in project OKR; returns its key."""
        data: dict[str, Any] = {"project": {"key": "OKR"}, "issuetype": {"name": kind}, "summary": summary,
                                "labels": list(labels), **fields}
        if parent is not None:
            data["parent"] = {"key": parent}
        return str(self.client.create_issue(fields=data, prefetch=False).key)

    def transition(self, key: str, status: str, resolution: str | None = None) -> None:
        """Move an issue to ``status`` (To Do, In Progress, Done), optionally with a resolution."""
        fields = {"resolution": {"name": resolution}} if resolution else None
        self.client.transition_issue(key, status, fields=fields)

    def edit(self, key: str, **fields: Any) -> None:
        """Edit fields as a person would (PUT, as the library does it)."""
        self.client.issue(key, fields="summary").update(fields=fields)

    def comments(self, key: str) -> list[dict[str, Any]]:
        """Every comment on an issue, raw."""
        return list(self.client._get_json(f"issue/{key}/comment")["comments"])

    def raw(self, key: str) -> dict[str, Any]:
        """The issue's raw JSON (all fields)."""
        return dict(self.client.issue(key).raw)


def settings(info: dict[str, Any], *, token: str | None = None, **overrides: Any) -> JiraTracker:
    """Connector settings for a sandbox (basic auth as the bot; labels ``kr:{kr}`` and children link)."""
    data: dict[str, Any] = {
        "kind": "jira", "url": info["url"], "deployment": "auto",
        "auth": {"kind": "basic", "user": info["user"], "token": token or info["token"]},
        "scope": {"jql": "project = OKR"},
        "link": [{"label": "kr:{kr}"}, {"children_of_home": True}],
        "write": {"fields": {"progress": "OKR Progress", "status": "OKR Status", "forecast": "OKR Forecast"}},
        "webhook_secret": WEBHOOK_SECRET, "timeout": 5, "max_retry_time": "30s",
    }
    data.update(overrides)
    return JiraTracker.model_validate(data)


def kr_status(kr_id: str, progress: float, *, status: KrStatusValue = KrStatusValue.ON_TRACK,
              forecast: float | None = 0.8) -> KrStatus:
    """A KR status as mapping would compute it."""
    return KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW, status=status,
                    expected=0.45, gap=0.45 - progress, forecast=forecast,
                    provenance=Provenance("completion", item_keys=("OKR-9",)))


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Headers of a correctly signed Jira webhook delivery."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha256={digest}"}


def webhook_body(key: str, event: str = "jira:issue_updated") -> bytes:
    """A Jira webhook body for one issue."""
    return json.dumps({"timestamp": int(datetime.now(UTC).timestamp() * 1000), "webhookEvent": event,
                       "issue_event_type_name": "issue_generic", "issue": {"id": "10001", "key": key,
                                                                           "fields": {}}}).encode()


class Harness:
    """The contract suite's view of Jira (Cloud, ``empty`` fixture plus OKR fields created over REST)."""

    kind = "jira"

    def __init__(self, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
        self.sandbox = make_sandbox("empty", jira_deployment="cloud")
        self.control = control_of(self.sandbox)
        self.site = JiraSite(self.sandbox)
        self.site.okr_fields()

    def connector(self, *, token: str | None = None) -> JiraConnector:
        """A connector against the sandbox (``token`` replaces the configured one)."""
        return JiraConnector(TRACKER, settings(self.site.info, token=token), sleep=lambda _: None)

    def secrets(self) -> list[str]:
        """Every secret configured."""
        return [self.site.info["token"], WEBHOOK_SECRET]

    def create_home(self, kr_id: str) -> HomeItem:
        """A "Key Result" issue as the KR's home."""
        return HomeItem(TRACKER, self.site.create_issue(f"KR {kr_id}", kind="Key Result"))

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        """A task labelled ``kr:<id>`` (transitioned to Done when ``done``)."""
        key = self.site.create_issue(f"Work for {kr_id}", labels=[f"kr:{kr_id}"])
        if done:
            self.site.transition(key, "Done")
        return key

    def touch(self, key: str) -> None:
        """Change an item's summary."""
        self.site.edit(key, summary=f"Touched {key}")

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        """The PullSpec for these KR homes."""
        return PullSpec(kr_homes=homes)

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        """A signed ``jira:issue_updated`` delivery for the first key."""
        body = webhook_body(keys[0])
        return signed(body), body

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        """The KR on track at ``progress``."""
        return DesiredHome(home=home, subject_id=kr_id, title=f"KR {kr_id}", status=kr_status(kr_id, progress))
