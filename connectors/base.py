"""The contract every tracker connector implements, and the data that crosses it.

Data flows one way: tracker → connector → :class:`mapping.WorkItem` → store → mapping → desired status →
connector write-back. A connector *translates*: it never decides progress. Shared mechanics (response
classification, retries, redaction, webhook checks) live once in this package.

A tracker kind is a plugin (:mod:`okr_sync.connectors.plugin`): the entry point names a light
:class:`~okr_sync.config.plugins.ConnectorPlugin` — settings model, home keys, the link rules it supports,
its webhook secret setting, its admin module — and the connector class as a ``"module:Class"`` string, so
``okr-sync --help`` and ``validate`` never import a tracker library. Only :class:`Connector` below is
required; what a connector may offer beyond it (KR discovery, mentions, user listing, webhooks, doctor /
setup) are the Protocols of :mod:`okr_sync.connectors.capabilities`, which the engine checks with
``isinstance`` — nothing outside ``connectors/<kind>/`` names a kind. ``okr_sync.testing`` is the contract
suite every connector, built-in or third-party, runs.

Write-back is a diff: :meth:`Connector.read_homes` reads the current state of KR home items,
:meth:`Connector.plan_writes` compares it with the desired state and returns only the writes needed
(each with a human-readable old → new, for ``--dry-run``), and :meth:`Connector.apply` performs them.
Comments, notes and blocks carry invisible markers (``mapping.status_marker`` / ``checkin_marker``) so a
replay after a crash finds and edits them instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from okr_sync.config.errors import SyncError
from okr_sync.mapping import CheckIn, HomeItem, KrStatus, ManualValue, ObjectiveStatus, WorkItem
from okr_sync.mapping.typed import IgnoredValue


@dataclass(frozen=True, slots=True)
class PullSpec:
    """What the engine needs from a pull besides the items themselves."""

    kr_homes: Mapping[str, HomeItem] = field(default_factory=dict)
    """KR (and objective) id → its home item on *this* tracker (for children-of-home / issue-link rules)."""
    number_fields: frozenset[str] = frozenset()
    """Numeric fields metric KRs read (``sum_field`` etc.), by configured name: fill ``WorkItem.numbers``."""
    manual_homes: Mapping[HomeItem, str] = field(default_factory=dict)
    """Home item → KR id, for KRs whose value is typed in by their owner (read in :meth:`read_homes`)."""
    owners: Mapping[str, str] = field(default_factory=dict)
    """KR id → owner identity on this tracker, when known (manual values count only from the owner)."""
    kr_ids: frozenset[str] = frozenset()
    """Every configured KR id. A pattern that is nothing but ``{kr}`` (a Planner bucket named after its KR)
    links only names in this set, so a bucket called "Backlog" is not taken for an unknown KR."""
    locale: str = "en"
    """The configured locale: how numbers people type are read (``mapping.numbers``)."""
    co_owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """KR id → every owner's identity on this tracker, for KRs with several owners (``owners_of``)."""
    number_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Number field name → where KRs configure it (``objectives[0].key_results[1].measure.source.sum_field
    (KR OBJ1-KR2)``): a field the tracker lacks is a problem of those KRs, named by their keys."""


    def owners_of(self, kr_id: str | None) -> tuple[str, ...]:
        """The identities on this tracker of every owner of a KR: any one's typed value counts."""
        if kr_id is None:
            return ()
        if kr_id in self.co_owners:
            return self.co_owners[kr_id]
        owner = self.owners.get(kr_id)
        return (owner,) if owner else ()


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """An item-level problem met while pulling or writing: recorded, reported, never fatal."""

    tracker: str
    subject: str
    message: str
    disposition: str = "skippable"


@dataclass(frozen=True, slots=True)
class PullResult:
    """The outcome of one pull of one tracker scope."""

    items: list[WorkItem]
    """Changed items (all items in scope when ``full``), de-duplicated by key."""
    watermark: str | None
    """Opaque cursor to pass to the next pull (a timestamp, or ETags for Planner)."""
    full: bool = False
    """True when every item in scope was read: items the store has but this pull lacks are gone."""
    problems: list[ItemProblem] = field(default_factory=list)
    scopes: tuple[str, ...] = ()
    """The scopes (projects, groups, plans, the JQL) this pull covered."""


