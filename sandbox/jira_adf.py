"""Jira Cloud's comment round trip: wiki markup in through REST v2, a document (ADF) stored, wiki back out.

Jira Cloud keeps rich text only as Atlassian Document Format. A body posted through REST v2 as wiki
markup is converted to ADF (Atlassian's ``editor-wikimarkup-transformer``) and what v2 returns is that
document converted back. The trip is lossy where okr-sync used to rely on it:

- the ``{anchor:…}`` macro becomes nothing (``tokenize/anchor-macro.ts``; the transformer's test
  "should render {anchor} as empty string");
- a backslash escape is resolved into the character it protects and not restored as sent: on the way
  back only characters that would otherwise start markup get a backslash (``\\(`` comes back as ``(``,
  ``\\-`` as ``-`` unless it starts a word);
- line endings and trailing blanks are lost (paragraphs, not lines, are stored).

The subset modelled is what okr-sync and people write in tests: paragraphs, ``*``/``**`` bullets,
``*strong*``, ``[text|url]`` links, ``[~accountid:…]``/``[~name]`` mentions, ``{{monospace}}`` and
``{code}…{code}``/``{noformat}`` spans (kept as code marks), escapes and the anchor macro. Anything else
stays literal text, as the real transformer keeps unknown macros' text.
"""

from __future__ import annotations

import re
from typing import Any

_BULLET = re.compile(r"^(\*+|#+)\s+(.*)$")
_INLINE = re.compile(
    r"\\(?P<esc>.)"
    r"|\{anchor(?::[^}]*)?\}"
    r"|\[~(?:accountid:)?(?P<mention>[^\]|]+)\]"
    r"|\[(?P<ltext>[^\]|]*)\|(?P<lurl>[^\]]+)\]"
    r"|\{\{(?P<mono>.+?)\}\}"
    r"|\{(?P<macro>code|noformat)(?::[^}]*)?\}(?P<code>.*?)\{(?P=macro)\}"
    r"|(?<![\w*])\*(?P<strong>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
)
_NEEDS_ESCAPE = re.compile(r"([\\\[\]{}|])|(?:(?<=^)|(?<=\s))([*_\-+^~?#])(?=\S)")


def wiki_to_adf(text: str) -> dict[str, Any]:
    """A wiki-markup body as the document Jira Cloud stores (see the module docstring for what is lost)."""
    blocks: list[dict[str, Any]] = []
    items: list[tuple[int, list[dict[str, Any]]]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        bullet = _BULLET.match(line)
        if bullet is not None and bullet.group(1)[0] == "*":
            items.append((len(bullet.group(1)), _inline(bullet.group(2))))
            continue
        if items:
            blocks.append(_bullet_list(items))
            items = []
        content = _inline(line)
        if content:
            blocks.append({"type": "paragraph", "content": content})
    if items:
        blocks.append(_bullet_list(items))
    return {"type": "doc", "version": 1, "content": blocks}


def adf_to_wiki(doc: dict[str, Any]) -> str:
    """The document as REST v2 shows it: wiki markup, escapes normalised, no anchors."""
    lines: list[str] = []
    for block in doc.get("content") or []:
        _block_lines(block, 0, lines)
    return "\n".join(lines)


def _bullet_list(items: list[tuple[int, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Bullet lines (depth, inline content) as nested ``bulletList`` nodes."""
    root: dict[str, Any] = {"type": "bulletList", "content": []}
    stack = [(1, root)]
    for depth, content in items:
        while depth > stack[-1][0] and stack[-1][1]["content"]:
            last_item = stack[-1][1]["content"][-1]
            nested = {"type": "bulletList", "content": []}
            last_item["content"].append(nested)
            stack.append((stack[-1][0] + 1, nested))
        while depth < stack[-1][0] and len(stack) > 1:
            stack.pop()
        stack[-1][1]["content"].append({"type": "listItem",
                                        "content": [{"type": "paragraph", "content": content}]})
    return root


def _inline(line: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    buffer: list[str] = []
    position = 0

    def flush(marks: list[dict[str, Any]] | None = None) -> None:
        text = "".join(buffer)
        buffer.clear()
        if text:
            node: dict[str, Any] = {"type": "text", "text": text}
            if marks:
                node["marks"] = marks
            nodes.append(node)

    for match in _INLINE.finditer(line):
        buffer.append(line[position:match.start()])
        position = match.end()
        if match.group("esc") is not None:
            buffer.append(match.group("esc"))
        elif match.group("mention") is not None:
            flush()
            ref = match.group("mention")
            nodes.append({"type": "mention", "attrs": {"id": ref, "text": f"@{ref}"}})
        elif match.group("lurl") is not None:
            flush()
            label = _unescape(match.group("ltext")) or match.group("lurl")
            nodes.append({"type": "text", "text": label,
                          "marks": [{"type": "link", "attrs": {"href": match.group("lurl")}}]})
        elif match.group("mono") is not None or match.group("macro") is not None:
            flush()
            code = match.group("mono") if match.group("mono") is not None else match.group("code")
            if code:
                nodes.append({"type": "text", "text": code, "marks": [{"type": "code"}]})
        elif match.group("strong") is not None:
            flush()
            buffer.append(_unescape(match.group("strong")))
            flush([{"type": "strong"}])
        # the anchor macro: nothing at all
    buffer.append(line[position:])
    text = "".join(buffer).rstrip()
    buffer.clear()
    if text:
        buffer.append(text)
    flush()
    return nodes


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _block_lines(block: dict[str, Any], depth: int, lines: list[str]) -> None:
    kind = block.get("type")
    if kind == "paragraph":
        lines.append(_inline_wiki(block.get("content") or []))
    elif kind == "bulletList":
        for item in block.get("content") or []:
            for index, part in enumerate(item.get("content") or []):
                if part.get("type") == "paragraph" and index == 0:
                    lines.append("*" * (depth + 1) + " " + _inline_wiki(part.get("content") or []))
                else:
                    _block_lines(part, depth + 1, lines)


def _inline_wiki(nodes: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for node in nodes:
        if node.get("type") == "mention":
            ref = str((node.get("attrs") or {}).get("id") or "")
            out.append(f"[~accountid:{ref}]")
            continue
        if node.get("type") == "hardBreak":
            out.append("\\\\")
            continue
        text = str(node.get("text") or "")
        marks = {m.get("type"): m for m in node.get("marks") or []}
        if "code" in marks:
            out.append("{{" + text + "}}")
            continue
        rendered = _escape(text)
        if "strong" in marks:
            rendered = f"*{rendered}*"
        if "link" in marks:
            rendered = f"[{rendered}|{(marks['link'].get('attrs') or {}).get('href', '')}]"
        out.append(rendered)
    return "".join(out)


def _escape(text: str) -> str:
    """Backslashes only where a character would otherwise start markup (not where the writer put them)."""
    return _NEEDS_ESCAPE.sub(lambda m: "\\" + (m.group(1) or m.group(2)), text)
