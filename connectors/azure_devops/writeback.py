"""What okr-sync shows on an Azure DevOps KR home work item, and the diff against what is there — pure functions.

Targets, each optional (``settings.write``):

* ``status tag`` — one tag ``okr-status:<on-track|at-risk|off-track|done|not-started>``; people's tags are
  kept (``System.Tags`` is written whole, so the write tests ``/rev``: a tag added meanwhile is never lost);
* ``field <ref>`` — the status text / progress percent in custom fields, when configured;
* ``status comment`` — one Markdown comment per KR, edited in place;
* ``check-in <week>`` — one Markdown comment per KR and ISO week, edited in place.

Recognising okr-sync's own comments, the design every connector shares (*the marker lives where the tracker
keeps it verbatim*): comments are written with ``format=markdown``, which Azure DevOps stores as written, and
start with the marker as an HTML comment (``<!-- okr-sync:checkin:OBJ1-KR2:2026-W48 -->``, invisible when
rendered). Only comments *created by okr-sync's own identity* (``_apis/connectionData``) count as its own:
a person quoting a marker writes a person's comment, which is never edited and never taken for the check-in.
"Unchanged" compares the stored text (line endings and surrounding blanks aside).

Also read here: the manual value (the latest ``okr-value: <number>`` line in a comment by the KR's owner)
and acknowledgement signs (tags ``<ack_tag_prefix><rule>`` and ``okr-ack: <rule>`` lines in people's comments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from okr_sync.connectors.azure_devops.items import as_dict, identity_of, parse_time
from okr_sync.connectors.azure_devops.settings import AzureDevOpsTracker
from okr_sync.connectors.base import AckSign, DesiredHome, HomeState, Write
from okr_sync.mapping import (
    KrStatus,
    ManualValue,
    checkin_marker,
    escape,
    parse_marker,
    render_checkin,
    render_status_block,
    rule_from_label,
    rules_in_comment,
    status_marker,
)
from okr_sync.mapping.numbers import NumberFormat
from okr_sync.mapping.typed import IgnoredValue, TypedValue, choose_manual

STATUS_TAG = "okr-status:"
_MARKER_FIRST = re.compile(r"^\s*<!-- okr-sync:(?:status|checkin):")
FIELD_WRITES = "status tag", "field"


def status_word(status: Any) -> str:
    """``on-track`` for a KR or objective status."""
    return str(status.status.value).replace("_", "-")


def same_text(a: str | None, b: str | None) -> bool:
    """Equal up to line endings and surrounding whitespace."""
    def norm(text: str | None) -> str:
        return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
    return a is not None and b is not None and norm(a) == norm(b)


def status_body(desired: DesiredHome) -> str:
    """The status comment: the rendered status, its marker first."""
    return render_status_block(desired.status, "markdown").rstrip() + "\n"


def checkin_body(desired: DesiredHome) -> str:
    """The check-in comment: the rendered 3P check-in (its marker first), then the owner's name."""
    assert desired.checkin is not None
    body = render_checkin(desired.checkin, "markdown")
    if desired.owner_mention:
        body += f"\nOwner: {escape(desired.owner_mention, 'markdown')}\n"
    return body


def own_comments(comments: Iterable[Mapping[str, Any]], me: str) -> dict[str, dict[str, Any]]:
    """Marker text → ``{"id", "text"}`` of okr-sync's own marked comments (created by ``me``), first one wins."""
    found: dict[str, dict[str, Any]] = {}
    for comment in comments:
        text = str(comment.get("text") or "")
        author = as_dict(comment.get("createdBy"))
        if comment.get("isDeleted") or not me or str(author.get("id")) != me or not _MARKER_FIRST.match(text):
            continue
        marker = parse_marker(text)
        if marker is None:
            continue
        key = checkin_marker(marker.subject_id, marker.week) if marker.kind == "checkin" and marker.week \
            else status_marker(marker.subject_id)
        found.setdefault(key, {"id": comment.get("id"), "text": text})
    return found


