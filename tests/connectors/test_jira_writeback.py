"""Jira write-back against the sandbox, on Cloud and on Server: fields, status comment, check-ins, diff.

Request and write counts come from the sandbox's counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from okr_sync.config.errors import SkippableError
from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import CheckIn, HomeItem, ItemRef, KrStatusValue, WeekExecution
from tests.connectors.jira_own import own_comments, people_comments
from tests.contract.harness_jira import JiraSite, kr_status, server_fixture, settings

API = "/jira/rest/api/2"
PUT_ISSUE = f"PUT {API}/issue/{{issueIdOrKey}}"
GET_ISSUE = f"GET {API}/issue/{{issueIdOrKey}}"
ADD_COMMENT = f"POST {API}/issue/{{issueIdOrKey}}/comment"
EDIT_COMMENT = f"PUT {API}/issue/{{issueIdOrKey}}/comment/{{id}}"
HUMAN_COMMENT = "Great work, team! *bold* {code}x{code} okr-sync mentioned in passing\r\n  trailing  "
HUMAN_DESCRIPTION = "h2. Why\nRecovered debt funds schools.\n\n|| a || b ||\n| 1 | 2 |\n"


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    sb = make_sandbox(server_fixture() if request.param == "server" else "empty", jira_deployment=request.param)
    s = JiraSite(sb)
    s.okr_fields()
    yield s
    s.close()


def connector(site: JiraSite, **overrides: Any) -> JiraConnector:
    return JiraConnector("jira", settings(site.info, **overrides), sleep=lambda _: None)


def desired(home: HomeItem, progress: float, **kwargs: Any) -> DesiredHome:
    checkin = kwargs.pop("checkin", None)
    return DesiredHome(home=home, subject_id="OBJ1-KR1", title="Recover tax debt",
                       status=kr_status("OBJ1-KR1", progress, **kwargs), checkin=checkin)


def checkin(week: str, progress: float) -> CheckIn:
    execution = WeekExecution(week=week, planned=2, executed=1, rate=0.5, unplanned=0)
    return CheckIn(kr_id="OBJ1-KR1", week=week, progress=progress, previous_progress=0.3,
                   done_this_week=(ItemRef("OKR-9", "Send notices", url="https://jira.example.gov/browse/OKR-9"),),
                   findings=(), blocked=(), overdue=(), plans=(("Ana", (ItemRef("OKR-10", "Call debtors"),)),),
                   execution=execution, next_week="2026-W49", status=KrStatusValue.ON_TRACK, expected=0.45,
                   forecast=0.8, generated_at=datetime(2026, 11, 23, 9, tzinfo=UTC))


def sync(conn: JiraConnector, wanted: list[DesiredHome]) -> list[Any]:
    homes = [d.home for d in wanted]
    writes = conn.plan_writes(wanted, conn.read_homes(homes, PullSpec()))
    results = conn.apply(writes)
    assert all(r.ok for r in results), [r.error for r in results]
    return writes


def okr_comments(site: JiraSite, key: str) -> list[dict[str, Any]]:
    return own_comments(site, key)


def test_fields_and_status_comment_then_nothing_when_unchanged(site: JiraSite, control_of: Callable[..., Any]) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result", description="draft")
    site.edit(key, description=HUMAN_DESCRIPTION)  # a person edits the description
    site.client.add_comment(key, HUMAN_COMMENT)
    home = HomeItem("jira", key)
    conn = connector(site)
    control = control_of(site.sandbox)
    control.reset_requests()
    writes = sync(conn, [desired(home, 0.42)])
    assert [w.target for w in writes] == ["field OKR Progress", "field OKR Status", "field OKR Forecast",
                                          "status comment"]
    by_route = control.requests()["by_route"]
    assert by_route[PUT_ISSUE] == 1 and by_route[ADD_COMMENT] == 1  # three fields in one request
    raw = site.raw(key)["fields"]
    assert raw[site.field_id("OKR Progress")] == 42.0 and raw[site.field_id("OKR Forecast")] == 80.0
    assert raw[site.field_id("OKR Status")]["value"] == "On track"
    [status] = okr_comments(site, key)
    assert status["marker"] == "okr-sync:status:OBJ1-KR1" and "42 %" in status["body"]
    assert status["body"].startswith("*OKR status") if site.cloud else \
        status["body"].startswith("{anchor:okr-sync:status:OBJ1-KR1}")
    human = people_comments(site, key)

    control.reset_requests()
    again = conn.plan_writes([desired(home, 0.42)], conn.read_homes([home], PullSpec()))
    assert again == [] and conn.apply(again) == []
    counts = control.requests()
    assert counts["writes"] == 0 and counts["by_route"] == {GET_ISSUE: 1}  # an unchanged KR costs 0 writes

    assert people_comments(site, key) == human and len(human) == 1  # the person's comment untouched
    if not site.cloud:  # Server keeps the text verbatim; Cloud shows its own rendering of the document
        assert human[0][1] == HUMAN_COMMENT
    assert site.raw(key)["fields"]["description"] == HUMAN_DESCRIPTION


def test_status_comment_is_edited_in_place(site: JiraSite, control_of: Callable[..., Any]) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result")
    site.client.add_comment(key, HUMAN_COMMENT)
    home = HomeItem("jira", key)
    conn = connector(site)
    sync(conn, [desired(home, 0.42)])
    [first] = okr_comments(site, key)
    human = people_comments(site, key)
    control = control_of(site.sandbox)
    control.reset_requests()
    writes = sync(conn, [desired(home, 0.55, status=KrStatusValue.AT_RISK)])
    assert [(w.target, w.old, w.new) for w in writes[:2]] == [("field OKR Progress", "42", "55"),
                                                              ("field OKR Status", "On track", "At risk")]
    assert "status comment: " in writes[-1].describe()
    assert control.count(EDIT_COMMENT) == 1 and control.count(ADD_COMMENT) == 0
    [edited] = okr_comments(site, key)
    assert edited["id"] == first["id"] and "55 %" in edited["body"]
    assert people_comments(site, key) == human


def test_checkin_comment_per_week_is_upserted(site: JiraSite) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result")
    home = HomeItem("jira", key)
    conn = connector(site)
    sync(conn, [desired(home, 0.42, checkin=checkin("2026-W48", 0.42))])
    sync(conn, [desired(home, 0.42, checkin=checkin("2026-W48", 0.42))])  # replay: nothing to do
    assert len([c for c in okr_comments(site, key) if "okr-sync:checkin:" in c["marker"]]) == 1
    writes = sync(conn, [desired(home, 0.46, checkin=checkin("2026-W48", 0.46))])
    assert "check-in 2026-W48" in [w.target for w in writes]
    week48 = [c for c in okr_comments(site, key) if "checkin:OBJ1-KR1:2026-W48" in c["marker"]]
    assert len(week48) == 1 and "46 %" in week48[0]["body"]
    sync(conn, [desired(home, 0.5, checkin=checkin("2026-W49", 0.5))])
    checkins = [c for c in okr_comments(site, key) if "okr-sync:checkin:" in c["marker"]]
    assert len(checkins) == 2 and len(okr_comments(site, key)) == 3


def test_missing_select_option_fails_alone(site: JiraSite) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result")
    home = HomeItem("jira", key)
    options = {"not_started": "Not started", "on_track": "Going well", "at_risk": "At risk",
               "off_track": "Off track", "done": "Done"}
    conn = connector(site, write={"fields": {"progress": "OKR Progress", "status": "OKR Status"},
                                  "status_options": options})
    writes = conn.plan_writes([desired(home, 0.42)], conn.read_homes([home], PullSpec()))
    results = {r.write.target: r for r in conn.apply(writes)}
    failed = results["field OKR Status"]
    assert not failed.ok and isinstance(failed.error, SkippableError)
    assert "Going well" in str(failed.error) and "OKR Status" in str(failed.error) and key in str(failed.error)
    assert site.info["token"] not in str(failed.error)
    assert results["field OKR Progress"].ok and results["status comment"].ok
    assert site.raw(key)["fields"][site.field_id("OKR Progress")] == 42.0


def test_missing_home_is_not_written(site: JiraSite, control_of: Callable[..., Any]) -> None:
    home = HomeItem("jira", "OKR-404")
    conn = connector(site)
    states = conn.read_homes([home], PullSpec())
    assert states[home].exists is False
    control = control_of(site.sandbox)
    control.reset_requests()
    assert conn.plan_writes([desired(home, 0.4)], states) == []
    assert control.requests()["total"] == 0


def test_manual_value_with_author_and_time(site: JiraSite) -> None:
    field = site.create_field("KR Current Value", "number")
    key = site.create_issue("Cut settlement time", kind="Key Result")
    site.edit(key, **{field: 120})
    home = HomeItem("jira", key)
    conn = connector(site, manual_value_field="KR Current Value")
    me = site.client.myself()
    owner = me["accountId"] if site.cloud else me["name"]  # the owner's identity on this deployment
    spec = PullSpec(manual_homes={home: "OBJ1-KR2"}, owners={"OBJ1-KR2": owner})
    manual = conn.read_homes([home], spec)[home].manual
    assert manual is not None and manual.value == 120.0 and manual.author == "OKR Sync Bot"
    assert manual.at.tzinfo is not None and abs((datetime.now(UTC) - manual.at).total_seconds()) < 120
    other_owner = PullSpec(manual_homes={home: "OBJ1-KR2"}, owners={"OBJ1-KR2": "maria.souza"})
    assert conn.read_homes([home], other_owner)[home].manual is None  # only the owner's value counts
    assert conn.read_homes([home], PullSpec())[home].manual is None  # not a manual KR: not read
