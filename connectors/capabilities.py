"""What a connector may offer beyond the core :class:`~okr_sync.connectors.base.Connector` contract.

Each capability is a small runtime-checkable Protocol. The engine, the daemon and the CLI ask
``isinstance(connector, Discovers)`` — never which kind a tracker is — so a third-party connector gains a
feature by defining the methods, and a connector without one gets a plain sentence instead of a crash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from okr_sync.mapping import HomeItem

if TYPE_CHECKING:
    from okr_sync.config.models import DiscoverRule
    from okr_sync.connectors.admin import Check, SetupStep, StepResult
    from okr_sync.connectors.base import ItemProblem, PullSpec, WebhookEvent


@dataclass(frozen=True, slots=True)
class DiscoveredKr:
    """A KR defined in the tracker itself (``discover:``); its home is the item defining it."""

    id: str
    title: str
    objective_ids: tuple[str, ...]
    kind: str
    baseline: float
    target: float
    home: HomeItem
    unit: str | None = None
    stretch: float | None = None
    owner: str | None = None


@runtime_checkable
class Discovers(Protocol):
    """Reads KRs defined as tracker items (``discover:`` rules)."""

    def discover(self, rule: DiscoverRule, *, index: int = 0) -> tuple[list[DiscoveredKr], list[ItemProblem]]:
        """The KRs ``rule`` finds, and the items that looked like KRs but lack something."""
        ...


@runtime_checkable
class Mentions(Protocol):
    """Writes an owner's tracker-native mention in check-ins (so the tracker notifies them)."""

    def mention(self, identity: str | None, name: str) -> str:
        """The mention of ``identity`` (from the people directory), or ``name`` when it cannot mention."""
        ...


@runtime_checkable
class ListsUsers(Protocol):
    """Lists the tracker's people (``okr-sync people import``)."""

    def list_users(self) -> list[dict[str, Any]]:
        """Every active user: ``{"identity", "name", "email"}`` (e-mail None when the tracker hides it)."""
        ...


@runtime_checkable
class ReceivesWebhooks(Protocol):
    """Authenticates and parses the tracker's webhook deliveries (``/webhooks/<tracker>``)."""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, max_bytes: int) -> WebhookEvent:
        """The items a delivery names, or :class:`~okr_sync.connectors.base.WebhookRejected`."""
        ...


@runtime_checkable
class Administers(Protocol):
    """``okr-sync doctor`` checks and ``okr-sync setup`` steps (see :mod:`okr_sync.connectors.admin`)."""

    def doctor(self, spec: PullSpec, homes: Mapping[str, HomeItem], people: Mapping[str, str]) -> list[Check]:
        """Read-only checks, each failing one with its fix."""
        ...

    def setup_plan(self, homes: Mapping[str, HomeItem] | None = None,
                   spec: PullSpec | None = None) -> list[SetupStep]:
        """What the tracker lacks for okr-sync (empty once set up); ``spec``: the fields KR measures read."""
        ...

    def apply_setup(self, steps: Sequence[SetupStep]) -> list[StepResult]:
        """Create what ``steps`` name; never delete or rename."""
        ...


CAPABILITIES: tuple[type[Any], ...] = (Discovers, Mentions, ListsUsers, ReceivesWebhooks, Administers)
"""Every optional capability, for reports and the contract suite."""
