"""What okr-sync shows on a GitLab KR home issue, and the diff against what is there — pure functions.

Three targets, each optional (``settings.write``):

* ``status label`` — one scoped label ``okr-status::<on-track|at-risk|off-track|done|not-started>``,
  changed with ``add_labels`` / ``remove_labels`` only (other labels are never sent);
* ``status block`` — the rendered status between ``<!-- okr-sync:begin -->`` and
  ``<!-- okr-sync:end -->`` in the description; everything outside the markers is kept byte for byte
  (the splice is redone on a copy re-read right before writing);
* ``check-in <week>`` — one note per KR and ISO week, found by its marker and edited in place.

Also the manual value: the latest ``okr-value: <number>`` line in a note by the KR's owner, and the
acknowledgement signs (:func:`ack_signs`): labels ``<write.ack_label_prefix><rule>`` and ``okr-ack: <rule>``
lines in people's notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from okr_sync.connectors.base import AckSign, DesiredHome, HomeState, Write
from okr_sync.connectors.gitlab.items import parse_time
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.mapping import (
    ManualValue,
    checkin_marker,
    escape,
    parse_marker,
    render_checkin,
    render_status_block,
    rule_from_label,
    rules_in_comment,
)
from okr_sync.mapping.numbers import NumberFormat
from okr_sync.mapping.typed import IgnoredValue, TypedValue, choose_manual

BEGIN = "<!-- okr-sync:begin -->"
END = "<!-- okr-sync:end -->"
STATUS_SCOPE = "okr-status::"
_BLOCK = re.compile(re.escape(BEGIN) + r"((?:(?!" + re.escape(BEGIN) + r").)*?)" + re.escape(END), re.DOTALL)
_MENTION = re.compile(r"^@[A-Za-z0-9_.-]+$")
_CHECKIN_NOTE = re.compile(r"^\s*<!-- okr-sync:checkin:")


def status_label(status: Any) -> str:
    """``okr-status::on-track`` for a KR or objective status."""
    return STATUS_SCOPE + str(status.status.value).replace("_", "-")


def find_block(description: str) -> re.Match[str] | None:
    """The first complete okr-sync block (an orphan begin marker is left as text)."""
    return _BLOCK.search(description)


def block_text(description: str | None) -> str | None:
    """The text between the markers, or None when there is no block."""
    match = find_block(description or "")
    return match.group(1) if match else None


def splice(description: str | None, block: str) -> str:
    """``description`` with its okr-sync block replaced by ``block`` (appended when absent).

    Only the characters between the first complete marker pair change; with no pair, the block goes
    after the existing text, separated by a blank line.
    """
    text = description or ""
    inner = "\n" + block.rstrip("\n") + "\n"
    match = find_block(text)
    if match:
        return text[: match.start(1)] + inner + text[match.end(1):]
    separator = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    return f"{text}{separator}{BEGIN}{inner}{END}\n"


def same_text(a: str | None, b: str | None) -> bool:
    """Equal up to line endings and surrounding whitespace (GitLab may normalise both)."""
    def norm(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()
    return a is not None and b is not None and norm(a) == norm(b)


def checkin_body(desired: DesiredHome) -> str:
    """The check-in note: the rendered 3P check-in, then the owner's mention (a real @ mention)."""
    assert desired.checkin is not None
    body = render_checkin(desired.checkin, "markdown")
    mention = desired.owner_mention
    if mention:
        body += f"\nOwner: {mention if _MENTION.match(mention) else escape(mention, 'markdown')}\n"
    return body


