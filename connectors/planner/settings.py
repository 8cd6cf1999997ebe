"""The Planner connector's configuration: ``trackers.<name>`` with ``kind: planner``, and a Planner home
(``task``).

Importable without msgraph-sdk: ``okr-sync validate`` and ``--help`` read it, nothing else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from okr_sync.config.plugins import HomeKeys
from okr_sync.config.trackers import STATUS_NAMES, StatusNames, Strict, TrackerSettings


class ClientSecretAuth(Strict):
    """Microsoft Entra ID app registration with a client secret (application permissions)."""

    kind: Literal["client_secret"] = "client_secret"
    client_secret: SecretStr = Field(description="The app registration's client secret.")


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


class PlannerTracker(TrackerSettings):
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


class PlannerHome(HomeKeys):
    """A Planner home: the task id."""

    task: str = Field(description="Planner task id.")

    def item_key(self) -> str:
        """The task id itself."""
        return self.task
