"""The configuration admins write (``okr-sync.yaml``), as typed models.

Every setting has a description (the README's configuration reference is generated from them) and
can be overridden from the environment as ``OKRSYNC_<PATH>`` with ``__`` between levels.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from okr_sync.config.people import Person
from okr_sync.config.plugins import installed
from okr_sync.config.trackers import Strict, TrackerSettings
from okr_sync.config.types import Duration


class StateSettings(Strict):
    """Where okr-sync keeps its state (never secrets)."""

    url: str = Field("sqlite:///okr-sync.db", description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://…")


class ScheduleSettings(Strict):
    """When cycles run."""

    interval: Duration = Field(timedelta(minutes=5), description="Incremental cycle interval.")
    reconcile: Duration = Field(timedelta(hours=24), description="Full re-read catching deletions and unlinking.")
    debounce: Duration = Field(timedelta(seconds=2), description="Webhook bursts within this wait are merged.")
    checkin: str | None = Field(None, description='Post check-ins automatically, e.g. "mon 09:00".')
    timezone: str = Field("UTC", description="Time zone of the check-in schedule and of reports.")

    @model_validator(mode="after")
    def _positive_periods(self) -> ScheduleSettings:
        for name in ("interval", "reconcile"):
            if getattr(self, name) < timedelta(seconds=1):
                raise ValueError(f"schedule.{name} must be at least 1s; a shorter period runs cycles back to "
                                 "back and hammers the trackers (the default interval is 5m)")
        return self


class ServerSettings(Strict):
    """The daemon's HTTP endpoints."""

    listen: str = Field("127.0.0.1:8080", description="host:port for /healthz /readyz /metrics /webhooks/<tracker>.")
    max_body_bytes: int = Field(1_048_576, gt=0, description="Webhook bodies above this size get 413.")


class Cycle(Strict):
    """A planning cycle: a quarter or a year."""

    id: str
    start: date
    end: date = Field(description="Last day of the cycle (inclusive).")


class _HomeRefBase(Strict):
    """The tracker item where a KR's or objective's status is written."""

    tracker: str = Field(description="Name of a configured tracker.")


def _home_ref() -> type[_HomeRefBase]:
    """``tracker`` plus the home keys of every installed kind (which ones apply is checked per kind)."""
    annotations: dict[str, list[Any]] = {}
    descriptions: dict[str, str | None] = {}
    for plugin in installed().values():
        for name, info in plugin.home.model_fields.items():
            annotations.setdefault(name, []).append(info.annotation)
            descriptions.setdefault(name, info.description)
    fields: dict[str, Any] = {
        name: (Union[(*types, None)], Field(None, description=descriptions[name]))
        for name, types in annotations.items()
    }
    return create_model("HomeRef", __base__=_HomeRefBase, __doc__=_HomeRefBase.__doc__, **fields)


def _tracker_union() -> Any:
    """The ``trackers.<name>`` model: a union of the installed kinds' settings, chosen by ``kind``."""
    models = tuple(plugin.settings for plugin in installed().values())
    if not models:
        return Annotated[TrackerSettings, Field(description="No connector is installed.")]
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007


if TYPE_CHECKING:
    HomeRef = _HomeRefBase
    Tracker = TrackerSettings
else:
    HomeRef = _home_ref()
    Tracker = _tracker_union()


