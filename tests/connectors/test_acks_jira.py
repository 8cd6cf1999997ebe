"""Acknowledgement signs on Jira KR home issues, read by ``read_homes`` on Cloud and on Server through the
real ``jira`` library: a label ``okr-ack:<rule>`` (dated by the changelog entry that added it, or by the
issue's creation when it was there from the start) and ``okr-ack: <rule>`` lines in people's comments;
okr-sync's own (marked) comments never count. Requests: still one GET per home, plus one changelog read
for a home that carries an acknowledgement label and was not already read with its changelog.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from jira import JIRA

from okr_sync.connectors.base import AckSign, PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import HomeItem
from tests.contract.harness_jira import STATUS_OPTIONS, JiraSite, settings

API = "/jira/rest/api/2"
GET_ISSUE = f"GET {API}/issue/{{issueIdOrKey}}"
COMMENT_LIST = f"POST {API}/comment/list"
ANA_ACCOUNT = "5b10ac8d82e05b22cc7d4ef5"
CREATED = "2026-11-02T09:00:00Z"
LABEL_ADDED = "2026-11-20T10:00:00+00:00"
COMMENTED = "2026-11-21T15:30:00+00:00"
OWN_CHECKIN = ("{anchor:okr-sync:checkin:OBJ1-KR1:2026-W48}\nh3. Check-in 2026-W48\n"
               "Two items are overdue. To acknowledge, comment:\nokr-ack: overdue_items\n")


def _fixture(deployment: str) -> dict[str, Any]:
    return {"jira": {
        "deployment": deployment,
        "users": [{"name": "okr-bot", "displayName": "OKR Sync Bot", "token": "sandbox-jira-token"},
                  {"name": "viewer", "token": "sandbox-jira-readonly", "read_only": True},
                  {"name": "ana", "displayName": "Ana Costa", "accountId": ANA_ACCOUNT, "token": "t-ana"}],
        "fields": [{"name": "OKR Progress", "type": "number"}, {"name": "OKR Forecast", "type": "number"},
                   {"name": "OKR Status", "type": "select", "options": STATUS_OPTIONS},
                   {"name": "KR Current Value", "type": "number"}],
        "issues": [{"key": "OKR-1", "type": "Key Result", "summary": "Recover tax debt", "reporter": "ana",
                    "labels": ["okr-ack:stale_kr", "kr-home"], "created": CREATED},
                   {"key": "OKR-2", "type": "Key Result", "summary": "Faster permits", "labels": ["kr-home"],
                    "comments": [{"author": "ana", "body": "Late, we know.\nokr-ack: overdue_items",
                                  "created": CREATED}]}],
    }}


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    sb = make_sandbox(_fixture("Server" if request.param == "server" else "Cloud"), jira_deployment=request.param)
    s = JiraSite(sb)
    yield s
    s.close()


def _as_ana(site: JiraSite) -> JIRA:
    return JIRA(site.info["url"], basic_auth=("ana@sandbox.example" if site.cloud else "ana", "t-ana"), max_retries=0)


def _ana(site: JiraSite) -> str:
    """Ana's identity as okr-sync reports it: the account id on Cloud, the user name on Server."""
    return ANA_ACCOUNT if site.cloud else "ana"


def _signs_by_people(site: JiraSite, control: Any) -> None:
    """Ana adds an acknowledgement label and comments; okr-sync posts its own check-in (with the hint)."""
    ana = _as_ana(site)
    try:
        control.set_clock(LABEL_ADDED, frozen=True)
        ana.issue("OKR-1", fields="labels").update(fields={"labels": ["okr-ack:stale_kr", "kr-home",
                                                                      "okr-ack:Overdue-Items"]})
        control.set_clock(COMMENTED, frozen=True)
        ana.add_comment("OKR-1", "The vendor is late; we know.\nokr-ack: blocked_items, behind_pace\n"
                                 "(see the okr-ack: wiki page for more)")
        ana.add_comment("OKR-1", "Nothing to acknowledge here.")
    finally:
        ana.close()  # type: ignore[no-untyped-call]
    own = {"body": OWN_CHECKIN}
    if site.cloud:  # as okr-sync writes it there: the marker in the comment property (the anchor is lost)
        own["properties"] = [{"key": "okr-sync", "value": {"marker": "okr-sync:checkin:OBJ1-KR1:2026-W48",
                                                           "sha": "0", "v": 1}}]
    site.client._session.post(f"{site.info['url']}/rest/api/2/issue/OKR-1/comment", data=json.dumps(own))


def _identified_once(site: JiraSite) -> dict[str, int]:
    """Cloud: okr-sync's comment, new to this process, is identified once by its property (one request for
    all homes read together); Server keeps the anchor in the text."""
    return {COMMENT_LIST: 1} if site.cloud else {}


def _expected(site: JiraSite, comment_id: str) -> set[AckSign]:
    at = datetime.fromisoformat
    return {
        AckSign("stale_kr", _ana(site), at(CREATED), "label"),  # there from the start: the reporter, created
        AckSign("overdue_items", _ana(site), at(LABEL_ADDED), "label"),
        AckSign("blocked_items", _ana(site), at(COMMENTED), f"comment:{comment_id}"),
        AckSign("behind_pace", _ana(site), at(COMMENTED), f"comment:{comment_id}"),
    }


