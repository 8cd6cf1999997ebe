"""What every tracker's settings share: the base model, token auth, link rules and status names.

The settings of one tracker kind live with its connector (``okr_sync.connectors.<kind>.settings``) and extend
:class:`TrackerSettings`; :mod:`okr_sync.config.plugins` assembles them into the configuration model.
"""

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
    """A personal access token or bearer token."""

    kind: Literal["token"] = "token"
    token: SecretStr = Field(description="The token. Use ${NAME} to read it from the environment.")


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


class TrackerSettings(Strict):
    """What every tracker's settings share; a connector's settings model extends it with ``kind`` and the rest."""

    kind: str
    link: list[LinkRule] = Field(default_factory=list, description="How work items name their KR.")
    timeout: float = Field(30.0, gt=0, allow_inf_nan=False,
                           description="Seconds before one HTTP request is abandoned.")
    verify_tls: bool = Field(True, description="Verify TLS certificates. Turning this off warns at start.")
    ca_cert: str | None = Field(None, description="Path of a CA bundle for a private certificate authority.")
    overlap: Duration = Field(timedelta(minutes=2), description="Overlap of incremental pulls.")
    max_retry_time: Duration = Field(timedelta(minutes=2), description="Give up retrying after this long.")


