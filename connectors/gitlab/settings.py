"""The GitLab connector's configuration: ``trackers.<name>`` with ``kind: gitlab``, and a GitLab home
(``project`` and ``iid``).

Importable without python-gitlab: ``okr-sync validate`` and ``--help`` read it, nothing else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from okr_sync.config.plugins import HomeKeys
from okr_sync.config.trackers import Strict, TokenAuth, TrackerSettings


class GitLabScope(Strict):
    """Which GitLab projects and groups okr-sync reads."""

    projects: list[str | int] = Field(default_factory=list, description="Project paths or ids.")
    groups: list[str | int] = Field(default_factory=list, description="Group paths or ids.")

    @model_validator(mode="after")
    def _something(self) -> GitLabScope:
        if not self.projects and not self.groups:
            raise ValueError("name at least one project or group")
        return self


class GitLabWrite(Strict):
    """What okr-sync writes on GitLab KR home issues."""

    status_labels: bool = Field(True, description="Scoped label okr-status::<status>.")
    description_block: bool = Field(True, description="Status block between okr-sync markers.")
    checkin_note: bool = Field(True, description="One 3P check-in note per ISO week.")
    ack_label_prefix: str = Field(
        "okr-ack:", min_length=1,
        description="Label prefix acknowledging a companion finding on a home issue, e.g. okr-ack:overdue_items "
                    "(note lines okr-ack: <rule> work too).")


class GitLabTracker(TrackerSettings):
    """A GitLab instance (REST API v4); any tier."""

    kind: Literal["gitlab"]
    url: str = Field(description="Base URL, e.g. https://gitlab.example.gov.")
    auth: TokenAuth
    scope: GitLabScope
    points: Literal["weight", "time_estimate"] | None = Field("weight", description="What counts as points.")
    blocked_labels: list[str] = Field(default_factory=lambda: ["blocked", "workflow::blocked"])
    in_progress_labels: list[str] = Field(
        default_factory=lambda: ["doing", "in progress", "workflow::doing", "workflow::in progress"],
        description="Labels meaning an open issue is in progress (otherwise it counts as to do).")
    cancelled_labels: list[str] = Field(
        default_factory=lambda: ["cancelled", "wontfix", "won't do", "duplicate", "workflow::cancelled"],
        description="Labels meaning a closed issue was cancelled (excluded from progress), not done.")
    week_label: str = Field("week::{week}", description="Label pattern tagging an issue for an ISO week.")
    manual_value_prefix: str = Field("okr-value:", description="Note line a KR owner writes a value with.")
    write: GitLabWrite = Field(default_factory=GitLabWrite)
    webhook_secret: SecretStr | None = Field(None, description="Secret token checked in X-Gitlab-Token.")


class GitLabHome(HomeKeys):
    """A GitLab home: the project (path or id) and the issue's iid in it."""

    project: str | int = Field(description="GitLab project path or id.")
    iid: int = Field(description="GitLab issue iid.")

    def item_key(self) -> str:
        """``project#iid``, the key GitLab items carry."""
        return f"{self.project}#{self.iid}"
