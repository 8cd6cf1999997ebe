"""Acknowledging companion findings: an owner says "seen, we know" in the tracker, and it stops repeating.

How an owner acknowledges, on the KR's (or objective's) home item:

- a label ``okr-ack:<rule>`` (e.g. ``okr-ack:overdue_items``; the prefix is configurable), or
- a line ``okr-ack: <rule>`` in a comment (several rules may be separated by commas or spaces).

A connector reports each such sign as an :class:`~okr_sync.connectors.base.AckSign` (which rule, by whom
and when); the engine sets the subject whose home carries it. The first time the engine sees a sign
it binds it to the *fingerprint* of the finding of that
rule as it stands then (:meth:`mapping.Finding.fingerprint` hashes rule, subject and the triggering
facts) and stores ``(subject, fingerprint)`` as acknowledged; the signal itself is remembered as seen so
a label that stays on the item does not acknowledge the next, different finding. A finding is
suppressed while its fingerprint is acknowledged, i.e. until the facts change (another item becomes
overdue, the status moves from at risk to off track…); then it shows again and needs a new signal (a
new comment line, or the label removed and added again, which the tracker dates anew).

Everything here except :func:`learn` and :func:`acknowledged_fingerprints` (which take the state store)
is pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from okr_sync.connectors.base import AckSign
from okr_sync.mapping import ACK_LABEL_PREFIX, Finding, KrStatus, ObjectiveStatus
from okr_sync.mapping import rule_from_label as rule_from_label  # re-exported: the parsers live in mapping.markers
from okr_sync.mapping import rules_in_comment as rules_in_comment

if TYPE_CHECKING:  # compute imports this module at run time
    from okr_sync.engine.compute import Computed

LABEL_PREFIX = ACK_LABEL_PREFIX
SEEN_PREFIX = "seen:"
"""Acknowledgement rows whose fingerprint starts with this mark signals already applied, not findings."""


def sign_id(sign: AckSign) -> str:
    """Stable identity of a sign on its subject (remembered once applied)."""
    raw = "\x1f".join((sign.subject, sign.rule, sign.source, sign.at.isoformat()))
    return SEEN_PREFIX + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A finding fingerprint to store as acknowledged."""

    subject: str
    fingerprint: str
    by: str
    at: datetime
    rule: str


def decide(
    findings: Mapping[str, Sequence[Finding]], signals: Iterable[AckSign], seen: Mapping[str, set[str]]
) -> tuple[list[Acknowledgement], list[AckSign]]:
    """What new signals acknowledge, given each subject's current findings and its already-seen signals.

    Returns the acknowledgements to store and the signals to remember as seen. A signal naming a rule
    that has no current finding on its subject is still remembered (it acknowledged nothing, and must
    not acknowledge a finding that appears later). Signals are applied oldest first.
    """
    acks: list[Acknowledgement] = []
    applied: list[AckSign] = []
    done: set[str] = set()
    for signal in sorted(signals, key=lambda s: (s.at, s.subject, s.rule, s.source)):
        sid = sign_id(signal)
        if sid in seen.get(signal.subject, set()) or sid in done:
            continue
        done.add(sid)
        applied.append(signal)
        for finding in findings.get(signal.subject, ()):
            if finding.rule == signal.rule:
                acks.append(Acknowledgement(signal.subject, finding.fingerprint, signal.by, signal.at, finding.rule))
    return acks, applied


def split_findings(
    findings: Sequence[Finding], acknowledged: set[str]
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(shown, suppressed): a finding is suppressed while its fingerprint is acknowledged."""
    shown = tuple(f for f in findings if f.fingerprint not in acknowledged)
    hidden = tuple(f for f in findings if f.fingerprint in acknowledged)
    return shown, hidden


def without_acknowledged(computed: Computed, acknowledged: Mapping[str, set[str]]) -> Computed:
    """A copy of a :class:`okr_sync.engine.compute.Computed` whose statuses no longer carry acknowledged findings."""
    krs: dict[str, KrStatus] = {
        kr_id: replace(status, findings=split_findings(status.findings, acknowledged.get(kr_id, set()))[0])
        for kr_id, status in computed.key_results.items()
    }
    objectives: dict[str, ObjectiveStatus] = {
        oid: replace(status, findings=split_findings(status.findings, acknowledged.get(oid, set()))[0])
        for oid, status in computed.objectives.items()
    }
    return replace(computed, key_results=krs, objectives=objectives)


def suppressed_count(computed: Computed, acknowledged: Mapping[str, set[str]]) -> int:
    """How many current findings are hidden by acknowledgements."""
    statuses: list[tuple[str, KrStatus | ObjectiveStatus]] = [*computed.key_results.items(),
                                                              *computed.objectives.items()]
    return sum(len(split_findings(s.findings, acknowledged.get(subject, set()))[1]) for subject, s in statuses)


# -- with the state store -------------------------------------------------------------------------------


def acknowledged_fingerprints(store: Any, subjects: Iterable[str]) -> dict[str, set[str]]:
    """Subject → fingerprints of its acknowledged findings (seen-signal marks left out)."""
    return {s: {fp for fp in store.acknowledged(s) if not fp.startswith(SEEN_PREFIX)} for s in subjects}


def learn(store: Any, computed: Any, signals: Iterable[AckSign]) -> list[Acknowledgement]:
    """Store what new ``signals`` acknowledge in ``computed``'s findings; returns the new acknowledgements.

    The engine calls this after reading the home items (where connectors find the signals) and before
    rendering status blocks and check-ins, then filters with :func:`without_acknowledged`.
    """
    signals = list(signals)
    subjects = {s.subject for s in signals}
    findings: dict[str, Sequence[Finding]] = {}
    for subject in subjects:
        status = computed.key_results.get(subject) or computed.objectives.get(subject)
        findings[subject] = status.findings if status is not None else ()
    seen = {s: {fp for fp in store.acknowledged(s) if fp.startswith(SEEN_PREFIX)} for s in subjects}
    acks, applied = decide(findings, signals, seen)
    for ack in acks:
        store.acknowledge(ack.subject, ack.fingerprint, ack.by, ack.at)
    for signal in applied:
        store.acknowledge(signal.subject, sign_id(signal), signal.by, signal.at)
    return acks
