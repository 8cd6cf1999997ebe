"""Contract-suite harness for the GitLab connector (see tests/contract/README.md).

Also the shared helpers of tests/connectors/test_gitlab_*.py: settings against a sandbox, a desired KR
status, issues created with the real python-gitlab.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import gitlab

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.mapping import HomeItem, KrStatus, KrStatusValue, Provenance, ScoreBand

PROJECT = "okr/work"
WEBHOOK_SECRET = "gitlab-hook-secret-0f3a"
NO_SLEEP: Callable[[float], None] = lambda seconds: None  # noqa: E731


def settings_for(sb: Any, *, token: str | None = None, **overrides: Any) -> GitLabTracker:
    """A GitLab tracker configuration pointing at the sandbox's GitLab emulator."""
    info = sb.info["gitlab"]
    data: dict[str, Any] = {
        "kind": "gitlab", "url": info["url"], "auth": {"token": token or info["token"]},
        "scope": {"projects": [PROJECT]}, "link": [{"label": "kr::{kr}"}], "timeout": 5,
        "webhook_secret": WEBHOOK_SECRET, "max_retry_time": "20s",
    }
    data.update(overrides)
    return GitLabTracker.model_validate(data)


def kr_status(kr_id: str, progress: float, status: KrStatusValue = KrStatusValue.ON_TRACK) -> KrStatus:
    """A desired KR status as mapping would produce it."""
    return KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW, status=status,
                    expected=0.4, gap=0.4 - progress, forecast=None,
                    provenance=Provenance(rule="completion (count)", item_keys=("okr/work#2",)))


def client(sb: Any, token: str | None = None) -> gitlab.Gitlab:
    """The real python-gitlab client on the sandbox (for arranging test data)."""
    info = sb.info["gitlab"]
    return gitlab.Gitlab(info["url"], private_token=token or info["token"], keep_base_url=True)


class Harness:
    """The contract suite's view of GitLab: an empty sandbox with project okr/work."""

    kind = "gitlab"

    def __init__(self, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
        self.sb = make_sandbox("empty")
        self.control = control_of(self.sb)
        self.gl = client(self.sb)
        self.project = self.gl.projects.get(PROJECT)

    def connector(self, *, token: str | None = None) -> GitLabConnector:
        """A connector on the sandbox (``token`` replaces the configured one)."""
        return GitLabConnector("gitlab", settings_for(self.sb, token=token), sleep=NO_SLEEP)

    def secrets(self) -> list[str]:
        """Every secret configured."""
        return [self.sb.info["gitlab"]["token"], WEBHOOK_SECRET]

    def create_home(self, kr_id: str) -> HomeItem:
        """A KR home issue."""
        issue = self.project.issues.create({"title": f"KR {kr_id}", "description": "Owner notes.\n"})
        return HomeItem("gitlab", f"{PROJECT}#{issue.iid}")

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        """A work item labelled for the KR; closed when ``done``."""
        issue = self.project.issues.create({"title": f"Work for {kr_id}", "labels": [f"kr::{kr_id}"]})
        if done:
            issue.state_event = "close"
            issue.save()
        return f"{PROJECT}#{issue.iid}"

    def touch(self, key: str) -> None:
        """Change an issue's title."""
        issue = self.project.issues.get(int(key.rpartition("#")[2]))
        issue.title = issue.title + " (edited)"
        issue.save()

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        """The pull spec for these KR homes."""
        return PullSpec(kr_homes=homes)

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        """An ``Issue Hook`` delivery for the first key, with the right token."""
        path, _, iid = keys[0].rpartition("#")
        body = {"object_kind": "issue", "event_type": "issue", "project": {"path_with_namespace": path},
                "object_attributes": {"iid": int(iid), "action": "update",
                                      "updated_at": datetime.now(UTC).isoformat()}}
        return {"X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": WEBHOOK_SECRET}, json.dumps(body).encode()

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        """The desired status of a KR home."""
        return DesiredHome(home=home, subject_id=kr_id, title=f"KR {kr_id}", status=kr_status(kr_id, progress))
