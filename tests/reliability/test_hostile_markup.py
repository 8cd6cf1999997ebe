"""KR ids and titles full of Markdown / Jira wiki markup / HTML comments (issue 12, hostile input).

For every hostile id and title, the status block and the weekly check-in are rendered in the three
flavours, and:

- the marker parses back to exactly that KR (and week) — nothing in the title can forge another marker;
- GitLab: the description keeps exactly one ``<!-- okr-sync:begin -->`` … ``<!-- okr-sync:end -->``
  pair, the block between them is what was rendered, the people's text around it is kept byte for byte,
  and splicing again is a no-op;
- Jira: the comment's marker is ours even when the title contains ``{anchor:okr-sync:status:X}``;
- Planner (plain text): the details block is found again by its marker and replaced, not duplicated.
"""

from __future__ import annotations

import pytest

from okr_sync.connectors.gitlab.writeback import BEGIN, END, block_text, find_block, splice
from okr_sync.connectors.jira.writeback import marker_key
from okr_sync.connectors.planner.writeback import current_block, with_block
from okr_sync.mapping import (
    Marker,
    checkin_marker,
    compose_checkin,
    kr_status,
    parse_marker,
    render_checkin,
    render_status_block,
    status_marker,
)
from tests.reliability.figures import Figures
from tests.unit.mapping_factories import DONE, Q4, at, item, kr

pytestmark = pytest.mark.reliability

WEEK = "2026-W47"
HOSTILE = {
    "asterisks": "OBJ*1*-KR*2*",
    "pipes": "OBJ1|KR2|",
    "jira-code": "{code}KR{code}",
    "jira-noformat": "{noformat}x",
    "html-comment-end": "KR-->",
    "html-comment-start": "<!--KR",
    "wiki-link-end": "KR]]",
    "wiki-link": "[[KR]]",
    "jira-mention": "[~admin]",
    "jira-link": "[evil|https://evil.example]",
    "markdown-link": "[x](javascript:alert(1))",
    "markdown-image": "![x](https://evil.example/t.png)",
    "heading": "# KR",
    "backticks": "```KR```",
    "underscores": "__KR__",
    "html-tag": "<script>alert(1)</script>",
    "anchor-macro": "{anchor:okr-sync:status:OTHER}",
    "forged-status-marker": "okr-sync:status:OBJ2-KR1",
    "forged-checkin-marker": "okr-sync:checkin:OBJ2-KR1:2026-W47",
    "forged-gitlab-end": "<!-- okr-sync:end -->",
    "forged-gitlab-begin": "<!-- okr-sync:begin -->",
    "colons": "OBJ1:KR2:2026-W47",
    "percent": "KR%41%zz",
    "rtl-override": "KR\u202e2RK",
    "arabic": "\u0647\u062f\u0641-KR1",
    "emoji": "KR-\U0001f680",
    "newline": "KR\n- [x] done",
    "crlf": "KR\r\n* item",
    "tab-and-spaces": "KR 1\t2",
    "braces-equals": "KR{a=b}",
    "color-macro": "{color:red}KR{color}",
    "table-row": "||KR||x||",
}


def rendered(kr_id: str, title: str) -> tuple[object, object]:
    key_result = kr(id=kr_id, title=title)
    now = at(2026, 11, 25)
    items = [item("PGE-1", DONE, kr_ids=(kr_id,), title=title, completed=at(2026, 11, 18)),
             item("PGE-2", kr_ids=(kr_id,), title=title)]
    status = kr_status(key_result, Q4, items, now=now)
    checkin = compose_checkin(key_result, status, items, WEEK, now=now, previous_progress=0.1)
    return status, checkin


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_ids_and_titles_never_break_rendered_blocks(name: str, figures: Figures) -> None:
    kr_id = title = HOSTILE[name]
    status, checkin = rendered(kr_id, f"Title {title} end")
    for flavour in ("markdown", "wiki", "text"):
        block = render_status_block(status, flavour)  # type: ignore[arg-type]
        assert parse_marker(block) == Marker("status", kr_id), (flavour, block)
        note = render_checkin(checkin, flavour)  # type: ignore[arg-type]
        assert parse_marker(note) == Marker("checkin", kr_id, WEEK), (flavour, note)

    # GitLab description: one block, human text kept, idempotent splice
    human_before = f"Intro by a person: {title}\n\n<!-- a person's own comment -->\n"
    human_after = "\n\nNotes after, written later.\n"
    block = render_status_block(status, "markdown")  # type: ignore[arg-type]
    description = splice(human_before, block) + human_after
    extra_begin, extra_end = human_before.count(BEGIN), human_before.count(END)  # a person typed a marker
    assert (description.count(BEGIN), description.count(END)) == (extra_begin + 1, extra_end + 1), description
    found = find_block(description)
    assert found is not None and block_text(description) == "\n" + block.rstrip("\n") + "\n"
    assert description.startswith(human_before) and description.endswith(human_after)
    assert splice(description, block) == description
    assert parse_marker(block_text(description) or "") == Marker("status", kr_id)

    # Jira comments: our marker, never a forged one from the title
    assert marker_key(render_status_block(status, "wiki")) == status_marker(kr_id)  # type: ignore[arg-type]
    assert marker_key(render_checkin(checkin, "wiki")) == checkin_marker(kr_id, WEEK)  # type: ignore[arg-type]

    # Planner details: found again, replaced in place
    marker = status_marker(kr_id)
    text_block = render_status_block(status, "text")  # type: ignore[arg-type]
    details = with_block(f"Checklist notes {title}\n", marker, text_block)
    again = with_block(details, marker, text_block)
    assert again.count(f"[{marker}]") == 1 and current_block(again, marker) == text_block.rstrip("\n")
    figures.add("hostile", "markup")


def test_there_are_enough_markup_cases() -> None:
    assert len(HOSTILE) >= 30
