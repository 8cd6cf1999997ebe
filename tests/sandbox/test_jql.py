"""The sandbox's JQL subset: tokenizer, parser and evaluator (pure, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from okr_sync.sandbox import jql
from okr_sync.sandbox.jql import BoolOp, Clause, JqlError, Not, Query

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("text", "expected"), [
    ("", Query(None, ())),
    ("project = OKR", Query(Clause("project", "=", ("OKR",)), ())),
    ('labels = "kr:OBJ1-KR2"', Query(Clause("labels", "=", ("kr:OBJ1-KR2",)), ())),
    ("labels = kr:OBJ1-KR2", Query(Clause("labels", "=", ("kr:OBJ1-KR2",)), ())),
    ("key in (OKR-1, 'OKR-2')", Query(Clause("key", "in", ("OKR-1", "OKR-2")), ())),
    ("status NOT IN (Done)", Query(Clause("status", "not in", ("Done",)), ())),
    ("duedate is EMPTY", Query(Clause("duedate", "is", ()), ())),
    ("assignee IS NOT null", Query(Clause("assignee", "is not", ()), ())),
    ("parent = EMPTY", Query(Clause("parent", "is", ()), ())),
    ('"OKR Status" != "At risk"', Query(Clause("OKR Status", "!=", ("At risk",)), ())),
    ("cf[10001] >= 40", Query(Clause("cf[10001]", ">=", ("40",)), ())),
    ("updated >= -5m", Query(Clause("updated", ">=", ("-5m",)), ())),
    ('summary ~ "court"', Query(Clause("summary", "~", ("court",)), ())),
    ("ORDER BY updated DESC, key", Query(None, (("updated", "desc"), ("key", "asc")))),
    ("a = 1 AND b = 2 OR c = 3", Query(BoolOp("or", (BoolOp("and", (Clause("a", "=", ("1",)),
                                                                  Clause("b", "=", ("2",)))),
                                                     Clause("c", "=", ("3",)))), ())),
    ("a = 1 AND (b = 2 OR NOT c = 3)", Query(BoolOp("and", (Clause("a", "=", ("1",)), BoolOp("or", (
        Clause("b", "=", ("2",)), Not(Clause("c", "=", ("3",))))))), ())),
    ("a = 1 && !b = 2 || c = 3", Query(BoolOp("or", (BoolOp("and", (Clause("a", "=", ("1",)),
                                                                  Not(Clause("b", "=", ("2",))))),
                                                     Clause("c", "=", ("3",)))), ())),
    ('summary ~ "say \\"hi\\""', Query(Clause("summary", "~", ('say "hi"',)), ())),
], ids=lambda v: v if isinstance(v, str) else "")
def test_parse_accepts_the_subset(text: str, expected: Query) -> None:
    assert jql.parse(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("project =", "Expecting either a value, list or function but got the end of the query"),
    ("project OKR", "Expecting operator but got 'OKR'"),
    ("project = OKR AND", "Expecting a field name but got the end of the query"),
    ("(project = OKR", "Expecting ')'"),
    ("project = OKR)", "Expecting either 'OR' or 'AND' but got ')'"),
    ("project in OKR", "Expecting '(' to start a list of values"),
    ("labels = 'open", "is not closed"),
    ("project = OKR ORDER updated", "Expecting 'BY'"),
    ("assignee = currentUser()", "function 'currentUser' is not supported"),
    ("status WAS Done", "operator 'WAS' is not supported"),
    ("summary ~ 50%", "The character '%' is a reserved JQL character"),
    ("project = EMPTY", None),  # = EMPTY is the same as IS EMPTY: valid
    ("labels is Done", "Expecting 'EMPTY' or 'NULL'"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_parse_rejects_what_it_does_not_support(text: str, fragment: str | None) -> None:
    if fragment is None:
        assert jql.parse(text).where == Clause("project", "is", ())
        return
    with pytest.raises(JqlError) as caught:
        jql.parse(text)
    assert fragment in str(caught.value)


# --- evaluation over a tiny catalogue -------------------------------------------------------------

FIELDS = {
    "project": jql.FieldRef("project", "project", "id",
                            lambda v: None if v.lower() in {"okr", "pge"} else f"no project {v}"),
    "labels": jql.FieldRef("labels", "labels", "labels"),
    "updated": jql.FieldRef("updated", "updated", "date"),
    "progress": jql.FieldRef("cf1", "Progress", "number"),
    "summary": jql.FieldRef("summary", "summary", "text"),
    "kr": jql.FieldRef("cf2", "Key Result", "string"),
}
ISSUES: list[dict[str, Any]] = [
    {"key": "OKR-1", "project": "OKR", "labels": ["kr:a"], "updated": datetime(2026, 11, 24, 9, 14, tzinfo=UTC),
     "progress": 40.0, "summary": "Close cases faster", "kr": "OBJ1-KR1"},
    {"key": "OKR-2", "project": "OKR", "labels": [], "updated": datetime(2026, 11, 24, 9, 15, tzinfo=UTC),
     "progress": None, "summary": "Audit court backlog", "kr": None},
    {"key": "PGE-1", "project": "PGE", "labels": ["kr:a", "kr:b"],
     "updated": datetime(2026, 11, 24, 11, 59, tzinfo=UTC), "progress": 75.0, "summary": "Permits", "kr": "x"},
]


def _values(issue: dict[str, Any], ref: jql.FieldRef) -> list[Any]:
    name = next(k for k, v in FIELDS.items() if v is ref)
    value = issue[name]
    if name == "project":
        return [frozenset({value.lower()})]
    if name == "labels":
        return [frozenset({x}) for x in value]
    return [] if value is None else [value]


def run(text: str, tz: Any = UTC) -> list[str]:
    query = jql.parse(text)
    predicate = jql.compile_query(query, FIELDS.get, now=NOW, tz=tz)
    found = [i for i in ISSUES if predicate(lambda ref, i=i: _values(i, ref))]
    keys = jql.sort_fields(query, FIELDS.get)
    if keys:
        found = jql.sort_records(found, keys, lambda i, ref: (_values(i, ref) or [None])[0])
    return [i["key"] for i in found]


@pytest.mark.parametrize(("text", "keys"), [
    ("project = okr", ["OKR-1", "OKR-2"]),
    ("project != OKR", ["PGE-1"]),
    ("labels = kr:a", ["OKR-1", "PGE-1"]),
    ("labels != kr:a", []),  # like Jira: != never matches issues without a value
    ("labels not in (kr:b)", ["OKR-1"]),
    ("labels is EMPTY", ["OKR-2"]),
    ("progress >= 40 AND progress < 75", ["OKR-1"]),
    ("progress in (40, 75)", ["OKR-1", "PGE-1"]),
    ('summary ~ "COURT"', ["OKR-2"]),
    ('summary !~ "court"', ["OKR-1", "PGE-1"]),
    ("kr ~ OBJ1", ["OKR-1"]),
    ('updated >= "2026-11-24 09:15"', ["OKR-2", "PGE-1"]),
    ('updated > "2026/11/24 09:15"', ["PGE-1"]),
    ('updated <= "2026-11-24"', []),
    ("updated >= -5m", ["PGE-1"]),
    ('updated >= "-3h 1m"', ["OKR-1", "OKR-2", "PGE-1"]),
    ("NOT project = OKR OR labels = kr:b", ["PGE-1"]),
    ("ORDER BY updated DESC", ["PGE-1", "OKR-2", "OKR-1"]),
    ("ORDER BY progress", ["OKR-1", "PGE-1", "OKR-2"]),
    ("ORDER BY progress DESC", ["OKR-2", "PGE-1", "OKR-1"]),
])
def test_evaluate(text: str, keys: list[str]) -> None:
    assert run(text) == keys


def test_date_literals_are_read_in_the_users_time_zone() -> None:
    # 10:15 in Berlin (UTC+1 in November) is 09:15 UTC: OKR-2 (09:15 UTC) is included, OKR-1 is not.
    assert run('updated >= "2026-11-24 10:15"', tz=BERLIN) == ["OKR-2", "PGE-1"]
    assert run('updated >= "2026-11-24 10:15"', tz=UTC) == ["PGE-1"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("nosuch = 1", "Field 'nosuch' does not exist or you do not have permission to view it."),
    ("project = NOPE", "no project NOPE"),
    ("labels > kr:a", "The operator '>' is not supported by the 'labels' field."),
    ("kr = OBJ1-KR1", "The operator '=' is not supported by the 'Key Result' field."),
    ("summary = x", "The operator '=' is not supported by the 'summary' field."),
    ("updated >= yesterday", "Date value 'yesterday' for field 'updated' is invalid"),
    ("progress = lots", "'lots' is not a valid number"),
    ("ORDER BY labels", "does not support sorting"),
])
def test_semantic_errors_are_reported(text: str, fragment: str) -> None:
    with pytest.raises(JqlError) as caught:
        run(text)
    assert fragment in str(caught.value)


def test_relative_periods_count_back_from_now() -> None:
    ref = FIELDS["updated"]
    assert jql._parse_date("-1w 2d", ref, NOW, UTC) == NOW - timedelta(days=9)
    assert jql._parse_date("4h", ref, NOW, UTC) == NOW + timedelta(hours=4)
