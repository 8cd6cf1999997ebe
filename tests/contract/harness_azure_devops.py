"""Contract-suite harness for the Azure DevOps connector (see tests/contract/README.md).

Also the shared helpers of tests/connectors/test_ado_*.py: settings against the sandbox's Azure DevOps
emulator, and work items arranged through the REST API with plain ``requests`` (the connector's own client).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import requests

from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
from okr_sync.connectors.azure_devops.settings import AzureDevOpsTracker
from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.mapping import HomeItem, KrStatus, KrStatusValue, Provenance, ScoreBand

PROJECT = "Portal"
HOOK_USER = "okr-hook"
HOOK_PASSWORD = "ado-hook-secret-7c1e"
NO_SLEEP: Callable[[float], None] = lambda seconds: None  # noqa: E731


def settings_for(sb: Any, *, token: str | None = None, **overrides: Any) -> AzureDevOpsTracker:
    """An Azure DevOps tracker configuration pointing at the sandbox's emulator."""
    info = sb.info["azure_devops"]
    data: dict[str, Any] = {
        "kind": "azure_devops", "url": info["url"], "auth": {"token": token or info["pat"]},
        "scope": {"project": PROJECT}, "link": [{"label": "kr:{kr}"}], "timeout": 5,
        "webhook_username": HOOK_USER, "webhook_password": HOOK_PASSWORD, "max_retry_time": "20s",
    }
    data.update(overrides)
    return AzureDevOpsTracker.model_validate(data)


def kr_status(kr_id: str, progress: float, status: KrStatusValue = KrStatusValue.ON_TRACK) -> KrStatus:
    """A desired KR status as mapping would produce it."""
    return KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW, status=status,
                    expected=0.4, gap=0.4 - progress, forecast=None,
                    provenance=Provenance(rule="completion (count)", item_keys=("2",)))


class Client:
    """Arranges data on the emulator through its REST API, as a person's script would."""

    def __init__(self, sb: Any, pat: str | None = None) -> None:
        info = sb.info["azure_devops"]
        self.url = info["url"]
        self.session = requests.Session()
        self.session.auth = ("", pat or info["pat"])

    def create(self, title: str, *, kind: str = "User Story", **fields: Any) -> int:
        """A work item; ``fields`` by reference name."""
        ops = [{"op": "add", "path": "/fields/System.Title", "value": title}]
        ops += [{"op": "add", "path": f"/fields/{name}", "value": value} for name, value in fields.items()]
        answer = self.session.post(f"{self.url}/{PROJECT}/_apis/wit/workitems/${kind}?api-version=7.1",
                                   data=json.dumps(ops), headers={"Content-Type": "application/json-patch+json"})
        answer.raise_for_status()
        return int(answer.json()["id"])

    def update(self, item_id: int, **fields: Any) -> dict[str, Any]:
        """Set fields on a work item (no rev test: a person's edit)."""
        ops = [{"op": "add", "path": f"/fields/{name}", "value": value} for name, value in fields.items()]
        answer = self.session.patch(f"{self.url}/_apis/wit/workitems/{item_id}?api-version=7.1",
                                    data=json.dumps(ops), headers={"Content-Type": "application/json-patch+json"})
        answer.raise_for_status()
        return dict(answer.json())

    def get(self, item_id: int) -> dict[str, Any]:
        """The work item JSON."""
        answer = self.session.get(f"{self.url}/_apis/wit/workitems/{item_id}?api-version=7.1")
        answer.raise_for_status()
        return dict(answer.json())

    def comment(self, item_id: int, text: str) -> dict[str, Any]:
        """A Markdown comment."""
        answer = self.session.post(f"{self.url}/{PROJECT}/_apis/wit/workItems/{item_id}/comments",
                                   params={"api-version": "7.1-preview.4", "format": "markdown"}, json={"text": text})
        answer.raise_for_status()
        return dict(answer.json())

    def comments(self, item_id: int) -> list[dict[str, Any]]:
        """Every comment, following continuation tokens."""
        found: list[dict[str, Any]] = []
        token = None
        while True:
            params = {"api-version": "7.1-preview.4", **({"continuationToken": token} if token else {})}
            body = self.session.get(f"{self.url}/{PROJECT}/_apis/wit/workItems/{item_id}/comments",
                                    params=params).json()
            found += body["comments"]
            token = body.get("continuationToken")
            if not token:
                return found


class Harness:
    """The contract suite's view of Azure DevOps: an empty sandbox with project Portal."""

    kind = "azure_devops"

    def __init__(self, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
        self.sb = make_sandbox("empty")
        self.control = control_of(self.sb)
        self.client = Client(self.sb)

    def connector(self, *, token: str | None = None) -> AzureDevOpsConnector:
        """A connector on the sandbox (``token`` replaces the configured PAT)."""
        return AzureDevOpsConnector("azure_devops", settings_for(self.sb, token=token), sleep=NO_SLEEP)

    def secrets(self) -> list[str]:
        """Every secret configured."""
        return [self.sb.info["azure_devops"]["pat"], HOOK_PASSWORD]

    def create_home(self, kr_id: str) -> HomeItem:
        """A KR home work item (an Epic)."""
        return HomeItem("azure_devops", str(self.client.create(f"KR {kr_id}", kind="Epic")))

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        """A user story tagged for the KR; closed when ``done``."""
        fields: dict[str, Any] = {"System.Tags": f"kr:{kr_id}"}
        if done:
            fields["System.State"] = "Closed"
        return str(self.client.create(f"Work for {kr_id}", **fields))

    def touch(self, key: str) -> None:
        """Change a work item's title."""
        item = self.client.get(int(key))
        self.client.update(int(key), **{"System.Title": item["fields"]["System.Title"] + " (edited)"})

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        """The pull spec for these KR homes."""
        return PullSpec(kr_homes=homes)

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        """A ``workitem.updated`` delivery for the first key, with the hook's basic credentials."""
        body = {"eventType": "workitem.updated", "publisherId": "tfs",
                "resource": {"workItemId": int(keys[0]), "rev": 2, "revision": {"id": int(keys[0]), "rev": 2}}}
        auth = base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}, json.dumps(body).encode()

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        """The desired status of a KR home."""
        return DesiredHome(home=home, subject_id=kr_id, title=f"KR {kr_id}", status=kr_status(kr_id, progress))
