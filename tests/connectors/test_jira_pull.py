"""Jira connector pulls against the sandbox (real ``jira`` library), on Cloud and on Server.

Request accounting comes from the sandbox's own counters, never from the connector's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okr_sync.config.errors import AuthError, ConfigurationError
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.jira.pull import CLOUD_PAGE, SERVER_PAGE
from okr_sync.mapping import HomeItem, StatusCategory
from tests.contract.harness_jira import JiraSite, settings

API = "/jira/rest/api/2"
SEARCH = {"Cloud": f"GET {API}/search/jql", "Server": f"GET {API}/search"}
SET_UP = {f"GET {API}/serverInfo": 1, f"GET {API}/field": 1}


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    sb = make_sandbox("empty", jira_deployment=request.param)
    s = JiraSite(sb)
    yield s
    s.close()


def connector(site: JiraSite, **overrides: Any) -> JiraConnector:
    return JiraConnector("jira", settings(site.info, **overrides), sleep=lambda _: None)


def test_first_pull_costs_pages_plus_set_up_and_idle_pull_costs_one_search(
        site: JiraSite, control_of: Callable[..., Any]) -> None:
    keys = [site.create_issue(f"Plan item {n}", labels=["kr:OBJ1-KR1"]) for n in range(CLOUD_PAGE + 1)]
    control = control_of(site.sandbox)
    control.advance(600)  # a later edit: the overlap window after the first pull holds just that one item
    keys.append(site.create_issue("Late plan item", labels=["kr:OBJ1-KR1"]))
    control.reset_requests()
    conn = connector(site)
    first = conn.pull(None, PullSpec())
    assert sorted(i.key for i in first.items) == sorted(keys) and first.full
    assert all(i.kr_ids == ("OBJ1-KR1",) for i in first.items)
    page = CLOUD_PAGE if site.cloud else SERVER_PAGE
    search = SEARCH[site.info["deployment"]]
    expected = {**SET_UP, search: math.ceil(len(keys) / page)}
    assert control.requests()["by_route"] == expected
    assert conn.requests_made == sum(expected.values())

    control.reset_requests()
    conn.pull(first.watermark, PullSpec())  # first incremental pull also reads myself.timeZone (set-up)
    assert control.requests()["by_route"] == {f"GET {API}/myself": 1, search: 1}
    control.reset_requests()
    idle = conn.pull(first.watermark, PullSpec())
    assert idle.items == [] and not idle.full
    assert control.requests()["by_route"] == {search: 1}

    site.edit(keys[7], summary="Plan item 7, rescheduled")
    changed = conn.pull(idle.watermark, PullSpec())
    assert [i.key for i in changed.items] == [keys[7]]
    assert changed.items[0].title == "Plan item 7, rescheduled"
    assert conn.pull(changed.watermark, PullSpec()).items == []


def test_incremental_window_is_written_in_the_users_time_zone(make_sandbox: Callable[..., Any]) -> None:
    bot = {"name": "okr-bot", "displayName": "OKR Sync Bot", "token": "sandbox-jira-token",
           "timeZone": "America/Sao_Paulo"}  # UTC-3: a UTC literal read there would lie 3 h in the future
    sb = make_sandbox({"jira": {"users": [bot]}}, jira_deployment="server")
    site = JiraSite(sb)
    key = site.create_issue("Plan item", labels=["kr:OBJ1-KR1"])
    conn = connector(site, overlap="1m")
    first = conn.pull(None, PullSpec())
    assert [i.key for i in first.items] == [key]
    site.edit(key, summary="Plan item, edited")
    again = conn.pull(first.watermark, PullSpec())
    assert [i.title for i in again.items] == ["Plan item, edited"]
    assert again.items[0].updated is not None and again.items[0].updated.utcoffset() is not None
    site.close()


def test_link_rules_statuses_points_and_numbers(site: JiraSite) -> None:
    site.create_field("Story Points", "number")
    site.create_field("Amount Recovered", "number")
    kr_field = site.create_field("Key Result", "string")
    home = site.create_issue("KR: recover debt", kind="Key Result")
    other_home = site.create_issue("KR: settle faster", kind="Key Result")
    by_label = site.create_issue("Label", labels=["kr:OBJ1-KR1", "kr:OBJ9-KR9", "team-a"],
                                 **{site.field_id("Story Points"): 5, site.field_id("Amount Recovered"): 1.5})
    by_title = site.create_issue("[OBJ1-KR2] Title prefix")
    by_field = site.create_issue("Field", **{kr_field: "OBJ1-KR3"})
    child = site.create_issue("Child", kind="Sub-task", parent=home)
    linked = site.create_issue("Linked")
    site.client.create_issue_link("Relates", linked, other_home)
    unlinked = site.create_issue("Nothing")
    site.transition(by_label, "In Progress")
    site.transition(by_title, "Done")
    site.transition(by_field, "Done", resolution="Won't Do")
    links = [{"label": "kr:{kr}"}, {"title_prefix": "[{kr}]"}, {"field": "Key Result"}, {"children_of_home": True},
             {"issue_link": "Relates"}]
    conn = connector(site, link=links, points_field="Story Points", blocked_statuses=["In Progress"])
    spec = PullSpec(kr_homes={"OBJ1-KR1": HomeItem("jira", home), "OBJ1-KR4": HomeItem("jira", other_home),
                              "OBJ2-KR1": HomeItem("gitlab", home)},
                    number_fields=frozenset({"Amount Recovered"}))
    items = {i.key: i for i in conn.pull(None, spec).items}
    assert items[by_label].kr_ids == ("OBJ1-KR1", "OBJ9-KR9")  # unknown KR ids are kept for mapping to report
    assert items[by_label].status == StatusCategory.IN_PROGRESS and items[by_label].blocked
    assert items[by_label].points == 5.0 and items[by_label].numbers == {"Amount Recovered": 1.5}
    assert items[by_title].kr_ids == ("OBJ1-KR2",) and items[by_title].status == StatusCategory.DONE
    assert items[by_title].completed is not None and not items[by_title].blocked
    assert items[by_field].kr_ids == ("OBJ1-KR3",) and items[by_field].status == StatusCategory.CANCELLED
    assert items[child].kr_ids == ("OBJ1-KR1",)  # the gitlab home with the same key does not count
    assert items[linked].kr_ids == ("OBJ1-KR4",)
    assert items[other_home].kr_ids == ()  # the home's link leads to work, not to a home
    assert items[unlinked].kr_ids == () and items[unlinked].status == StatusCategory.TODO
    assert items[unlinked].url == f"{site.info['url']}/browse/{unlinked}"
    assert items[by_label].assignee is None and items[by_label].tracker == "jira"


def test_flagged_issues_are_blocked(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", jira_deployment="cloud")
    site = JiraSite(sb)
    flag = site.create_field("Flagged", "string")  # created for the test as a text field; any value flags
    flagged = site.create_issue("Waiting for the registry", labels=["kr:OBJ1-KR1"], **{flag: "Impediment"})
    plain = site.create_issue("Moving", labels=["kr:OBJ1-KR1"])
    items = {i.key: i for i in connector(site).pull(None, PullSpec()).items}
    assert items[flagged].blocked and not items[plain].blocked
    site.close()


def test_only_needed_fields_are_requested(site: JiraSite, control_of: Callable[..., Any]) -> None:
    site.create_issue("Item", labels=["kr:OBJ1-KR1"], description="a long description nobody needs")
    conn = connector(site)
    spec = PullSpec()
    conn.pull(None, spec)
    from okr_sync.connectors.jira.items import BASE_FIELDS, ItemReader
    reader = ItemReader.build("jira", site.info["url"], conn.settings, conn.catalogue(), {}, frozenset())
    assert reader.field_ids() == list(BASE_FIELDS)  # no description, comments or *all
    assert "description" not in reader.field_ids()


@pytest.mark.parametrize(("setting", "value", "suggested"), [
    ("points_field", "Story Pionts", "'Story Points'"),
    ("link", [{"field": "Key Rsult"}], "'Key Result'"),
], ids=["points-typo", "link-field-typo"])
def test_unknown_field_names_suggest_the_closest(site: JiraSite, setting: str, value: Any, suggested: str) -> None:
    site.create_field("Story Points", "number")
    site.create_field("Key Result", "string")
    with pytest.raises(ConfigurationError) as caught:
        connector(site, **{setting: value}).pull(None, PullSpec())
    text = str(caught.value)
    assert suggested in text and "trackers.jira." in text and "did you mean" in text
    assert site.info["token"] not in text


def test_fields_by_id_work_too(site: JiraSite) -> None:
    points = site.create_field("Story Points", "number")
    key = site.create_issue("Item", labels=["kr:OBJ1-KR1"], **{points: 3})
    items = connector(site, points_field=points).pull(None, PullSpec()).items
    assert [(i.key, i.points) for i in items] == [(key, 3.0)]


def test_token_auth_works_on_server_and_cloud_refuses_it(site: JiraSite) -> None:
    key = site.create_issue("Item", labels=["kr:OBJ1-KR1"])
    conn = connector(site, auth={"kind": "token", "token": site.info["token"]})
    if site.cloud:  # Cloud API tokens are Basic e-mail:token; a Bearer token is refused with 401
        with pytest.raises(AuthError):
            conn.pull(None, PullSpec())
    else:
        assert [i.key for i in conn.pull(None, PullSpec()).items] == [key]
    conn.close()


def test_forced_deployment_is_used_without_guessing(make_sandbox: Callable[..., Any],
                                                      control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", jira_deployment="server")
    site = JiraSite(sb)
    site.create_issue("Item", labels=["kr:OBJ1-KR1"])
    control = control_of(sb)
    control.reset_requests()
    conn = connector(site, deployment="server")
    assert len(conn.pull(None, PullSpec()).items) == 1
    assert control.count(SEARCH["Server"]) == 1 and control.count(SEARCH["Cloud"]) == 0
    site.close()
