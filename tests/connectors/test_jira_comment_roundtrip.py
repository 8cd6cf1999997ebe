"""Issue 18, acceptance 1: okr-sync's Jira comments survive Cloud's comment round trip, never duplicated.

The Cloud-mode emulator stores comment bodies as documents and shows them through REST v2 converted
back (anchor macros gone, escapes normalised), like Jira Cloud. Many cycles with changing progress and
the same week's check-in posted again and again — by one long-lived connector and by fresh ones (a
restarted daemon, another replica) — leave exactly one status comment and one check-in comment per
KR home, while people's comments stay exactly as they were. The old text-marker recognition is shown
to duplicate on the same emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from jira import JIRA

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.jira.writeback import marker_key
from okr_sync.mapping import CheckIn, HomeItem, ItemRef, KrStatusValue, WeekExecution, render_status_block
from tests.connectors.jira_own import own_comments, people_comments
from tests.contract.harness_jira import STATUS_OPTIONS, JiraSite, kr_status, settings

WEEK = "2026-W48"
KRS = ("OBJ1-KR1", "OBJ1-KR2 (fase 2)", "OBJ2-KR1")  # an id with characters wiki markup escapes
PERSON_QUOTING = "As the bot said: {anchor:okr-sync:status:OBJ1-KR1} *OKR status — OBJ1\\-KR1* was wrong \\(see\\)"


@pytest.fixture(params=["Cloud", "Server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    fixture = {"jira": {
        "deployment": request.param,
        "users": [{"name": "okr-bot", "displayName": "OKR Sync Bot", "token": "sandbox-jira-token"},
                  {"name": "viewer", "token": "sandbox-jira-readonly", "read_only": True},
                  {"name": "ana", "displayName": "Ana Costa", "token": "t-ana"}],
        "fields": [{"name": "OKR Progress", "type": "number"}, {"name": "OKR Forecast", "type": "number"},
                   {"name": "OKR Status", "type": "select", "options": STATUS_OPTIONS}]}}
    s = JiraSite(make_sandbox(fixture))
    yield s
    s.close()


def person(site: JiraSite) -> JIRA:
    login = "ana@sandbox.example" if site.cloud else "ana"
    return JIRA(site.info["url"], basic_auth=(login, "t-ana"), max_retries=0)


def checkin(kr: str, progress: float) -> CheckIn:
    execution = WeekExecution(week=WEEK, planned=2, executed=1, rate=0.5, unplanned=0)
    return CheckIn(kr_id=kr, week=WEEK, progress=progress, previous_progress=0.3,
                   done_this_week=(ItemRef("OKR-9", "Send notices (batch #2) - urgent!",
                                           url="https://jira.example.gov/browse/OKR-9"),),
                   findings=(), blocked=(), overdue=(), plans=(("Ana", (ItemRef("OKR-10", "Call debtors"),)),),
                   execution=execution, next_week="2026-W49", status=KrStatusValue.ON_TRACK, expected=0.45,
                   forecast=0.8, generated_at=datetime(2026, 11, 23, 9, tzinfo=UTC))


def wanted(homes: dict[str, HomeItem], progress: float, *, with_checkin: bool) -> list[DesiredHome]:
    return [DesiredHome(home, kr, f"Recover [tax] debt {kr}", kr_status(kr, progress),
                        checkin(kr, progress) if with_checkin else None, "[~accountid:ana]")
            for kr, home in homes.items()]


def cycle(conn: JiraConnector, desired: list[DesiredHome]) -> list[Any]:
    writes = conn.plan_writes(desired, conn.read_homes([d.home for d in desired], PullSpec()))
    assert all(r.ok for r in conn.apply(writes))
    return writes


def bot_comments(site: JiraSite, key: str) -> list[dict[str, Any]]:
    """Every comment okr-sync's user wrote (independent of any marker)."""
    me = site.client.myself()
    who = "accountId" if site.cloud else "name"
    return [c for c in site.comments(key) if c["author"][who] == me[who]]


def test_the_old_text_marker_would_duplicate_on_cloud(site: JiraSite) -> None:
    key = site.create_issue("Recover tax debt", kind="Key Result")
    body = render_status_block(kr_status("OBJ1-KR1", 0.42), "wiki", title="OKR status — OBJ1-KR1 Recover")
    for _ in range(3):  # what okr-sync did before: find the comment by the anchor in its text, else post
        if not any(marker_key(c["body"]) for c in site.comments(key)):
            site.client.add_comment(key, body)
    [shown, *_] = site.comments(key)
    if site.cloud:
        assert "{anchor" not in shown["body"] and len(site.comments(key)) == 3, "the anchor did not come back"
        assert shown["body"] != body
    else:  # Server keeps the text: the anchor is enough there
        assert shown["body"] == body and len(site.comments(key)) == 1


