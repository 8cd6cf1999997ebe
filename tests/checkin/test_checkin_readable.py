"""A check-in readable in 30 seconds (issue 20, acceptance 3): every demo KR's check-in fits 15 lines at
80 columns, names each item once, and its problems are capped and ordered by severity with advice once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from okr_sync.cli.views import wrap_text
from okr_sync.mapping import (
    CheckIn,
    Finding,
    ItemRef,
    KrStatusValue,
    Severity,
    WeekExecution,
    checkin_plans,
    checkin_problems,
    render_checkin,
)
from okr_sync.mapping.checkin import MAX_PROBLEMS
from okr_sync.mapping.checkin_render import clip_title
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from tests.checkin.demo_support import DemoSync, synced_demo

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSync]:
    with synced_demo(tmp_path_factory.mktemp("readable")) as run:
        yield run


def terminal_lines(text: str, width: int = 80) -> list[str]:
    """The check-in as an 80-column terminal shows it (marker line dropped, wrapped with hanging indents)."""
    kept = "\n".join(line for line in text.splitlines() if not line.startswith("[okr-sync:"))
    return wrap_text(kept, width).splitlines()


def keys_named(checkin: CheckIn) -> list[str]:
    """Every item key the check-in names, once per mention."""
    shown, _ = checkin_problems(checkin)
    keys = [ref.key for ref in checkin.done_this_week]
    keys += [ref.key for problem in shown for ref in problem.items]
    keys += [ref.key for _, refs in checkin_plans(checkin) for ref, _ in refs]
    return keys


def test_every_demo_checkin_fits_15_lines_at_80_columns_with_each_item_once(demo: DemoSync) -> None:
    domain = demo.engine.domain
    sizes = {}
    for kr_id, kr in domain.key_results.items():
        checkin = demo.engine.checkin(kr_id, WEEK, demo.computed, AS_OF)
        text = render_checkin(checkin, "text", links=False, title=f"Weekly check-in {WEEK} — {kr_id} {kr.title}")
        lines = terminal_lines(text)
        sizes[kr_id] = len(lines)
        assert len(lines) <= 15, "\n".join(lines)
        assert all(len(line) <= 80 for line in lines), "\n".join(lines)
        keys = keys_named(checkin)
        assert len(keys) == len(set(keys)), (kr_id, keys)
        titles = [ref.title for ref in (*checkin.blocked, *checkin.overdue, *checkin.done_this_week)]
        for title in titles:  # as printed: a whole title (not the prefix of a longer one) at most once
            assert len(re.findall(re.escape(clip_title(title)) + r"(?![\w])", text)) <= 1, (kr_id, title)
    assert len(sizes) == 11  # nine KRs on Jira, GitLab and Planner, two on Azure DevOps


def test_the_markdown_checkin_posted_on_homes_is_as_short(demo: DemoSync) -> None:
    for kr_id in demo.engine.domain.key_results:
        text = render_checkin(demo.engine.checkin(kr_id, WEEK, demo.computed, AS_OF), "markdown")
        body = [line for line in text.splitlines() if line.strip() and not line.startswith("<!--")]
        assert len(body) <= 15, text


def ref(key: str, who: str | None = None) -> ItemRef:
    return ItemRef(key, f"Item {key}", who, f"https://jira.example/browse/{key}")


def finding(rule: str, severity: Severity, action: str, *facts: str) -> Finding:
    return Finding(rule, severity, "KR1", f"the {rule} reason", action, facts)


def checkin(findings: tuple[Finding, ...], **kw: object) -> CheckIn:
    fields: dict[str, object] = dict(
        kr_id="KR1", week=WEEK, progress=0.4, previous_progress=0.35, done_this_week=(), findings=findings,
        blocked=(), overdue=(), plans=(), execution=WeekExecution(WEEK, 2, 1, 0.5, 0), next_week="2026-W48",
        status=KrStatusValue.AT_RISK, expected=0.6, forecast=0.7, generated_at=datetime(2026, 11, 25, tzinfo=UTC))
    fields.update(kw)
    return CheckIn(**fields)  # type: ignore[arg-type]


def test_problems_are_capped_most_severe_first_each_item_once_and_advice_once() -> None:
    same = "Raise it in the check-in."
    found = (
        finding("stale_kr", Severity.WARNING, "Update the items."),
        finding("deliverable_kr", Severity.INFO, "Rephrase it."),
        finding("overdue_items", Severity.WARNING, same, "A", "B"),
        finding("behind_pace", Severity.CRITICAL, "Agree the work."),
        finding("blocked_items", Severity.WARNING, same, "A"),
    )
    c = checkin(found, blocked=(ref("A"),), overdue=(ref("A"), ref("B")),
                plans=(("Ana", (ref("B", "Ana"), ref("C", "Ana"))),), carried_over=(ref("D", "Bo"),))
    shown, hidden = checkin_problems(c)
    assert [p.finding.rule for p in shown] == ["behind_pace", "blocked_items", "overdue_items"]
    assert len(shown) == MAX_PROBLEMS and hidden == 2
    assert [[r.key for r in p.items] for p in shown] == [[], ["A"], ["B"]]  # A once, as blocked
    assert [p.advice for p in shown] == ["Agree the work.", same, ""]  # the same advice once
    assert checkin_plans(c) == (("Ana", ((ref("C", "Ana"), False),)), ("Bo", ((ref("D", "Bo"), True),)))
    text = render_checkin(c, "text", links=False)
    assert text.index("The behind_pace reason") < text.index("Blocked: Item A") < text.index("Past due: Item B")
    assert "Problems (2 more in the report):" in text and text.count(same) == 1
    assert "Bo: Item D (carried over)" in text and "Ana: Item C" in text and "Item B" not in text.split("Plans")[1]


def test_advice_given_earlier_in_a_digest_is_not_repeated() -> None:
    advice = "Agree the work."
    advised: set[str] = set()
    first = render_checkin(checkin((finding("behind_pace", Severity.WARNING, advice),)), "text", advised=advised)
    second = render_checkin(checkin((finding("behind_pace", Severity.WARNING, advice),), kr_id="KR2"), "text",
                            advised=advised)
    assert advice in first and advice not in second and "The behind_pace reason" in second


def test_owner_voice_and_completed_weeks_only() -> None:
    weeks = (WeekExecution("2026-W46", 3, 2, 2 / 3, 0), WeekExecution(WEEK, 2, 1, 0.5, 0))
    text = render_checkin(checkin((), confidence=7, note="waiting for the court's data", recent_weeks=weeks,
                                  running_week="2026-W48"), "text")
    assert "Owner's confidence: 7/10 — waiting for the court's data" in text
    assert "Planned vs executed: W46 2/3 done · W47 1/2 done · W48 running" in text
    assert "+5 pts since last week" in text and "At risk: 60 % expected now, forecast 70 %" in text


def test_a_long_check_in_spells_out_less_rather_than_run_over_15_lines() -> None:
    many = tuple(ref(f"K{n}") for n in range(9))
    found = (finding("blocked_items", Severity.WARNING, "Name who can unblock each item and raise it " * 2),
             finding("overdue_items", Severity.WARNING, "Finish, re-plan or cancel each overdue item " * 2),
             finding("stale_kr", Severity.WARNING, "Update the linked items or say why nothing moved " * 2),
             finding("not_started", Severity.WARNING, "Link this week's work to the KR " * 3))
    c = checkin(found, blocked=many[:4], overdue=many[4:], done_this_week=many,
                plans=tuple((f"Person {n}", many) for n in range(6)))
    text = render_checkin(c, "text", links=False)
    lines = terminal_lines(text)
    assert len(lines) <= 15, "\n".join(lines)
    assert "more in the report" in text and "and 2 more" in text  # what is left out is counted


def test_compose_checkin_marks_only_completed_weeks_and_the_running_one(demo: DemoSync) -> None:
    c = demo.engine.checkin("OBJ1-KR3", WEEK, demo.computed, AS_OF)
    assert [w.week for w in c.recent_weeks] == ["2026-W45", "2026-W46", "2026-W47"]
    assert c.running_week == "2026-W48"
    current = demo.engine.checkin("OBJ1-KR3", "2026-W48", demo.computed, AS_OF)  # the week is not over
    assert [w.week for w in current.recent_weeks] == ["2026-W46", "2026-W47"] and current.running_week == "2026-W48"
    assert date(2026, 11, 25) == AS_OF.date()