def test_comment_signs_cost_no_request(site: JiraSite, control_of: Callable[..., Any]) -> None:
    control = control_of(site.sandbox)
    home = HomeItem("jira", "OKR-2")
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    conn.write_fields()  # /serverInfo and /field: connector set-up, not part of reading homes
    conn.session.me()  # myself: okr-sync's own user, once per process (remembered in the watermark)
    control.reset_requests()
    state = conn.read_homes([home], PullSpec())[home]
    assert control.requests()["by_route"] == {GET_ISSUE: 1}, "one GET per home, as before"
    [comment] = site.comments("OKR-2")
    assert state.acks == (AckSign("overdue_items", _ana(site), datetime.fromisoformat(CREATED),
                                  f"comment:{comment['id']}"),)


def test_label_and_comment_signs_with_rule_author_time_and_source(
        site: JiraSite, control_of: Callable[..., Any]) -> None:
    control = control_of(site.sandbox)
    home = HomeItem("jira", "OKR-1")
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    conn.write_fields()
    conn.session.me()
    control.reset_requests()
    before = conn.read_homes([home], PullSpec())[home]
    assert control.requests()["by_route"] == {GET_ISSUE: 2}, "the home's GET, and its changelog for the label"
    assert before.acks == (AckSign("stale_kr", _ana(site), datetime.fromisoformat(CREATED), "label"),)

    _signs_by_people(site, control)
    comment_id = next(c["id"] for c in site.comments("OKR-1") if "blocked_items" in c["body"])
    control.reset_requests()
    state = conn.read_homes([home], PullSpec())[home]
    assert control.requests()["by_route"] == {GET_ISSUE: 2, **_identified_once(site)}, \
        "comments and more labels cost nothing more"
    assert set(state.acks) == _expected(site, comment_id)
    assert [sign.at for sign in state.acks] == sorted(sign.at for sign in state.acks), "oldest first"
    assert all(sign.at.tzinfo is not None and sign.at.utcoffset() == UTC.utcoffset(None) for sign in state.acks)
    assert not any(sign.rule == "overdue_items" and sign.source != "label" for sign in state.acks), \
        "okr-sync's own check-in comment (its user, its marker) never counts, even with an okr-ack line"
    assert "okr-sync:checkin:OBJ1-KR1:2026-W48" in state.values["comments"]  # still read as okr-sync's own

    site.edit("OKR-1", labels=["kr-home"])  # a person removes both labels and adds them again
    site.edit("OKR-1", labels=["kr-home", "okr-ack:stale_kr", "okr-ack:Overdue-Items"])
    later = conn.read_homes([home], PullSpec())[home]
    assert {s for s in later.acks if s.source != "label"} == {s for s in state.acks if s.source != "label"}
    re_added = {s.rule: s.at for s in later.acks if s.source == "label"}
    assert re_added["stale_kr"] > datetime.fromisoformat(LABEL_ADDED), "removed and added again: a new sign"
    site.edit("OKR-1", **{str(site.field_id("OKR Progress")): 40.0})  # like okr-sync's own field write
    assert conn.read_homes([home], PullSpec())[home].acks == later.acks, "other edits leave the signs as they were"


def test_manual_value_and_signs_share_one_changelog(site: JiraSite, control_of: Callable[..., Any]) -> None:
    control = control_of(site.sandbox)
    _signs_by_people(site, control)
    site.edit("OKR-1", **{str(site.field_id("KR Current Value")): 17})
    home = HomeItem("jira", "OKR-1")
    conn = JiraConnector("jira", settings(site.info, manual_value_field="KR Current Value"), sleep=lambda _: None)
    conn.write_fields()
    conn.session.me()
    me = site.client.myself()  # the value counts only from the KR's owner (issue 19): the bot typed it here
    spec = PullSpec(manual_homes={home: "OBJ1-KR1"}, owners={"OBJ1-KR1": str(me.get("accountId") or me["name"])})
    control.reset_requests()
    state = conn.read_homes([home], spec)[home]
    assert control.requests()["by_route"] == {GET_ISSUE: 1, **_identified_once(site)}
    assert state.manual is not None and state.manual.value == 17.0
    assert {(s.rule, s.source) for s in state.acks if s.source == "label"} == {("stale_kr", "label"),
                                                                              ("overdue_items", "label")}


def test_removed_label_and_other_prefix(site: JiraSite, control_of: Callable[..., Any]) -> None:
    control = control_of(site.sandbox)
    home = HomeItem("jira", "OKR-1")
    control.set_clock(LABEL_ADDED, frozen=True)
    site.edit("OKR-1", labels=["kr-home", "seen-stale_kr"])  # okr-ack:stale_kr removed, by the admin client
    default = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    assert default.read_homes([home], PullSpec())[home].acks == ()
    custom = settings(site.info, write={**settings(site.info).write.model_dump(), "ack_label_prefix": "seen-"})
    [sign] = JiraConnector("jira", custom, sleep=lambda _: None).read_homes([home], PullSpec())[home].acks
    me = site.client.myself()
    editor = me["accountId"] if site.cloud else me["name"]
    assert (sign.rule, sign.source, sign.by, sign.at) == ("stale_kr", "label", editor,
                                                          datetime.fromisoformat(LABEL_ADDED))
