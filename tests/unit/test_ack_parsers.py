"""The acknowledgement parsers in ``mapping.markers`` (pure): labels ``okr-ack:<rule>`` and comment lines
``okr-ack: <rule>``; ``okr_sync.engine.acks`` re-exports the same functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import okr_sync.engine.acks
from okr_sync.mapping import ACK_LABEL_PREFIX, RULES, checkin_marker, rule_from_label, rules_in_comment, wrap_marker


def test_sync_acks_re_exports_the_mapping_parsers() -> None:
    assert okr_sync.engine.acks.rule_from_label is rule_from_label
    assert okr_sync.engine.acks.rules_in_comment is rules_in_comment
    assert okr_sync.engine.acks.LABEL_PREFIX == ACK_LABEL_PREFIX == "okr-ack:"


@pytest.mark.parametrize(("label", "prefix", "rule"), [
    ("okr-ack:overdue_items", ACK_LABEL_PREFIX, "overdue_items"),
    ("OKR-ACK:Overdue-Items", ACK_LABEL_PREFIX, "overdue_items"),
    ("okr-ack: stale_kr ", ACK_LABEL_PREFIX, "stale_kr"),
    ("okr-ack:", ACK_LABEL_PREFIX, None),
    ("okr-status::at-risk", ACK_LABEL_PREFIX, None),
    ("kr:okr-ack:stale_kr", ACK_LABEL_PREFIX, None),
    ("ack::stale-kr", "ack::", "stale_kr"),
    ("okr-ack:stale_kr", "ack::", None),
    ("anything", "", None),
], ids=["plain", "case-and-dash", "spaces", "empty-rule", "other-label", "prefix-not-first", "custom-prefix",
        "default-under-custom", "empty-prefix"])
def test_rule_from_label(label: str, prefix: str, rule: str | None) -> None:
    assert rule_from_label(label, prefix) == rule


@pytest.mark.parametrize(("text", "rules"), [
    ("okr-ack: overdue_items", ("overdue_items",)),
    ("We know.\r\n  OKR-ACK : Blocked-Items, stale_kr behind_pace  \r\nThanks", ("blocked_items", "stale_kr",
                                                                             "behind_pace")),
    ("okr-ack: stale_kr\nokr-ack: stale_kr, overdue_items", ("stale_kr", "overdue_items")),
    ("see the okr-ack: page", ()),
    ("okr-ack: it's fine!", ()),
    ("okr-ack:", ()),
    ("no acknowledgement here", ()),
], ids=["one", "several-mixed", "repeats", "mid-line", "prose", "empty", "none"])
def test_rules_in_comment(text: str, rules: tuple[str, ...]) -> None:
    assert rules_in_comment(text) == rules


@given(st.lists(st.sampled_from(sorted(RULES)), min_size=1, max_size=4), st.sampled_from(["\n", "\r\n"]),
       st.text(alphabet="abc .,!", max_size=30))
def test_every_companion_rule_round_trips_through_a_comment_line(rules: list[str], newline: str,
                                                                prose: str) -> None:
    text = f"{prose}{newline}okr-ack: {', '.join(r.replace('_', '-') for r in rules)}{newline}{prose}"
    assert rules_in_comment(text) == tuple(dict.fromkeys(rules))


def test_a_marker_line_is_not_a_sign_but_the_hint_inside_it_would_be() -> None:
    """Why connectors drop marked (okr-sync's own) comments before parsing: the parser alone cannot tell."""
    body = wrap_marker(checkin_marker("OBJ1-KR1", "2026-W48"), "wiki") + "\nokr-ack: overdue_items\n"
    assert rules_in_comment(body) == ("overdue_items",)