class MetricSource(Strict):
    """Where a metric's current value comes from when not typed in manually."""

    tracker: str
    sum_field: str | None = Field(None, description="Sum this number field over the linked items that count.")
    max_field: str | None = Field(None, description="The largest value of this field over the items that count.")
    last_field: str | None = Field(None, description="The value of the item that changed last, of those that count.")
    count: Literal["todo", "in_progress", "done", "cancelled"] | None = Field(
        None, description="Count the linked items in this status instead of reading a field.")
    items: Literal["done", "any"] = Field(
        "done", description="Which linked items a sum_field, max_field or last_field reads: done (default: "
        "only finished work counts) or any (open items too; cancelled ones never).")

    @model_validator(mode="after")
    def _one(self) -> MetricSource:
        given = [k for k in ("sum_field", "max_field", "last_field", "count") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a metric source needs exactly one of sum_field, max_field, last_field, count")
        return self


class MetricMeasure(Strict):
    """Baseline → target measured by a number (increasing or decreasing)."""

    type: Literal["metric"]
    baseline: float
    target: float
    stretch: float | None = Field(None, description="Optional stretch value beyond the target.")
    unit: str | None = None
    source: Annotated[
        Annotated[Literal["manual"], Tag("Manual")] | Annotated[MetricSource, Tag("TrackerSource")],
        Discriminator(lambda v: "Manual" if isinstance(v, str) else "TrackerSource"),
    ] = Field("manual", description='"manual" (typed by the owner) or {tracker, sum_field|max_field|last_field|count}.')


class CompletionMeasure(Strict):
    """Share of linked work done."""

    type: Literal["completion"]
    weight: Literal["count", "points", "estimate"] = "count"
    partial_credit: float = Field(0.0, ge=0, le=1, description="Credit for an in-progress item (0–1).")


class KeyResult(Strict):
    """A Key Result: an outcome with an owner and a measure."""

    id: str
    title: str
    owner: str | None = Field(None, description="The person accountable (a people id); the first of owners.")
    owners: list[str] = Field(default_factory=list, description="Co-owners, e.g. one per agency of a cross-agency "
                              "KR: every one's typed value and acknowledgement counts, every one's department "
                              "makes the objective cross-sector. owner, when also given, comes first.")
    department: str | None = None
    kind: Literal["value", "quality", "deliverable"] = "value"
    measure: Annotated[MetricMeasure | CompletionMeasure, Field(discriminator="type")]
    home: HomeRef | None = None
    weight: float = Field(1.0, gt=0)
    confidence: int | None = Field(None, ge=0, le=10)
    objectives: list[str] = Field(default_factory=list, description="Further objectives this KR serves.")

    @model_validator(mode="before")
    @classmethod
    def _co_owners(cls, data: Any) -> Any:
        """``owner`` and ``owners`` are one list: owner first, no one twice; ``owner`` is always its first."""
        if not isinstance(data, dict) or not isinstance(data.get("owners", []), list):
            return data
        everyone = [o for o in [data.get("owner"), *data.get("owners", [])] if o is not None]
        unique = list(dict.fromkeys(str(o) for o in everyone))
        return {**data, "owner": unique[0] if unique else None, "owners": unique}


class Objective(Strict):
    """An Objective: the change wanted and why it matters."""

    id: str
    cycle: str
    title: str
    why: str | None = None
    owner: str | None = None
    departments: list[str] = Field(default_factory=list)
    weight: float = Field(1.0, gt=0)
    parents: list[str] = Field(default_factory=list)
    home: HomeRef | None = None
    key_results: list[KeyResult] = Field(default_factory=list)


class DiscoverRule(Strict):
    """KRs defined in a tracker itself (e.g. Jira issues of type "Key Result")."""

    tracker: str
    jql: str | None = None
    fields: dict[str, str] = Field(default_factory=dict, description="objective, baseline, target, kind, …")


class Settings(BaseSettings):
    """The whole okr-sync configuration."""

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix="OKRSYNC_", env_nested_delimiter="__", frozen=True,
    )

    locale: str = Field("en", description="Language and region people write in (en, pt-BR, es…): decides how typed "
                        "numbers are read (pt-BR: 3,6 and 1.234,5; en: 3.6 and 1,234.5).")
    state: StateSettings = Field(default_factory=StateSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    trackers: dict[str, Tracker] = Field(default_factory=dict)
    cycles: list[Cycle] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    discover: list[DiscoverRule] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list, description="The people directory (owners and their "
                                 "identities per tracker). When present, every owner must be a person id.")
    people_file: str | None = Field(None, description="CSV or YAML file with more people (relative to this file).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the merged data the loader passes in: it applies environment overrides itself."""
        return (init_settings,)

    @field_validator("locale")
    @classmethod
    def _locale_tag(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", value.strip()):
            raise ValueError(f"locale '{value}' is not a language tag; write e.g. en, pt-BR or es")
        return value.strip()

    def person(self, person_id: str | None) -> Person | None:
        """The directory entry of ``person_id``, if any."""
        return next((p for p in self.people if p.id == person_id), None)

    def key_results(self) -> list[tuple[Objective, KeyResult]]:
        """Every KR with the objective it is defined under."""
        return [(o, kr) for o in self.objectives for kr in o.key_results]


def dump_public(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-ready data with every secret masked."""
    return settings.model_dump(mode="json")