def manual_value(comments: Iterable[Mapping[str, Any]], prefix: str, owner: str | None,
                 fmt: NumberFormat) -> tuple[ManualValue | None, tuple[IgnoredValue, ...]]:
    """The latest ``<prefix> <number>`` line by the KR's owner, and newer ones that do not count."""
    pattern = re.compile(r"^\s*" + re.escape(prefix.strip()) + r"\s*(\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)
    typed = []
    for comment in comments:
        author = as_dict(comment.get("createdBy"))
        matches = pattern.findall(_plain(str(comment.get("text") or "")))
        at = parse_time(comment.get("modifiedDate") or comment.get("createdDate"))
        if comment.get("isDeleted") or not matches or at is None:
            continue
        who = "\x1f".join(str(author.get(k) or "") for k in ("uniqueName", "id", "descriptor"))
        typed.append(TypedValue(matches[-1], who, identity_of(author) or "unknown", at))
    return choose_manual(typed, owners=[owner] if owner else [], fmt=fmt, is_owner=_typed_by)


def _typed_by(value: TypedValue, owner: str) -> bool:
    """Whether the comment's author is ``owner`` (e-mail / unique name, id or descriptor)."""
    return owner.strip().casefold() in {part.casefold() for part in value.author.split("\x1f") if part}


def _plain(text: str) -> str:
    """HTML comments (what the web editor saves) reduced to lines of text."""
    return re.sub(r"<(?:br\s*/?|/p|/div)>", "\n", text).replace("&nbsp;", " ") if "<" in text else text


def ack_signs(fields: Mapping[str, Any], tags: list[str], comments: Iterable[Mapping[str, Any]],
              prefix: str) -> tuple[AckSign, ...]:
    """Acknowledgement signs on a home item, oldest first: tags (dated by the item's creation, author unknown —
    the work item JSON does not say who added a tag) and ``okr-ack:`` lines in comments without a marker."""
    signs: list[AckSign] = []
    created = parse_time(fields.get("System.CreatedDate"))
    if created is not None:
        rules = dict.fromkeys(rule for tag in tags if (rule := rule_from_label(tag, prefix)))
        signs += [AckSign(rule=rule, by="unknown", at=created, source="label") for rule in rules if rule]
    for comment in comments:
        text, at = str(comment.get("text") or ""), parse_time(comment.get("createdDate"))
        if comment.get("isDeleted") or at is None or parse_marker(text) is not None:
            continue
        by = identity_of(comment.get("createdBy")) or "unknown"
        signs += [AckSign(rule=rule, by=by, at=at, source=f"comment:{comment.get('id')}")
                  for rule in rules_in_comment(_plain(text))]
    return tuple(sorted(signs, key=lambda sign: (sign.at, sign.source, sign.rule)))


def wanted_fields(desired: DesiredHome, settings: AzureDevOpsTracker) -> dict[str, Any]:
    """Custom field reference → the value okr-sync writes there."""
    found: dict[str, Any] = {}
    if settings.write.status_field:
        found[settings.write.status_field] = status_word(desired.status)
    if settings.write.progress_field and isinstance(desired.status, KrStatus):
        found[settings.write.progress_field] = round(desired.status.progress * 100, 1)
    return found


def retagged(tags: list[str], want: str | None) -> list[str]:
    """``tags`` with every status tag replaced by ``want`` (people's tags kept, in order)."""
    kept = [tag for tag in tags if not tag.casefold().startswith(STATUS_TAG)]
    return [*kept, want] if want else kept


def plan_home(desired: DesiredHome, state: HomeState, settings: AzureDevOpsTracker) -> list[Write]:
    """The writes that make one existing home item show ``desired`` (none when it already does)."""
    writes: list[Write] = []
    values = state.values
    rev = values.get("rev")
    if settings.write.status_tag:
        want = STATUS_TAG + status_word(desired.status)
        present = [tag for tag in values.get("tags", []) if tag.casefold().startswith(STATUS_TAG)]
        if present != [want]:
            writes.append(Write(desired.home, "status tag", ", ".join(present) or None, want,
                                {"tag": want, "tags": list(values.get("tags", [])), "rev": rev}))
    current = values.get("fields", {})
    for name, value in wanted_fields(desired, settings).items():
        if current.get(name) != value:
            old = current.get(name)
            writes.append(Write(desired.home, f"field {name}", None if old is None else str(old), str(value),
                                {"field": name, "value": value, "rev": rev}))
    comments = values.get("comments", {})
    targets = []
    if settings.write.status_comment:
        targets.append(("status comment", status_marker(desired.subject_id), status_body(desired)))
    if desired.checkin is not None and settings.write.checkin_comment:
        targets.append((f"check-in {desired.checkin.week}", checkin_marker(desired.checkin.kr_id, desired.checkin.week),
                        checkin_body(desired)))
    for target, marker, body in targets:
        existing = comments.get(marker)
        if existing is None or not same_text(existing["text"], body):
            writes.append(Write(desired.home, target, existing["text"] if existing else None, body,
                                {"marker": marker, "body": body, "comment_id": existing["id"] if existing else None}))
    return writes
