"""Objective roll-up, the 3P check-in, markers and the three renderings."""

from __future__ import annotations

import re
from datetime import date

import pytest
from mapping_factories import DONE, Q4, TODO, day, item, kr

from okr_sync.mapping import (
    KrStatusValue,
    ManualValue,
    Marker,
    MetricMeasure,
    Objective,
    ScoreBand,
    checkin_marker,
    compose_checkin,
    kr_status,
    objective_status,
    parse_marker,
    render_checkin,
    render_status_block,
    status_marker,
)
from okr_sync.mapping.markers import decode_id, encode_id

NOW = day(46)


def objective(oid: str = "O1", **kw: object) -> Objective:
    fields: dict[str, object] = {"id": oid, "title": "Recover debt", "why": "Funds schools",
                                 "owner": "maria", "cycle": "2026-Q4"}
    fields.update(kw)
    return Objective(**fields)  # type: ignore[arg-type]


def _status(kr_id: str, progress: float):
    """A KrStatus with a given progress, from a manual metric 0 → 100."""
    key_result = kr(MetricMeasure(0, 100), id=kr_id)
    return kr_status(key_result, Q4, [], now=NOW, manual=ManualValue(progress * 100, "x", day(45)))


def test_objective_progress_is_the_weighted_mean_and_shared_krs_count_in_each():
    krs = [kr(id="KR1", weight=1.0, department="Attorney"),
           kr(id="KR2", weight=3.0, objective_ids=("O1", "O2"), department="Prosecutor"),
           kr(id="KR3", objective_ids=("O9",))]
    statuses = [_status("KR1", 0.2), _status("KR2", 0.8), _status("KR3", 0.1)]
    o1 = objective_status(objective("O1"), Q4, statuses, krs, now=NOW)
    o2 = objective_status(objective("O2", departments=("Prosecutor",)), Q4, {s.kr_id: s for s in statuses},
                          krs, now=NOW)
    assert o1.progress == pytest.approx((0.2 + 3 * 0.8) / 4)  # 0.65
    assert (o1.status, o1.band, o1.kr_ids) == (KrStatusValue.ON_TRACK, ScoreBand.YELLOW, ("KR1", "KR2"))
    assert o1.departments == ("Attorney", "Prosecutor")
    assert o1.cross_sector is True
    assert o2.progress == pytest.approx(0.8)
    assert (o2.departments, o2.cross_sector) == (("Prosecutor",), False)


def test_objective_behind_pace_and_done():
    krs = [kr(id="KR1"), kr(id="KR2")]
    behind = objective_status(objective(), Q4, [_status("KR1", 0.1), _status("KR2", 0.2)], krs, now=NOW)
    assert behind.status is KrStatusValue.OFF_TRACK  # 0.15 vs 0.5
    assert [f.rule for f in behind.findings] == ["behind_pace"]
    done = objective_status(objective(), Q4, [_status("KR1", 1.0), _status("KR2", 1.2)], krs, now=NOW)
    assert (done.status, done.progress) == (KrStatusValue.DONE, 1.0)  # no stretch: each KR caps at 1


def test_objective_without_krs_or_with_zero_weights():
    empty = objective_status(objective(), Q4, [], [], now=NOW)
    assert (empty.progress, empty.status, empty.kr_ids) == (0.0, KrStatusValue.NOT_STARTED, ())
    krs = [kr(id="KR1", weight=0.0), kr(id="KR2", weight=0.0)]
    flat = objective_status(objective(), Q4, [_status("KR1", 0.4), _status("KR2", 0.6)], krs, now=NOW)
    assert flat.progress == pytest.approx(0.5)


def test_objective_findings_why_owner_and_too_many_krs():
    krs = [kr(id=f"KR{n}") for n in range(6)]
    statuses = [_status(f"KR{n}", 0.5) for n in range(6)]
    status = objective_status(objective(why=" ", owner=None), Q4, statuses, krs, now=NOW)
    assert {f.rule: f.reason for f in status.findings} == {
        "objective_without_why": "the objective does not say why it matters",
        "objective_without_owner": "the objective has no owner",
        "too_many_krs": "6 KRs, more than 5",
    }


def test_objective_rollup_refuses_missing_kr_status():
    with pytest.raises(ValueError, match="no KR status for KR2; compute kr_status"):
        objective_status(objective(), Q4, [_status("KR1", 0.5)], [kr(id="KR1"), kr(id="KR2")], now=NOW)


def checkin_items():
    return [
        item("A", DONE, due=date(2026, 11, 12), completed=day(42), url="https://jira.example/browse/A"),
        item("B", DONE, completed=day(35)),
        item("C", due=date(2026, 11, 18), assignee="zoe"),
        item("D", planned_week="2026-W47"),
        item("E", planned_week="2026-W47", assignee="Bob"),
        item("F", TODO, blocked=True, updated=day(45)),
        item("G", due=date(2026, 11, 10)),
    ]


def test_compose_checkin_covers_progress_problems_plans_and_execution():
    items = checkin_items()
    status = kr_status(kr(), Q4, items, now=NOW)
    checkin = compose_checkin(kr(), status, items, "2026-W46", now=NOW, previous_progress=0.125)
    assert checkin.progress == pytest.approx(2 / 7)
    assert checkin.delta == pytest.approx(2 / 7 - 0.125)
    assert [r.key for r in checkin.done_this_week] == ["A"]
    assert [r.key for r in checkin.blocked] == ["F"]
    assert [r.key for r in checkin.overdue] == ["G"]
    assert [(who, [r.key for r in refs]) for who, refs in checkin.plans] == [
        ("Bob", ["E"]), ("zoe", ["C"]), ("unassigned", ["D"]),
    ]
    assert (checkin.execution.planned, checkin.execution.executed, checkin.execution.rate) == (2, 1, 0.5)
    assert checkin.next_week == "2026-W47"
    assert {f.rule for f in checkin.findings} >= {"blocked_items", "overdue_items"}