def checkin_notes(notes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Check-in marker → ``{"id", "body"}`` of okr-sync's own check-in notes (marker first in the body)."""
    found: dict[str, dict[str, Any]] = {}
    for note in notes:
        body = str(note.get("body") or "")
        if note.get("system") or not _CHECKIN_NOTE.match(body):
            continue
        marker = parse_marker(body)
        if marker is not None and marker.kind == "checkin" and marker.week:
            key = checkin_marker(marker.subject_id, marker.week)
            found.setdefault(key, {"id": note["id"], "body": body})
    return found


def manual_value(notes: Iterable[Mapping[str, Any]], prefix: str, owner: str | Sequence[str] | None,
                 fmt: NumberFormat) -> tuple[ManualValue | None, tuple[IgnoredValue, ...]]:
    """The latest ``<prefix> <number>`` line by the KR's owner (its last such line per note), and the newer
    ones that do not count (another author, or not a number in the locale): :func:`mapping.typed.choose_manual`."""
    pattern = re.compile(r"^\s*" + re.escape(prefix.strip()) + r"\s*(\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)
    typed = []
    for note in notes:
        author = note.get("author") or {}
        matches = pattern.findall(str(note.get("body") or ""))
        at = parse_time(note.get("updated_at") or note.get("created_at"))
        if note.get("system") or not matches or at is None:
            continue
        username = str(author.get("username") or "")
        typed.append(TypedValue(matches[-1], f"{username}\x1f{author.get('id')}", username, at))
    owners = [owner] if isinstance(owner, str) else list(owner or ())
    return choose_manual(typed, owners=owners, fmt=fmt, is_owner=_typed_by)


def _typed_by(value: TypedValue, owner: str) -> bool:
    """Whether the note's author (``username\x1fid``) is ``owner`` (``@user``, ``user`` or a user id)."""
    username, _, user_id = value.author.partition("\x1f")
    wanted = owner.strip().lstrip("@").casefold()
    return wanted in (username.casefold(), user_id)


def ack_signs(issue: Mapping[str, Any], notes: Iterable[Mapping[str, Any]], prefix: str) -> tuple[AckSign, ...]:
    """Acknowledgement signs on a home issue, oldest first.

    Notes: ``okr-ack: <rule>`` lines of non-system notes without an okr-sync marker (okr-sync's own
    check-ins may suggest such a line; they never count), by the note's author at its creation.
    Labels: GitLab's issue JSON does not say when or by whom a label was added (that is in
    ``resource_label_events``, one more request per issue), so a label sign is dated by the issue's
    creation and its author is ``unknown``. That date is stable: ``updated_at`` would move with every
    edit (okr-sync's own writes included) and turn one label into a new sign each time, acknowledging
    findings nobody looked at. The cost: removing and re-adding the label is not a new sign; a note is.
    """
    signs: list[AckSign] = []
    created = parse_time(issue.get("created_at"))
    if created is not None:
        rules = dict.fromkeys(rule for label in issue.get("labels") or []
                              if isinstance(label, str) and (rule := rule_from_label(label, prefix)))
        signs += [AckSign(rule=rule, by="unknown", at=created, source="label") for rule in rules if rule]
    for note in notes:
        body, at = str(note.get("body") or ""), parse_time(note.get("created_at"))
        if note.get("system") or at is None or parse_marker(body) is not None:
            continue
        by = str((note.get("author") or {}).get("username") or "unknown")
        signs += [AckSign(rule=rule, by=by, at=at, source=f"note:{note.get('id')}") for rule in rules_in_comment(body)]
    return tuple(sorted(signs, key=lambda sign: (sign.at, sign.source, sign.rule)))


def plan_home(desired: DesiredHome, state: HomeState, settings: GitLabTracker) -> list[Write]:
    """The writes that make one existing home issue show ``desired`` (none when it already does)."""
    writes: list[Write] = []
    values = state.values
    if settings.write.status_labels:
        want = status_label(desired.status)
        present = [name for name in values.get("labels", []) if name.startswith(STATUS_SCOPE)]
        if present != [want]:
            writes.append(Write(desired.home, "status label", ", ".join(present) or None, want,
                                {"add": [] if want in present else [want],
                                 "remove": [name for name in present if name != want]}))
    if settings.write.description_block:
        block = render_status_block(desired.status, "markdown")
        current = values.get("block")
        if not same_text(current, block):
            writes.append(Write(desired.home, "status block", current, block, {"block": block}))
    if desired.checkin is not None and settings.write.checkin_note:
        marker = checkin_marker(desired.checkin.kr_id, desired.checkin.week)
        body = checkin_body(desired)
        existing = values.get("checkins", {}).get(marker)
        if existing is None or not same_text(existing["body"], body):
            writes.append(Write(desired.home, f"check-in {desired.checkin.week}",
                                existing["body"] if existing else None, body,
                                {"marker": marker, "body": body, "note_id": existing["id"] if existing else None}))
    return writes
