"""Check-ins on the demo data (issue 10, acceptance 1 and 4).

Expectations are hand-checked against the story (``sandbox/fixtures/demo_story.py``, today = Wednesday
2026-11-25 of W48): e.g. OBJ1-KR3's item "Settlement simulator: step 11" is planned for W47 and done on
2026-11-18 (W47); its step 12 is planned for W48 and in progress, so it is next week's plan of W47.
W53 (2026-12-28 … 2027-01-03) exists because 2026 has 53 ISO weeks; the story plans nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okr_sync.engine.checkin import checkin_json, composed, digests, render_digests, select_krs
from okr_sync.mapping import checkin_marker
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from tests.checkin.demo_support import DemoSync, checkin_counts, synced_demo

KR_HOME_TRACKER = {"OBJ1-KR1": "jira", "OBJ1-KR3": "gitlab", "OBJ2-KR2": "planner"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSync]:
    with synced_demo(tmp_path_factory.mktemp("checkin"), checkin_week="2026-W47") as run:
        yield run


def checkin_of(demo: DemoSync, kr_id: str, week: str) -> dict[str, Any]:
    return checkin_json(demo.engine.domain, demo.engine.checkin(kr_id, week, demo.computed, AS_OF))


def titles(refs: list[dict[str, Any]]) -> list[str]:
    return [ref["title"] for ref in refs]


def test_obj1_kr3_week_47_by_hand(demo: DemoSync) -> None:
    c = checkin_of(demo, "OBJ1-KR3", "2026-W47")
    assert titles(c["done_this_week"]) == ["Settlement simulator: step 11"]
    assert c["plans"]["week"] == "2026-W48"
    assert {k: titles(v) for k, v in c["plans"]["by_assignee"].items()} == {
        "Rui Alves": ["[OBJ1-KR3] Settlement simulator: step 12"]}
    assert c["planned_vs_executed"] == {"week": "2026-W47", "planned": 1, "executed": 1, "rate": 1.0,
                                        "unplanned": 0}
    assert [f["rule"] for f in c["problems"]["findings"]] == ["deliverable_kr"]
    assert (c["problems"]["blocked"], c["problems"]["overdue"]) == ([], [])
    # completion by points over the story's items, as test_engine_e2e computes it
    assert c["progress"] == pytest.approx(0.6825, abs=1e-4)
    assert c["previous_progress"] is None  # the store's history starts with this sync


def test_obj1_kr1_week_47_by_hand(demo: DemoSync) -> None:
    c = checkin_of(demo, "OBJ1-KR1", "2026-W47")
    # offer 11 was planned for W46 but finished on 2026-11-18 (W47): done this week, unplanned
    assert titles(c["done_this_week"]) == ["Draft settlement offer 11", "Draft settlement offer 13"]
    assert c["planned_vs_executed"] == {"week": "2026-W47", "planned": 1, "executed": 1, "rate": 1.0,
                                        "unplanned": 1}
    plans = {k: titles(v) for k, v in c["plans"]["by_assignee"].items()}
    assert plans == {"João Lima": ["Register settlement payment batch 14"],
                     "Tiago Nunes": ["Contact large debtors, list 15"]}
    assert titles(c["problems"]["overdue"]) == ["Register settlement payment batch 1",
                                                "Register settlement payment batch 3"]
    assert [f["rule"] for f in c["problems"]["findings"]] == ["overdue_items"]
    assert c["status"] == "on_track"


def test_obj2_kr2_week_47_by_hand(demo: DemoSync) -> None:
    c = checkin_of(demo, "OBJ2-KR2", "2026-W47")
    assert titles(c["done_this_week"]) == ["Clear missing-document requests, batch 11"]
    # district 10 (W47) is still in progress: 1 of 2 planned items executed
    assert c["planned_vs_executed"] == {"week": "2026-W47", "planned": 2, "executed": 1, "rate": 0.5,
                                        "unplanned": 0}
    assert [t for refs in c["plans"]["by_assignee"].values() for t in titles(refs)] == [
        "Inspection visits, district 12"]  # batch 13 (W48) is already done: not a plan any more
    assert sorted(titles(c["problems"]["overdue"])) == ["Inspection visits, district 10",
                                                        "[OBJ2-KR2] Clear missing-document requests, batch 5"]
    assert sorted(f["rule"] for f in c["problems"]["findings"]) == ["blocked_items", "overdue_items"]


@pytest.mark.parametrize("kr_id", sorted(KR_HOME_TRACKER))
def test_week_53_is_empty_and_looks_at_2027_w01(demo: DemoSync, kr_id: str) -> None:
    c = checkin_of(demo, kr_id, "2026-W53")
    assert c["done_this_week"] == []
    assert c["plans"] == {"week": "2027-W01", "by_assignee": {}}
    assert c["planned_vs_executed"] == {"week": "2026-W53", "planned": 0, "executed": 0, "rate": None,
                                        "unplanned": 0}
    # a week ago (Monday of W53) the recorded progress was today's: the only point, recorded at AS_OF
    assert c["previous_progress"] == c["progress"]


def test_owner_digest_groups_an_owners_krs_and_prints_without_markers(demo: DemoSync) -> None:
    domain = demo.engine.domain
    chosen = select_krs(domain, owner="rui.alves")
    assert chosen == ["OBJ1-KR3"]
    everyone = digests(domain, composed(demo.engine, list(domain.key_results), "2026-W47", demo.computed, AS_OF))
    assert [d.owner for d in everyone][:3] == ["joao.lima", "ana.costa", "rui.alves"]
    assert sum(len(d.checkins) for d in everyone) == len(domain.key_results)
    text = render_digests(domain, digests(domain, composed(demo.engine, chosen, "2026-W47", demo.computed,
                                                           AS_OF)), "text")
    assert text.startswith("rui.alves — 2026-W47 (1 KR)\n")
    assert "Weekly check-in 2026-W47 — OBJ1-KR3 Publish the debt-settlement portal" in text
    assert "- Done this week: Settlement simulator: step 11" in text
    assert "Rui Alves: [OBJ1-KR3] Settlement simulator: step 12" in text
    assert "okr-sync:" not in text
    md = render_digests(domain, digests(domain, composed(demo.engine, chosen, "2026-W47", demo.computed, AS_OF)),
                        "md")
    assert md.startswith("## rui.alves — 2026-W47") and "<!-- okr-sync:checkin:OBJ1-KR3:2026-W47 -->" in md


def test_posting_twice_leaves_one_checkin_per_week_in_each_tracker(demo: DemoSync) -> None:
    def counts(week: str) -> dict[str, dict[str, int]]:
        state = demo.control.state()
        return {kr: checkin_counts(state, checkin_marker(kr, week)) for kr in KR_HOME_TRACKER}

    def one_in_home(week: str) -> dict[str, dict[str, int]]:
        return {kr: {t: int(t == tracker) for t in ("jira", "gitlab", "planner")}
                for kr, tracker in KR_HOME_TRACKER.items()}

    assert counts("2026-W47") == one_in_home("2026-W47")  # posted by the fixture's cycle
    again = demo.engine.cycle(checkin_week="2026-W47")
    assert again.writes == 0, again.planned  # already there and unchanged: nothing rewritten
    assert counts("2026-W47") == one_in_home("2026-W47")
    for _ in range(2):
        demo.engine.cycle(checkin_week="2026-W53")
    assert counts("2026-W53") == one_in_home("2026-W53")
    state = demo.control.state()
    # Jira comments and GitLab notes keep one per week; Planner keeps its details block per task
    for kr, tracker in KR_HOME_TRACKER.items():
        if tracker != "planner":
            assert checkin_counts(state, checkin_marker(kr, "2026-W47"))[tracker] == 1, kr


def test_checkin_reads_no_tracker_without_post(demo: DemoSync, tmp_path: Path) -> None:
    from okr_sync.engine.checkin import AckAwareEngine

    demo.control.reset_requests()
    offline = AckAwareEngine(demo.settings, demo.store, {}, clock=lambda: AS_OF)
    found = composed(offline, ["OBJ1-KR3"], "2026-W47", demo.computed, AS_OF)
    assert found[0].kr_id == "OBJ1-KR3"
    assert demo.control.requests()["total"] == 0