def test_compose_checkin_refuses_another_krs_status():
    with pytest.raises(ValueError, match="status belongs to KR 'KR2', not 'KR1'"):
        compose_checkin(kr(), _status("KR2", 0.5), [], "2026-W46", now=NOW, previous_progress=None)


@pytest.mark.parametrize(("flavour", "wrapped"), [
    ("markdown", "<!-- okr-sync:checkin:KR1:2026-W46 -->"),
    ("wiki", "{anchor:okr-sync:checkin:KR1:2026-W46}"),
    ("text", "[okr-sync:checkin:KR1:2026-W46]"),
])
def test_render_checkin_carries_its_marker_and_content(flavour, wrapped):
    items = checkin_items()
    status = kr_status(kr(), Q4, items, now=NOW)
    checkin = compose_checkin(kr(), status, items, "2026-W46", now=NOW, previous_progress=None)
    text = render_checkin(checkin, flavour)
    assert text.count(wrapped) == 1
    assert parse_marker(text) == Marker("checkin", "KR1", "2026-W46")
    assert "Plans for 2026" in text and "no figure from a week ago" in text
    assert ("https://jira.example/browse/A" in text) and ("29 %" in text)


def test_markdown_status_block_exact_rendering():
    status = _status("OBJ1-KR2", 0.5)
    text = render_status_block(status, "markdown")
    assert text.splitlines()[:6] == [
        "<!-- okr-sync:status:OBJ1-KR2 -->",
        "**OKR status — OBJ1\\-KR2**",
        "",
        "- Progress: 50 % (yellow)",
        "- Status: On track; expected 50 % now",
        "- Current value: 50",
    ]


HOSTILE = "O1*|[KR]{2} <!--> okr-sync:status:EVIL `x` #3 @ann ~l"


@pytest.mark.parametrize("flavour", ["markdown", "wiki", "text"])
def test_hostile_ids_and_titles_never_break_blocks_or_markers(flavour):
    items = [item("A", title=HOSTILE, due=date(2026, 11, 25), kr_ids=(HOSTILE,), url="https://x/a|b]c (d)")]
    status = kr_status(kr(id=HOSTILE), Q4, items, now=NOW)
    checkin = compose_checkin(kr(id=HOSTILE), status, items, "2026-W47", now=NOW, previous_progress=0.0)
    rendered = [(render_status_block(status, flavour), 0), (render_checkin(checkin, flavour), 1)]
    for text, links in rendered:
        marker = parse_marker(text)
        assert marker is not None and marker.subject_id == HOSTILE
        assert len(re.findall(r"okr-sync:(?:status|checkin):", text)) == 1
        if flavour == "markdown":
            assert text.count("-->") == 1 and text.count("<!--") == 1
            assert "\\*" in text and "\\[" in text and "\\`" in text
        if flavour == "wiki":
            unescaped = re.sub(r"\\.", "", text)
            assert unescaped.count("{") == 1 and unescaped.count("}") == 1  # only the anchor macro
            assert unescaped.count("|") == links  # only the link separator
        assert "\n\n\n" not in text


def test_objective_status_block_names_departments_and_findings():
    krs = [kr(id="KR1", department="Attorney"), kr(id="KR2", department="Prosecutor")]
    status = objective_status(objective(why=None), Q4, [_status("KR1", 0.1), _status("KR2", 0.2)], krs, now=NOW)
    text = render_status_block(status, "text", title="Objective O1")
    assert text.startswith("Objective O1\n- Progress: 15 % (red)\n")
    assert "Departments: Attorney, Prosecutor" in text and "Cross-sector: yes, 2 departments" in text
    assert "[warning] the objective does not say why it matters" in text
    assert text.rstrip().endswith("[okr-sync:status:O1]")


@pytest.mark.parametrize(("text", "expected"), [
    ("no marker here", None),
    ("<!-- okr-sync:begin -->", None),
    ("x okr-sync:checkin:KR1:2026-W99 y okr-sync:status:KR2", Marker("status", "KR2")),
    ("okr-sync:status:%ZZ then okr-sync:status:A%3AB", Marker("status", "A:B")),
    ("okr-sync:checkin:OBJ1-KR2:2026-W53", Marker("checkin", "OBJ1-KR2", "2026-W53")),
], ids=["none", "gitlab-block", "bad-week-skipped", "bad-escape-skipped", "week-53"])
def test_parse_marker(text, expected):
    assert parse_marker(text) == expected


def test_marker_construction_and_encoding():
    assert status_marker("OBJ1-KR2") == "okr-sync:status:OBJ1-KR2"
    assert checkin_marker("a:b c", "2027-W01") == "okr-sync:checkin:a%3Ab%20c:2027-W01"
    assert decode_id(encode_id("Ação|}")) == "Ação|}"
    with pytest.raises(ValueError, match="id is empty"):
        status_marker("")
    with pytest.raises(ValueError, match=r"ISO year 2027 has weeks 01\.\.52"):
        checkin_marker("KR1", "2027-W53")