@dataclass(frozen=True, slots=True)
class AckSign:
    """A person's acknowledgement of a companion finding, seen on a home item (``okr-ack:<rule>``).

    Read from a label (``mapping.rule_from_label``) or from a line of a comment / note that is not
    okr-sync's own (``mapping.rules_in_comment``); the engine sets ``subject`` and binds it to the finding
    (``okr_sync.engine.acks``).
    """

    rule: str
    """The companion rule acknowledged (``overdue_items``…)."""
    by: str
    """Who made the sign (account id or user name; ``unknown`` when the tracker does not say)."""
    at: datetime
    """When, aware UTC: the comment's creation, or when the label was added."""
    source: str
    """``label``, ``comment:<id>`` (Jira) or ``note:<id>`` (GitLab): with ``rule`` and ``at``, the sign's identity."""
    subject: str = ""
    """The KR or objective whose home item carries the sign (set by the engine; a connector leaves it empty)."""


@dataclass(frozen=True, slots=True)
class HomeState:
    """The current state of one home item, as far as okr-sync cares."""

    home: HomeItem
    exists: bool
    values: Mapping[str, Any] = field(default_factory=dict)
    """Connector-specific current values of what okr-sync writes (fields, labels, block, marked comments)."""
    manual: ManualValue | None = None
    etag: str | None = None
    title: str | None = None
    acks: tuple[AckSign, ...] = ()
    """Acknowledgement signs on the item, oldest first (see :class:`AckSign`)."""
    ignored: tuple[IgnoredValue, ...] = ()
    """Values typed for the KR that do not count, newest first, each with why (``mapping.typed``)."""


@dataclass(frozen=True, slots=True)
class DesiredHome:
    """What should be shown on one home item."""

    home: HomeItem
    subject_id: str
    title: str
    status: KrStatus | ObjectiveStatus
    checkin: CheckIn | None = None
    """When set, upsert this week's check-in (comment / note / block), found by its marker."""
    owner_mention: str | None = None
    """The owner's tracker-native mention (``[~accountid:…]``, ``@user``) or name, for check-ins."""


@dataclass(frozen=True, slots=True)
class Write:
    """One planned change on a tracker, described for people (``old → new``) and for the connector."""

    home: HomeItem
    target: str
    """What is written: ``field OKR Progress``, ``status comment``, ``check-in 2026-W48``, ``label``, …"""
    old: str | None
    new: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    """Connector-private instructions (ids, ETags, bodies)."""

    def describe(self) -> str:
        """One line for ``--dry-run``: ``tracker KEY: target: old → new``."""
        old = "(none)" if self.old is None else _short(self.old)
        return f"{self.home.tracker} {self.home.key}: {self.target}: {old} → {_short(self.new)}"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What happened to one :class:`Write`."""

    write: Write
    ok: bool
    error: SyncError | None = None


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified webhook delivery: which items changed."""

    tracker: str
    keys: frozenset[str]
    event: str
    ignored: bool = False
    """True for events okr-sync does not care about (answered 200, nothing triggered)."""


class WebhookRejected(SyncError):
    """A webhook delivery that must be refused: ``status`` is 401 (authentication), 413 or 400."""

    disposition = "skippable"

    def __init__(self, status: int, message: str, *, tracker: str | None = None) -> None:
        super().__init__(message, tracker=tracker)
        self.status = status


@runtime_checkable
class Connector(Protocol):
    """One tracker. Implementations live in ``connectors/<kind>/`` (or any package) and are named by their
    plugin. They are constructed as ``cls(name, settings)`` where ``settings`` is an instance of the plugin's
    settings model."""

    kind: ClassVar[str]
    """The ``kind`` in the configuration this connector serves (its plugin's kind)."""
    page_size: ClassVar[int | None]
    """Items per list request, which the connector's paging uses; None when the server sets page sizes
    and the connector follows its next links. The contract suite reads one item more than a page."""

    name: str

    @property
    def requests_made(self) -> int:
        """HTTP requests made so far (all retries included)."""
        ...

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Items changed since the watermark ``since`` (all items when ``full`` or ``since`` is None)."""
        ...

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Current state of the given home items (missing ones come back with ``exists=False``)."""
        ...

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        """Only the writes that make the tracker show ``desired``; nothing when it already does."""
        ...

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Perform writes; one failing write never stops the others."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
