"""Tracker connection settings: one model per tracker kind, chosen by ``kind``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator

from okr_sync.config.types import Duration

STATUS_NAMES = {"not_started": "Not started", "on_track": "On track", "at_risk": "At risk",
                "off_track": "Off track", "done": "Done"}


def _status_names(value: Any) -> Any:
    """Merge the statuses an admin names over the defaults; an unknown status is an error."""
    if not isinstance(value, dict):
        return value
    unknown = sorted(set(value) - set(STATUS_NAMES))
    if unknown:
        raise ValueError(f"unknown status {', '.join(map(repr, unknown))}; statuses are "
                         f"{', '.join(STATUS_NAMES)}")
    return {**STATUS_NAMES, **value}


StatusNames = Annotated[dict[str, str], BeforeValidator(_status_names)]


class Strict(BaseModel):
    """Base of every configuration model: unknown keys are errors (with a suggestion)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenAuth(Strict):
    """A personal access token or bearer token (Jira PAT / Cloud bearer, GitLab token)."""

    kind: Literal["token"] = "token"
    token: SecretStr = Field(description="The token. Use ${NAME} to read it from the environment.")


class BasicAuth(Strict):
    """Jira basic auth: a user (Cloud: e-mail) and an API token."""

    kind: Literal["basic"]
    user: str = Field(description="User name (Server) or account e-mail (Cloud).")
    token: SecretStr = Field(description="API token or password.")


class ClientSecretAuth(Strict):
    """Microsoft Entra ID app registration with a client secret (application permissions)."""

    kind: Literal["client_secret"] = "client_secret"
    client_secret: SecretStr = Field(description="The app registration's client secret.")


class LinkRule(Strict):
    """One way a work item names the KR it serves. Exactly one key per rule; patterns contain ``{kr}``."""

    label: str | None = Field(None, description='Label pattern, e.g. "kr:{kr}" or "kr::{kr}".')
    field: str | None = Field(None, description="Custom field (name or id) whose value is a KR id (Jira).")
    children_of_home: bool | None = Field(None, description="Children / sub-tasks of the KR's home issue.")
    issue_link: str | None = Field(None, description="Issue link type linking work to the KR's home issue.")
    title_prefix: str | None = Field(None, description='Title prefix pattern, e.g. "[{kr}]".')
    bucket: str | None = Field(None, description='Planner bucket name pattern, e.g. "{kr}".')
    category: str | None = Field(None, description="Planner category (label) name pattern.")

    @model_validator(mode="after")
    def _exactly_one(self) -> LinkRule:
        given = [name for name in type(self).model_fields if getattr(self, name) not in (None, False)]
        if len(given) != 1:
            keys = ", ".join(type(self).model_fields)
            raise ValueError(f"a link rule needs exactly one of: {keys} (got {len(given) or 'none'})")
        return self

    @property
    def rule(self) -> str:
        """The rule's kind (its one key)."""
        return next(name for name in type(self).model_fields if getattr(self, name) not in (None, False))

    @property
    def pattern(self) -> str | None:
        """The pattern for pattern-based rules, else None."""
        value = getattr(self, self.rule)
        return value if isinstance(value, str) and self.rule in PATTERN_RULES else None


PATTERN_RULES = frozenset({"label", "title_prefix", "bucket", "category"})


class _TrackerCommon(Strict):
    link: list[LinkRule] = Field(default_factory=list, description="How work items name their KR.")
    timeout: float = Field(30.0, gt=0, allow_inf_nan=False,
                           description="Seconds before one HTTP request is abandoned.")
    verify_tls: bool = Field(True, description="Verify TLS certificates. Turning this off warns at start.")
    ca_cert: str | None = Field(None, description="Path of a CA bundle for a private certificate authority.")
    overlap: Duration = Field(timedelta(minutes=2), description="Overlap of incremental pulls.")
    max_retry_time: Duration = Field(timedelta(minutes=2), description="Give up retrying after this long.")


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


class JiraTracker(_TrackerCommon):
    """A Jira Cloud or Server/Data Center site (REST API v2)."""

    kind: Literal["jira"]
    url: str = Field(description="Base URL of the Jira site, e.g. https://jira.example.gov.")
    deployment: Literal["auto", "cloud", "server"] = Field("auto", description="auto reads serverInfo.")
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


class GitLabTracker(_TrackerCommon):
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


class PlannerScope(Strict):
    """Which Planner plans okr-sync reads."""

    plans: list[str] = Field(min_length=1, description="Plan ids.")


class PlannerWrite(Strict):
    """What okr-sync writes on Planner KR home tasks."""

    percent_complete: bool = True
    percent_rounding: Literal["none", "planner"] = Field(
        "none", description="planner: round to 0/50/100 as Planner's UI shows it.")
    status_category: bool = True
    details_block: bool = True
    status_categories: StatusNames = Field(
        default_factory=lambda: dict(STATUS_NAMES),
        description="Plan category name for each status; the ones you give replace the defaults one by one.")


class PlannerTracker(_TrackerCommon):
    """Microsoft Planner through Microsoft Graph, with an Entra ID app registration."""

    kind: Literal["planner"]
    tenant_id: str
    client_id: str
    auth: ClientSecretAuth
    graph_url: str = Field("https://graph.microsoft.com/v1.0", description="Graph base URL (national clouds).")
    authority: str = Field("https://login.microsoftonline.com", description="Identity platform authority.")
    scope: PlannerScope
    blocked_category: str | None = Field("Blocked", description="Category name meaning blocked.")
    write: PlannerWrite = Field(default_factory=PlannerWrite)
    webhook_client_state: SecretStr | None = Field(
        None, description="clientState every Graph change notification (or relay delivery) must carry.")


Tracker = Annotated[JiraTracker | GitLabTracker | PlannerTracker, Field(discriminator="kind")]
ALLOWED_RULES = {
    "jira": {"label", "field", "children_of_home", "issue_link", "title_prefix"},
    "gitlab": {"label", "title_prefix", "issue_link"},
    "planner": {"bucket", "title_prefix", "category"},
}
