"""Invisible markers that let okr-sync find (and replace, never duplicate) its own tracker text.

Marker text: ``okr-sync:status:<id>`` for a KR's or objective's status block and
``okr-sync:checkin:<KR>:<YYYY-Www>`` for a weekly check-in. Ids are percent-encoded except for
``A-Z a-z 0-9 . _ -``, so a KR id holding ``:``, ``}``, ``|``, ``>``, ``*`` or spaces can never break
the marker or the markup around it, and parsing gives the exact id back.

How each flavour hides it:

* Markdown (GitLab): an HTML comment ``<!-- okr-sync:checkin:OBJ1-KR2:2026-W48 -->``, which GitLab does
  not render. Percent-encoding keeps ``>`` (and so ``-->``) out of the comment.
* Wiki markup (Jira, Confluence): the anchor macro ``{anchor:okr-sync:checkin:OBJ1-KR2:2026-W48}``. Jira renders an
  anchor as an empty ``<a name=…>`` element, i.e. invisibly (a white ``{color}`` span would still be
  selectable and read out by screen readers). ``}``, ``|`` and ``=`` would end or split the macro, and
  are encoded. Jira Server/Data Center keeps the anchor in the stored text; Jira Cloud stores comments
  as documents and drops it, so there the marker travels in a comment property instead
  (``connectors/jira/comments.py``): the rule everywhere is that the marker lives where the tracker
  keeps it verbatim.
* Plain text (Planner descriptions) cannot hide anything: the marker is a last line in brackets,
  ``[okr-sync:checkin:OBJ1-KR2:2026-W48]``, short and recognisable.

The opposite direction lives here too: the signs a *person* leaves to acknowledge a companion finding
(a label ``okr-ack:<rule>`` or a comment line ``okr-ack: <rule>``), parsed by :func:`rule_from_label`
and :func:`rules_in_comment` so every connector reads them the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from okr_sync.mapping.results import MarkerKind
from okr_sync.mapping.weeks import parse_week

Flavour = Literal["markdown", "wiki", "text"]

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_ID = r"[A-Za-z0-9._%-]+"
_MARKER = re.compile(
    rf"okr-sync:(?:status:(?P<sid>{_ID})|checkin:(?P<cid>{_ID}):(?P<week>\d{{4}}-W\d{{2}}))"
)
_ESCAPE = re.compile(r"%([0-9A-F]{2})")
_ACK_LINE = re.compile(r"^\s*okr-ack\s*:\s*(?P<rules>[A-Za-z0-9_,\s-]+?)\s*$", re.IGNORECASE | re.MULTILINE)

ACK_LABEL_PREFIX = "okr-ack:"
"""Default prefix of acknowledgement labels (``okr-ack:overdue_items``); configurable per tracker."""


@dataclass(frozen=True, slots=True)
class Marker:
    """What a marker names: a status block of a subject, or a check-in of a KR for a week."""

    kind: MarkerKind
    subject_id: str
    week: str | None = None


def encode_id(subject_id: str) -> str:
    """Percent-encode everything but ``A-Z a-z 0-9 . _ -`` (UTF-8 bytes, upper-case hex)."""
    if not subject_id:
        raise ValueError("marker: the KR or objective id is empty; markers need a non-empty id")
    if all(ch in _SAFE for ch in subject_id):
        return subject_id
    return "".join(
        ch if ch in _SAFE else "".join(f"%{byte:02X}" for byte in ch.encode("utf-8")) for ch in subject_id
    )


def decode_id(encoded: str) -> str:
    """Inverse of ``encode_id``; raises ``ValueError`` on a malformed escape."""
    if "%" not in encoded:
        return encoded
    raw = bytearray()
    index = 0
    while index < len(encoded):
        ch = encoded[index]
        if ch == "%":
            match = _ESCAPE.match(encoded, index)
            if match is None:
                raise ValueError(f"marker id {encoded!r}: malformed %-escape at position {index}")
            raw.append(int(match.group(1), 16))
            index += 3
        else:
            raw.extend(ch.encode("ascii"))
            index += 1
    return raw.decode("utf-8")


def status_marker(subject_id: str) -> str:
    """Marker text of a KR's or objective's status block."""
    return f"okr-sync:status:{encode_id(subject_id)}"


def checkin_marker(kr_id: str, week: str) -> str:
    """Marker text of a KR's check-in for an ISO week (the week is validated)."""
    parse_week(week)
    return f"okr-sync:checkin:{encode_id(kr_id)}:{week}"


def wrap_marker(marker: str, flavour: Flavour) -> str:
    """The marker in its invisible (or least visible) form for a flavour."""
    if flavour == "markdown":
        return f"<!-- {marker} -->"
    if flavour == "wiki":
        return f"{{anchor:{marker}}}"
    return f"[{marker}]"


def parse_marker(text: str) -> Marker | None:
    """The first well-formed okr-sync status or check-in marker in ``text``, or None."""
    for match in _MARKER.finditer(text):
        try:
            if match.group("sid") is not None:
                return Marker("status", decode_id(match.group("sid")))
            week = match.group("week")
            parse_week(week)
            return Marker("checkin", decode_id(match.group("cid")), week)
        except (ValueError, UnicodeDecodeError):
            continue
    return None


def _rule_name(word: str) -> str:
    return word.strip().lower().replace("-", "_")


def rule_from_label(label: str, prefix: str = ACK_LABEL_PREFIX) -> str | None:
    """``okr-ack:overdue_items`` → ``overdue_items`` (case and ``-``/``_`` folded); None for any other label."""
    if not prefix or not label.lower().startswith(prefix.lower()):
        return None
    return _rule_name(label[len(prefix):]) or None


def rules_in_comment(text: str) -> tuple[str, ...]:
    """Rules acknowledged by ``okr-ack: <rule>[, <rule>…]`` lines of a comment, in order, without repeats."""
    found: list[str] = []
    for match in _ACK_LINE.finditer(text):
        for word in re.split(r"[,\s]+", match.group("rules")):
            rule = _rule_name(word)
            if rule and rule not in found:
                found.append(rule)
    return tuple(found)
