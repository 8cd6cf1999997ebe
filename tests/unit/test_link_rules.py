"""``mapping.links``: the one implementation of link rules (the cross-tracker parity test is in
tests/connectors/test_link_parity.py)."""

from __future__ import annotations

import pytest

from okr_sync.mapping.links import LinkFacts, LinkRules

HOMES = {"OKR-1": ["OBJ1-KR1"], "OKR-2": ["OBJ1-KR2", "OBJ1"]}


def test_fields_parent_and_issue_links_reach_krs_in_rule_order() -> None:
    rules = LinkRules.compile([("field", "customfield_1"), ("children_of_home", True), ("issue_link", "Contributes")])
    facts = LinkFacts(fields={"customfield_1": ["OBJ3-KR1; OBJ3-KR2", " "]}, parent="OKR-1",
                      links=[("contributes", "OKR-2"), ("blocks", "OKR-1")])
    assert rules.kr_ids(facts, homes=HOMES) == ("OBJ3-KR1", "OBJ3-KR2", "OBJ1-KR1", "OBJ1-KR2", "OBJ1")
    assert rules.fields() == ("customfield_1",) and rules.link_types() == ("contributes",)


def test_any_link_type_follows_every_link_and_no_rule_no_links() -> None:
    facts = LinkFacts(links=[("blocks", "OKR-1")], parent="OKR-2")
    assert LinkRules.compile([("issue_link", "any")]).kr_ids(facts, homes=HOMES) == ("OBJ1-KR1",)
    assert LinkRules.compile([("children_of_home", False)]).kr_ids(facts, homes=HOMES) == ()


def test_configured_spelling_and_bare_patterns() -> None:
    rules = LinkRules.compile([("bucket", "{kr}"), ("label", "kr:{kr}")])
    facts = LinkFacts(bucket="Backlog", labels=["KR:obj1-kr2", "kr:NEW-1"])
    assert rules.kr_ids(facts, known={"OBJ1-KR2"}) == ("OBJ1-KR2", "NEW-1")
    assert rules.kr_ids(facts) == ("Backlog", "obj1-kr2", "NEW-1"), "no KR list given: every name counts"


def test_a_bare_title_prefix_stops_at_the_first_word_that_is_no_kr() -> None:
    rules = LinkRules.compile([("title_prefix", "{kr}")])
    assert rules.kr_ids(LinkFacts(title="OBJ1-KR1 OBJ1-KR2 Fix"), known={"OBJ1-KR1", "OBJ1-KR2"}) == \
        ("OBJ1-KR1", "OBJ1-KR2")
    assert rules.kr_ids(LinkFacts(title="Fix OBJ1-KR1"), known={"OBJ1-KR1"}) == ()


@pytest.mark.parametrize(("pattern", "title", "expected"), [
    ("{kr}:", "OBJ1-KR2: publish", ("OBJ1-KR2",)),
    ("KR {kr}", "  kr OBJ1.KR2, then more", ("OBJ1.KR2",)),
    ("[{kr}]", "[OBJ1-KR2][OBJ1/KR3]title", ("OBJ1-KR2", "OBJ1/KR3")),
    ("[{kr}]", "[-KR2] x", ()),
    ("[{kr}]", "[KR2-] x", ()),
    ("[{kr}]", "[] x", ()),
])
def test_title_prefixes(pattern: str, title: str, expected: tuple[str, ...]) -> None:
    assert LinkRules.compile([("title_prefix", pattern)]).kr_ids(LinkFacts(title=title)) == expected


@pytest.mark.parametrize(("rule", "message"), [
    (("label", "kr:"), r"link rule 0 \(label\): link pattern 'kr:' must contain \{kr\} exactly once"),
    (("title_prefix", "{kr}{kr}"), "exactly once"),
    (("component", "x"), "'component' is not a link rule this tracker supports; use one of bucket, category"),
])
def test_bad_rules_say_how_to_fix_them(rule: tuple[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LinkRules.compile([rule])


def test_a_kind_the_tracker_does_not_declare_is_refused() -> None:
    with pytest.raises(ValueError, match="'label' is not a link rule this tracker supports; use one of bucket, "
                                         "category, title_prefix"):
        LinkRules.compile([("label", "kr:{kr}")], supported={"bucket", "category", "title_prefix"})
