"""okr-sync's own Jira comments: how they are recognised, compared and sized, on Cloud and Server/DC.

Why not just the text: Jira Cloud stores comments as documents (ADF). A wiki body posted through REST
v2 is converted to ADF and converted back on read; the ``{anchor:okr-sync:…}`` marker becomes nothing
and backslash escapes come back changed. Recognising comments by their text, or deciding "unchanged"
by comparing text, would post a new status comment whenever a home is re-read.

Design (the same idea on every tracker: *the marker lives where the tracker keeps it verbatim*):

- **Every comment okr-sync writes** carries the comment entity property ``okr-sync`` =
  ``{"marker": "okr-sync:status:<id>", "sha": <hash of the body okr-sync wrote>, "v": 1}``, set in the
  same ``POST``/``PUT`` as the body (``properties`` is "optional on create and update" in the
  ``Comment`` schema; comment properties exist on Cloud and on Server/DC since 7.x), and keeps its
  anchor in the text as well.
- **Jira Cloud** (the anchor does not survive): the property is read back with
  ``POST /comment/list?expand=properties`` — one request for up to 1000 comments of all homes read
  together, and only for comments by okr-sync's own user that this process has not written or read
  itself (comment id → marker and hash are remembered in memory, so a running daemon reads none).
  "Unchanged" means: the property's hash equals the hash of the body okr-sync would write now, and
  nobody but okr-sync edited the comment since (``updateAuthor``) — never the text read back.
- **Jira Server/Data Center** keeps wiki text verbatim, so the anchor is read from the text at no extra
  cost; only an own comment whose anchor someone removed costs a property read
  (``GET /comment/{id}/properties/okr-sync``; Server has no ``/comment/list``). Without a known hash,
  "unchanged" compares the text (line endings and trailing blanks aside).
- **Author check**: only comments written by okr-sync's user count as its own; a person's comment
  quoting a marker stays a person's comment (and stays untouched).
- **Adoption**: comments of earlier versions (only the anchor; on Cloud already stripped) are
  recognised by their heading ("OKR status — <KR>", "Weekly check-in <KR> — <week>"), compared without
  markup, and edited in place — which gives them the property — instead of being duplicated.
- GitLab (Markdown source kept verbatim: an HTML comment) and Planner (plain text kept verbatim: a last
  bracketed line) keep their text markers (:mod:`okr_sync.mapping.markers`).

Size: Jira refuses text over 32,767 characters; :func:`cap_comment` shortens a check-in listing
hundreds of items and says what was cut (the report still holds everything).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROPERTY_KEY = "okr-sync"
MAX_COMMENT = 32767
"""Jira's limit on a text field, comments included."""
CAP = 32000
"""What okr-sync writes at most (leaves room for the line saying what was cut and the owner mention)."""
_ANCHOR = re.compile(r"\{anchor(?::[^}]*)?\}")
_ESCAPE = re.compile(r"\\(.)")
_MARKUP = re.compile(r"(?<![\w\\])[*_](?=\S)|(?<=\S)[*_](?![\w])")
_SPACE = re.compile(r"\s+")


def body_hash(body: str) -> str:
    """A short digest of a body okr-sync writes (line endings and trailing blanks do not count)."""
    text = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def property_of(marker: str, body: str) -> dict[str, Any]:
    """The ``okr-sync`` comment property for a body okr-sync writes."""
    return {"marker": marker, "sha": body_hash(body), "v": 1}


def read_property(comment: Mapping[str, Any]) -> tuple[str, str] | None:
    """(marker, hash) from a comment's expanded ``properties``, or None."""
    for prop in comment.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key") == PROPERTY_KEY:
            value = prop.get("value")
            if isinstance(value, dict) and isinstance(value.get("marker"), str) and isinstance(value.get("sha"), str):
                return value["marker"], value["sha"]
    return None


def canonical(text: str) -> str:
    """Text without anchors, escapes, bold/italic signs and repeated blanks: what survives any round trip."""
    plain = _ANCHOR.sub("", text)
    plain = _MARKUP.sub("", plain)
    return _SPACE.sub(" ", _ESCAPE.sub(r"\1", plain)).strip()


def heading(body: str) -> str:
    """The canonical first non-empty line of a body (a status block's or check-in's title)."""
    for line in body.replace("\r\n", "\n").split("\n"):
        if canonical(line):
            return canonical(line)
    return ""


def identity(user: Mapping[str, Any] | None) -> str:
    """A Jira user's stable identity: Cloud account id, else the Server user name or key."""
    user = user or {}
    return str(user.get("accountId") or user.get("name") or user.get("key") or "")


@dataclass(slots=True)
class Remembered:
    """What this process knows of one of its comments (learnt from its own write or a property read)."""

    marker: str
    sha: str


class CommentMemory:
    """comment id → :class:`Remembered` (or "no property"), so steady-state cycles need no property reads."""

    def __init__(self) -> None:
        self._known: dict[str, Remembered] = {}
        self._without: set[str] = set()

    def get(self, comment_id: str) -> Remembered | None:
        """What is known of a comment, or None."""
        return self._known.get(comment_id)

    def learn(self, comment_id: str, marker: str, sha: str) -> None:
        """Remember a comment okr-sync wrote (or read the property of)."""
        if comment_id:
            self._known[comment_id] = Remembered(marker, sha)
            self._without.discard(comment_id)

    def without_property(self, comment_id: str) -> None:
        """Remember that a comment by okr-sync's user carries no property (an earlier version's, or typed)."""
        self._without.add(comment_id)

    def lacks_property(self, comment_id: str) -> bool:
        """Whether the comment was read before and had no property."""
        return comment_id in self._without


def cap_comment(body: str, limit: int = CAP) -> str:
    """``body`` cut to ``limit`` characters at a line break, ending with a line saying what was cut.

    The first line (the anchor and the heading) is always kept, shortened if it alone is too long.
    Item lines (bullets) dropped are counted: "… and 212 more item(s): see the report (okr-sync report)".
    """
    if len(body) <= limit:
        return body
    room = limit - 120
    first, *rest = body.rstrip("\n").split("\n")
    kept = [first if len(first) <= room // 2 else first[:room // 2] + "…"]
    size = len(kept[0]) + 1
    for index, line in enumerate(rest):
        if size + len(line) + 1 > room:
            dropped = rest[index:]
            items = sum(1 for r in dropped if r.startswith("*"))
            other = len(dropped) - items
            what = " and ".join(part for part in (f"{items} more item(s)" if items else "",
                                                  f"{other} more line(s)" if other else "") if part)
            kept.append(f"* … and {what}: see the report (okr-sync report)")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) + "\n"
