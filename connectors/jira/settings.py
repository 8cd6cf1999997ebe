"""The Jira connector's configuration: ``trackers.<name>`` with ``kind: jira``, and a Jira home (``key``).

Importable without the ``jira`` library: ``okr-sync validate`` and ``--help`` read it, nothing else.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from okr_sync.config.plugins import HomeKeys
from okr_sync.config.trackers import STATUS_NAMES, StatusNames, Strict, TokenAuth, TrackerSettings


class BasicAuth(Strict):
    """Jira basic auth: a user (Cloud: e-mail) and an API token."""

    kind: Literal["basic"]
    user: str = Field(description="User name (Server) or account e-mail (Cloud).")
    token: SecretStr = Field(description="API token or password.")


class JiraScope(Strict):
    """Which Jira issues okr-sync reads."""

    jql: str = Field(description="JQL selecting the work items, e.g. project in (PGE, MPE).")


class JiraWriteFields(Strict):
    """Custom fields on KR home issues, by name or ``customfield_NNNNN``."""

    progress: str | None = Field(None, description="Number field: progress in percent (0–100+).")
    status: str | None = Field(None, description="Select field: Not started | On track | At risk | Off track | Done.")
    forecast: str | None = Field(None, description="Number field: forecast progress at cycle end, percent.")
    last_sync: str | None = Field(None, description="Date-time or text field: when okr-sync last wrote.")


class JiraWrite(Strict):
    """What okr-sync writes on Jira KR home issues."""

    fields: JiraWriteFields = Field(default_factory=JiraWriteFields)
    status_options: StatusNames = Field(
        default_factory=lambda: dict(STATUS_NAMES),
        description="Select option for each status; the ones you give replace the defaults one by one.")
    status_comment: bool = Field(True, description="Keep one status comment up to date in place.")
    checkin_comment: bool = Field(True, description="One 3P check-in comment per ISO week.")
    ack_label_prefix: str = Field(
        "okr-ack:", min_length=1,
        description="Label prefix acknowledging a companion finding on a home issue, e.g. okr-ack:overdue_items "
                    "(comment lines okr-ack: <rule> work too).")


class JiraTracker(TrackerSettings):
    """A Jira Cloud or Server/Data Center site (REST API v2)."""

    kind: Literal["jira"]
    url: str = Field(description="Base URL of the Jira site, e.g. https://jira.example.gov.")
    deployment: Literal["auto", "cloud", "server"] = Field(
        "auto", description="auto reads serverInfo. cloud needs auth kind basic (e-mail + API token); "
                            "token (Bearer) is for Server/Data Center personal access tokens.")
    auth: Annotated[TokenAuth | BasicAuth, Field(discriminator="kind")]
    scope: JiraScope
    points_field: str | None = Field(None, description="Story points field (name or id).")
    manual_value_field: str | None = Field(None, description='Number field a KR owner types the current value in.')
    blocked_statuses: list[str] = Field(default_factory=lambda: ["Blocked"], description="Statuses meaning blocked.")
    cancelled_resolutions: list[str] = Field(
        default_factory=lambda: ["Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce", "Declined"],
        description="Resolutions meaning cancelled (excluded from progress).")
    write: JiraWrite = Field(default_factory=JiraWrite)
    webhook_secret: SecretStr | None = Field(None, description="Secret for X-Hub-Signature HMAC-SHA256.")

    @field_validator("auth")
    @classmethod
    def _cloud_takes_basic(cls, auth: TokenAuth | BasicAuth, info: ValidationInfo) -> TokenAuth | BasicAuth:
        """Jira Cloud refuses an API token sent as a Bearer token (Bearer is for Data Center PATs)."""
        host = str(info.data.get("url") or "").split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        cloud = info.data.get("deployment") == "cloud" or (
            info.data.get("deployment") == "auto" and host.endswith((".atlassian.net", ".jira.com")))
        if cloud and isinstance(auth, TokenAuth):
            raise ValueError("Jira Cloud takes an API token only with the account's e-mail (Bearer tokens are "
                             "Data Center personal access tokens); write auth: {kind: basic, user: "
                             "<your e-mail>, token: <API token from id.atlassian.com>}")
        return auth


class JiraHome(HomeKeys):
    """A Jira home: the issue key."""

    key: str = Field(description="Jira issue key.")

    def item_key(self) -> str:
        """The issue key itself."""
        return self.key
