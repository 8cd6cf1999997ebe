"""Hand-computed progress cases: completion weighting, metrics in both directions, manual precedence."""

from __future__ import annotations

import pytest
from mapping_factories import CANCELLED, DOING, DONE, at, item, kr

from okr_sync.mapping import CompletionMeasure, ManualValue, MetricMeasure, kr_progress

C = CompletionMeasure


def _done(key: str, **kw: object):
    return item(key, DONE, **kw)


COMPLETION = [
    # id, measure, items, expected progress, note fragment expected in provenance (or "")
    ("count-half", C(), [_done("A"), _done("B"), item("C", DOING), item("D")], 0.5, ""),
    ("count-partial-credit", C(partial_credit=0.5), [_done("A"), _done("B"), item("C", DOING), item("D")],
     0.625, ""),
    ("cancelled-excluded", C(), [_done("A"), item("B"), item("C", CANCELLED)], 0.5, ""),
    ("points", C("points"), [_done("A", points=5), item("B", points=3), _done("C", points=2)], 0.7, ""),
    ("points-median-fill", C("points"),
     [_done("A", points=2), item("B", points=4), _done("C"), item("D", points=6)], 0.375,
     "1 item(s) without points counted as the median 4"),
    ("estimate-partial", C("estimate", 0.25), [_done("A", estimate=8), item("B", DOING, estimate=4)],
     0.75, ""),
    ("no-items", C(), [], 0.0, "no linked work"),
    ("all-cancelled", C(), [item("A", CANCELLED)], 0.0, "no linked work"),
    ("points-none-known", C("points"), [_done("A"), item("B")], 0.5, "no item has points"),
    ("points-all-zero", C("points"), [_done("A", points=0), item("B", points=0)], 0.5, "all points are zero"),
    ("cancelled-done-ignored", C("points"), [item("A", CANCELLED, points=8), _done("B", points=1),
                                            item("C", points=3)], 0.25, ""),
]


@pytest.mark.parametrize(("measure", "items", "expected", "note"),
                         [c[1:] for c in COMPLETION], ids=[c[0] for c in COMPLETION])
def test_completion_progress(measure, items, expected, note):
    result = kr_progress(kr(measure), items, None)
    assert result.progress == pytest.approx(expected)
    assert result.current is None
    assert result.provenance.item_keys == tuple(i.key for i in items if i.status is not CANCELLED)
    if note:
        assert any(note in n for n in result.provenance.notes), result.provenance.notes


M = MetricMeasure
T1, T2, T3 = at(2026, 11, 1), at(2026, 11, 2), at(2026, 11, 3)

METRIC = [
    # id, measure, items, manual value, expected progress, expected current
    ("manual-increasing", M(40, 52), [], ManualValue(46, "joao", T1), 0.5, 46),
    ("manual-decreasing", M(180, 90), [], ManualValue(135, "ana", T1), 0.5, 135),
    ("decreasing-past-target-clamped", M(180, 90), [], ManualValue(60, "ana", T1), 1.0, 60),
    ("decreasing-stretch", M(180, 90, stretch=60), [], ManualValue(70, "ana", T1), 110 / 90, 70),
    ("increasing-stretch-capped", M(0, 100, stretch=130), [], ManualValue(150, "x", T1), 1.3, 150),
    ("increasing-stretch-between", M(0, 100, stretch=130), [], ManualValue(115, "x", T1), 1.15, 115),
    ("below-baseline-clamped", M(40, 52), [], ManualValue(30, "x", T1), 0.0, 30),
    ("decreasing-worse-than-baseline", M(180, 90), [], ManualValue(200, "x", T1), 0.0, 200),
    ("sum-skips-cancelled", M(0, 60, source="sum", field="n", items="any"),
     [item("A", numbers={"n": 10}), _done("B", numbers={"n": 20}), item("C", CANCELLED, numbers={"n": 100})],
     None, 0.5, 30),
    ("max", M(0, 12, source="max", field="n", items="any"),
     [item("A", numbers={"n": 3}), item("B", numbers={"n": 9}), item("C", numbers={"n": 4})], None, 0.75, 9),
    ("last-by-time", M(0, 10, source="last", field="n", items="any"),
     [item("A", numbers={"n": 5}, updated=T1), item("B", numbers={"n": 8}, updated=T3),
      item("C", numbers={"n": 20}, updated=T2), item("D", numbers={"n": 99})], None, 0.8, 8),
    ("count-done", M(0, 12, source="count"),
     [_done("A"), _done("B"), _done("C"), item("D"), item("E", CANCELLED)], None, 0.25, 3),
    ("count-in-progress", M(0, 4, source="count", count_status=DOING),
     [item("A", DOING), _done("B"), item("C", DOING)], None, 0.5, 2),
    ("decreasing-sum", M(100, 0, source="sum", field="n", items="any"),
     [item("A", numbers={"n": 30}), item("B", numbers={"n": 45})], None, 0.25, 75),
    ("sum-reads-done-items-by-default", M(0, 60, source="sum", field="n"),
     [item("A", numbers={"n": 10}), item("B", DOING, numbers={"n": 40}), _done("C", numbers={"n": 30})], None, 0.5, 30),
    ("max-reads-done-items-by-default", M(0, 12, source="max", field="n"),
     [item("A", DOING, numbers={"n": 11}), _done("B", numbers={"n": 6})], None, 0.5, 6),
]


