"""Issue JSON → work item, for the fields the sandbox cannot vary (time estimates) and pattern edge cases."""

from __future__ import annotations

from typing import Any

import pytest

from okr_sync.connectors.gitlab.items import IssueTranslator, issue_key, split_key
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.mapping.links import compile_pattern, title_ids

BASE: dict[str, Any] = {"kind": "gitlab", "url": "https://gitlab.example.gov", "auth": {"token": "t0k3n-unused"},
                        "scope": {"groups": ["okr"]}}
ISSUE: dict[str, Any] = {
    "iid": 12, "title": "OBJ1-KR2: publish", "state": "opened", "labels": ["Week::2026-w05"], "weight": None,
    "time_stats": {"time_estimate": 5400, "total_time_spent": 1800}, "milestone": {"title": "2026-W07"},
    "web_url": "https://gitlab.example.gov/transparency/portal/-/issues/12", "updated_at": "2026-11-24T10:15:30.123Z",
}


def _translator(**overrides: Any) -> IssueTranslator:
    return IssueTranslator("gl", GitLabTracker.model_validate({**BASE, **overrides}))


def test_time_estimate_as_points_and_key_from_web_url() -> None:
    item = _translator(points="time_estimate", link=[{"title_prefix": "{kr}:"}]).work_item(
        ISSUE, number_fields={"time_estimate", "time_spent", "weight"})
    assert (item.key, item.tracker, item.kr_ids) == ("transparency/portal#12", "gl", ("OBJ1-KR2",))
    assert (item.points, item.estimate) == (1.5, 1.5)
    assert item.numbers == {"time_estimate": 1.5, "time_spent": 0.5}, "no weight on the issue: not reported"
    assert item.planned_week == "2026-W05", "week label matched case-insensitively, normalised"


def test_milestone_titled_as_a_week_plans_the_item() -> None:
    item = _translator(points="weight").work_item({**ISSUE, "labels": []})
    assert (item.planned_week, item.points, item.estimate) == ("2026-W07", None, 1.5)


@pytest.mark.parametrize(
    ("pattern", "label", "text", "expected"),
    [("kr::{kr}", True, "kr::OBJ1-KR2", "OBJ1-KR2"), ("kr::{kr}", True, "kr::", None),
     ("kr:{kr}", True, "kr::OBJ1-KR2", None), ("KR-{kr}", True, "kr-7", "7"),
     ("[{kr}]", False, "  [A.B-1] x", "A.B-1"), ("[{kr}]", False, "x [A] y", None)],
    ids=["scoped", "empty-id", "single-colon-vs-scoped", "case", "title", "title-not-prefix"],
)
def test_link_patterns(pattern: str, label: bool, text: str, expected: str | None) -> None:
    regex = compile_pattern(pattern)
    if label:
        match = regex.fullmatch(text)
        assert (match.group("kr") if match else None) == expected
    else:
        assert title_ids(regex, text) == ([expected] if expected else [])


def test_keys_and_their_errors() -> None:
    assert issue_key({"iid": 3, "references": {"full": "a/b/c#3"}}) == "a/b/c#3"
    assert split_key("a/b/c#3") == ("a/b/c", 3)
    with pytest.raises(ValueError, match="<project path>#<iid>"):
        split_key("PGE-2")
    with pytest.raises(ValueError, match="must contain \\{kr\\} exactly once"):
        compile_pattern("kr::")