def test_many_cycles_leave_one_status_and_one_checkin_comment_per_home(
        site: JiraSite, control_of: Callable[..., Any]) -> None:
    homes = {kr: HomeItem("jira", site.create_issue(f"{kr} home", kind="Key Result")) for kr in KRS}
    ana = person(site)
    try:
        for home in homes.values():
            ana.add_comment(home.key, "Kick-off done. okr-ack is not a thing here")
            ana.add_comment(home.key, PERSON_QUOTING)  # quotes okr-sync's marker: still a person's comment
        people_before = {h.key: people_comments(site, h.key) for h in homes.values()}
        daemon = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
        progress = [0.1, 0.1, 0.25, 0.25, 0.4, 0.4, 0.55, 0.7, 0.7, 0.85, 0.85, 0.9]
        for n, value in enumerate(progress):
            # a long-lived daemon most cycles; a fresh process (restart, another replica) every third
            conn = daemon if n % 3 else JiraConnector("jira", settings(site.info), sleep=lambda _: None)
            cycle(conn, wanted(homes, value, with_checkin=True))  # the same week's check-in, every cycle
            if n == 5:  # people keep talking on the home issues meanwhile
                for home in homes.values():
                    ana.add_comment(home.key, f"Update {n}: the *vendor* is late \\- again")
                people_before = {h.key: people_comments(site, h.key) for h in homes.values()}
    finally:
        ana.close()  # type: ignore[no-untyped-call]

    for kr, home in homes.items():
        own = own_comments(site, home.key)
        assert sorted(c["marker"] for c in own) == sorted([f"okr-sync:status:{_enc(kr)}",
                                                           f"okr-sync:checkin:{_enc(kr)}:{WEEK}"])
        assert len(bot_comments(site, home.key)) == 2, "exactly one status and one check-in comment"
        assert people_comments(site, home.key) == people_before[home.key], "people's comments untouched"
        assert all("90 %" in c["body"] for c in own), "both show the last progress"

    control = control_of(site.sandbox)
    fresh = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    fresh.write_fields()  # set-up: serverInfo, fields, myself (a daemon has them from its watermark)
    fresh.session.me()
    control.reset_requests()
    assert cycle(fresh, wanted(homes, 0.9, with_checkin=True)) == []
    routes = control.requests()["by_route"]
    assert routes.pop("GET /jira/rest/api/2/issue/{issueIdOrKey}") == len(homes)
    # Cloud: one property read for every comment of every home, by a process that has not seen them
    assert routes == ({"POST /jira/rest/api/2/comment/list": 1} if site.cloud else {})
    control.reset_requests()
    assert cycle(fresh, wanted(homes, 0.9, with_checkin=True)) == []
    assert control.requests()["by_route"] == {"GET /jira/rest/api/2/issue/{issueIdOrKey}": len(homes)}


def test_comments_of_earlier_versions_are_adopted_not_duplicated(site: JiraSite) -> None:
    home = HomeItem("jira", site.create_issue("OBJ1-KR1 home", kind="Key Result"))
    old = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    [status, check] = [w for w in old.plan_writes(wanted({"OBJ1-KR1": home}, 0.3, with_checkin=True),
                                                  old.read_homes([home], PullSpec())) if "comment" in w.payload["op"]]
    for write in (status, check):  # as the earlier version posted them: only the anchor, no property
        site.client.add_comment(home.key, write.payload["body"])
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    writes = cycle(conn, wanted({"OBJ1-KR1": home}, 0.45, with_checkin=True))
    assert {w.payload["op"] for w in writes if "comment" in w.payload["op"]} == {"comment_edit"}
    assert len(bot_comments(site, home.key)) == 2
    assert sorted(c["marker"] for c in own_comments(site, home.key)) == [
        f"okr-sync:checkin:OBJ1-KR1:{WEEK}", "okr-sync:status:OBJ1-KR1"]
    assert cycle(JiraConnector("jira", settings(site.info), sleep=lambda _: None),
                 wanted({"OBJ1-KR1": home}, 0.45, with_checkin=True)) == []


def test_a_person_editing_okr_syncs_comment_gets_it_rewritten_not_duplicated(site: JiraSite) -> None:
    home = HomeItem("jira", site.create_issue("OBJ1-KR1 home", kind="Key Result"))
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    cycle(conn, wanted({"OBJ1-KR1": home}, 0.3, with_checkin=False))
    [status] = own_comments(site, home.key)
    ana = person(site)
    try:  # someone with "Edit All Comments" rewrites okr-sync's status comment
        ana._session.put(f"{site.info['url']}/rest/api/2/issue/{home.key}/comment/{status['id']}",
                         data=json.dumps({"body": "someone rewrote this"}))
    finally:
        ana.close()  # type: ignore[no-untyped-call]
    writes = cycle(JiraConnector("jira", settings(site.info), sleep=lambda _: None),
                   wanted({"OBJ1-KR1": home}, 0.3, with_checkin=False))
    assert [w.payload["op"] for w in writes] == ["comment_edit"]
    [again] = own_comments(site, home.key)
    assert again["id"] == status["id"] and "30 %" in again["body"]


def _enc(kr: str) -> str:
    from okr_sync.mapping import status_marker
    return status_marker(kr).removeprefix("okr-sync:status:")