@pytest.mark.parametrize(("measure", "items", "manual", "expected", "current"),
                         [c[1:] for c in METRIC], ids=[c[0] for c in METRIC])
def test_metric_progress(measure, items, manual, expected, current):
    result = kr_progress(kr(measure), items, manual)
    assert result.progress == pytest.approx(expected)
    assert result.current == pytest.approx(current)
    assert result.provenance.is_manual == (manual is not None)


def test_manual_newer_than_linked_change_wins():
    measure = M(0, 60, source="sum", field="n")
    items = [item("A", numbers={"n": 30}, updated=T1), item("B", numbers={"n": 0}, updated=T2)]
    result = kr_progress(kr(measure), items, ManualValue(45, "ana.costa", T3))
    assert result.progress == pytest.approx(0.75)
    assert result.current == 45
    assert result.provenance.manual_author == "ana.costa"
    assert result.provenance.manual_at == T3
    assert "manual value by ana.costa at 2026-11-03 00:00 UTC" in result.provenance.describe()
    assert result.superseded_manual is None


def test_manual_older_than_linked_change_is_superseded_not_silently_dropped():
    measure = M(0, 60, source="sum", field="n", items="any")
    items = [item("A", numbers={"n": 30}, updated=T1), _done("B", numbers={"n": 6}, completed=T3)]
    manual = ManualValue(45, "ana.costa", T2)
    result = kr_progress(kr(measure), items, manual)
    assert result.progress == pytest.approx(0.6)
    assert result.current == 36
    assert not result.provenance.is_manual
    assert result.superseded_manual == manual
    assert "older than the latest linked change at 2026-11-03 00:00 UTC" in result.provenance.notes[0]


def test_manual_used_when_no_item_carries_the_field_even_if_older():
    measure = M(0, 10, source="max", field="n")
    result = kr_progress(kr(measure), [item("A", updated=T3)], ManualValue(4, "bo", T1))
    assert result.progress == pytest.approx(0.4)
    assert result.provenance.notes == ("no linked item carries a value",)


def test_computed_metric_without_values_or_manual_is_zero():
    result = kr_progress(kr(M(0, 10, source="sum", field="n")), [item("A")], None)
    assert (result.progress, result.current) == (0.0, None)
    assert result.provenance.notes == ("no linked item carries a value",)


def test_manual_source_without_value_is_zero_and_says_so():
    result = kr_progress(kr(M(3.1, 4.2)), [], None)
    assert (result.progress, result.current) == (0.0, None)
    assert result.provenance.notes == ("no manual value entered yet",)


def test_completion_kr_ignores_manual_value_visibly():
    result = kr_progress(kr(C()), [_done("A"), item("B")], ManualValue(0.9, "ana", T3))
    assert result.progress == 0.5
    assert "ignored" in result.provenance.notes[-1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"baseline": 5, "target": 5}, "target equals baseline"),
    ({"baseline": 0, "target": 10, "stretch": 8}, "stretch 8 must lie beyond target 10"),
    ({"baseline": 10, "target": 0, "stretch": 5}, "must lie beyond target"),
    ({"baseline": 0, "target": 10, "source": "sum"}, "needs `field`"),
], ids=["flat", "stretch-short", "stretch-short-decreasing", "sum-no-field"])
def test_metric_measure_rejects_inconsistent_definitions(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MetricMeasure(**kwargs)


def test_completion_measure_rejects_credit_outside_unit_interval():
    with pytest.raises(ValueError, match=r"partial_credit 1\.5 must lie in 0\.\.1"):
        CompletionMeasure(partial_credit=1.5)


def test_manual_preferred_when_linked_items_carry_no_time_and_says_why():
    measure = M(0, 10, source="sum", field="n", items="any")
    result = kr_progress(kr(measure), [item("A", numbers={"n": 2})], ManualValue(5, "bo", T1))
    assert (result.progress, result.current) == (0.5, 5)
    assert result.provenance.notes == ("linked items carry no change time: manual value preferred over computed 2",)
    newer = kr_progress(kr(measure), [item("A", numbers={"n": 2}, updated=T1)], ManualValue(5, "bo", T2))
    assert newer.provenance.notes == ("computed value 2 is older than the manual value",)
