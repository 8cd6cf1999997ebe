"""The Azure DevOps connector's configuration: ``trackers.<name>`` with ``kind: azure_devops``, and a home
work item (``id``).

Importable without any HTTP library: ``okr-sync validate`` and ``--help`` read it, nothing else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from okr_sync.config.plugins import HomeKeys
from okr_sync.config.trackers import Strict, TokenAuth, TrackerSettings

POINT_FIELDS = ["Microsoft.VSTS.Scheduling.StoryPoints", "Microsoft.VSTS.Scheduling.Effort",
                "Microsoft.VSTS.Scheduling.RemainingWork"]


class AzureDevOpsScope(Strict):
    """Which work items okr-sync reads: one project, optionally narrowed by area paths, types or a WIQL clause."""

    project: str = Field(min_length=1, description="Project name, e.g. Portal.")
    area_paths: list[str] = Field(default_factory=list,
                                  description="Area paths read (with everything under them), e.g. Portal\\Team A.")
    work_item_types: list[str] = Field(default_factory=list, description="Work item types read; all when empty.")
    wiql: str | None = Field(None, description="A WIQL condition ANDed to the scope, e.g. "
                                               "\"[System.Tags] CONTAINS 'okr'\" (no SELECT, no ORDER BY).")

    @field_validator("wiql")
    @classmethod
    def _condition_only(cls, value: str | None) -> str | None:
        if value is not None and any(word in value.upper().split() for word in ("SELECT", "ORDER", "ASOF")):
            raise ValueError("scope.wiql is a condition only (what follows WHERE), e.g. "
                             "\"[System.Tags] CONTAINS 'okr'\"; okr-sync writes SELECT and ORDER BY itself")
        return value


class AzureDevOpsWrite(Strict):
    """What okr-sync writes on Azure DevOps KR home work items."""

    status_tag: bool = Field(True, description="Tag okr-status:<status> (other tags are kept).")
    status_comment: bool = Field(True, description="One status comment, edited in place.")
    checkin_comment: bool = Field(True, description="One 3P check-in comment per ISO week.")
    status_field: str | None = Field(None, description="Custom field (reference name) taking the status text, "
                                                       "e.g. Custom.OKRStatus; see okr-sync setup.")
    progress_field: str | None = Field(None, description="Custom decimal field (reference name) taking the "
                                                         "progress in percent, e.g. Custom.OKRProgress.")
    ack_tag_prefix: str = Field("okr-ack:", min_length=1,
                                description="Tag prefix acknowledging a companion finding, e.g. okr-ack:overdue_items.")


class AzureDevOpsTracker(TrackerSettings):
    """An Azure DevOps organisation (Services) or collection (Server), REST API 7.1."""

    kind: Literal["azure_devops"]
    url: str = Field(description="Organisation URL, e.g. https://dev.azure.com/agency (Server: "
                                 "https://devops.agency.gov/tfs/DefaultCollection).")
    auth: TokenAuth = Field(description="A personal access token with the scope Work Items (Read & Write).")
    scope: AzureDevOpsScope
    points: list[str] = Field(default_factory=lambda: list(POINT_FIELDS),
                              description="Fields counted as points, first one set wins.")
    blocked_field: str | None = Field("Microsoft.VSTS.CMMI.Blocked",
                                      description="A field whose value Yes/true marks an item blocked.")
    blocked_tags: list[str] = Field(default_factory=lambda: ["blocked"], description="Tags marking an item blocked.")
    week_tag: str = Field("week:{week}", description="Tag pattern planning an item for an ISO week.")
    manual_value_prefix: str = Field("okr-value:", description="Comment line a KR owner writes a value with.")
    write: AzureDevOpsWrite = Field(default_factory=AzureDevOpsWrite)
    webhook_username: str | None = Field(None, description="User name of the service hook's basic authentication.")
    webhook_password: SecretStr | None = Field(None, description="Password of the service hook's basic "
                                                                 "authentication (deliveries without it get 401).")
    graph_url: str | None = Field(None, description="Graph API URL for people import; default "
                                                    "https://vssps.dev.azure.com/<org> on Services, else url.")


class AzureDevOpsHome(HomeKeys):
    """An Azure DevOps home: the work item id (ids are unique in the organisation)."""

    id: int = Field(gt=0, description="Work item id.")

    def item_key(self) -> str:
        """The id as text, the key Azure DevOps items carry."""
        return str(self.id)
