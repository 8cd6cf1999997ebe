"""Issue 18: listing Jira users within what each deployment serves (people import), against the emulator.

Data Center 10 caps ``/user/search`` at 100 and pages inside that cap (JRASERVER-78520/78660): the old
single query stopped at 100 without a word. Cloud's ``/users/search`` pages come back short (hidden
accounts dropped after paging) and overlap; e-mails are hidden by profile visibility.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.config.people import Person
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.engine.people import propose_import
from tests.contract.harness_jira import settings
from tests.sandbox.jira_support import raw

BOT = [{"name": "okr-bot", "displayName": "OKR Sync Bot", "token": "sandbox-jira-token"}]


def people(count: int) -> list[dict[str, Any]]:
    """Users whose names start with many different letters and digits, a few sharing long prefixes."""
    out = []
    for i in range(count):
        first = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7) % 36]
        surname = ("Souza", "Lima", "Costa", "Reis", "Alves", "Rocha")[i % 6]
        out.append({"name": f"{first}{i:04d}", "displayName": f"{surname} {first}{i:04d}"})
    return out


def connector(sb: Any) -> JiraConnector:
    return JiraConnector("jira", settings(sb.info["jira"]), sleep=lambda _: None)


def test_data_center_10_lists_every_user_past_its_cap_of_100(make_sandbox: Callable[..., Any],
                                                            control_of: Callable[..., Any]) -> None:
    sb = make_sandbox({"jira": {"deployment": "Server", "users": BOT + people(260)}})
    # the emulator is as unkind as DC 10: 100 at most, and startAt pages inside those 100
    assert len(raw(sb, "GET", "/rest/api/2/user/search?username=.&maxResults=1000")[2]) == 100
    assert raw(sb, "GET", "/rest/api/2/user/search?username=.&startAt=100&maxResults=100")[2] == []
    conn = connector(sb)
    control = control_of(sb)
    control.reset_requests()
    users = conn.list_users()
    assert sorted(u["identity"] for u in users) == sorted(["okr-bot", *(p["name"] for p in people(260))])
    assert conn.listing_notes == []
    # ".", then 40 prefixes, then the prefixes whose first letter (or surname) still hits the cap
    assert control.requests()["total"] <= 1 + 40 + 40 * 8


def test_data_center_10_says_which_prefix_it_could_not_list(make_sandbox: Callable[..., Any]) -> None:
    crowd = [{"name": f"maria.souza{i:03d}", "displayName": f"Maria Souza {i}"} for i in range(101)]
    sb = make_sandbox({"jira": {"deployment": "Server", "users": BOT + crowd}})
    conn = connector(sb)
    users = conn.list_users()
    assert len(users) >= 100 and conn.listing_notes, "never silently stops at the cap"
    assert all("maria" in note and "by hand" in note for note in conn.listing_notes)


def test_older_servers_page_by_1000(make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
    sb = make_sandbox({"jira": {"deployment": "Server", "version": "9.12.15", "users": BOT + people(1200)}})
    control = control_of(sb)
    control.reset_requests()
    users = connector(sb).list_users()
    assert len(users) == 1201
    assert control.requests()["by_route"]["GET /jira/rest/api/2/user/search"] == 2


def test_cloud_short_and_overlapping_pages_and_hidden_emails(make_sandbox: Callable[..., Any]) -> None:
    crowd = [{"name": f"u{i:03d}", "displayName": f"User {i:03d}", "hidden": i % 9 == 4,
              "email_visible": i % 10 == 0} for i in range(230)]
    apps = [{"name": "automation", "displayName": "Automation for Jira", "accountType": "app"},
            {"name": "gone", "displayName": "Former Colleague", "active": False}]
    sb = make_sandbox({"jira": {"deployment": "Cloud", "users": BOT + crowd + apps}})
    page = raw(sb, "GET", "/rest/api/2/users/search?startAt=100&maxResults=100")[2]
    assert len(page) < 101 and page[0]["displayName"] == "User 098", "short (hidden dropped) and overlapping"
    users = connector(sb).list_users()
    visible = [u for u in crowd if not u["hidden"]]
    assert sorted(u["name"] for u in users if u["name"] != "OKR Sync Bot") == sorted(u["displayName"] for u in visible)
    assert len({u["identity"] for u in users}) == len(users), "each account once"
    emails = {u["name"]: u["email"] for u in users}
    assert emails["User 010"] == "u010@sandbox.example" and emails["User 011"] is None


def test_people_without_visible_email_match_by_identity_or_name() -> None:
    directory = [Person(id="ana", name="Ana Costa", email="ana@mpe.example.gov"),
                 Person(id="rui", name="Rui Lima", email="rui@pge.example.gov", identities={"jira": "acc-rui"}),
                 Person(id="bea", name="Bea Reis", email="bea@pge.example.gov"),
                 Person(id="bea2", name="Bea Reis", email="bea2@pge.example.gov")]
    users = [{"identity": "acc-ana", "name": "ana costa", "email": None},
             {"identity": "acc-rui", "name": "Rui L.", "email": None},
             {"identity": "acc-bea", "name": "Bea Reis", "email": None},
             {"identity": "acc-x", "name": "Someone Else", "email": None}]
    proposal = propose_import("jira", directory, users)
    assert proposal.by_name == [{"id": "ana", "identities": {"jira": "acc-ana"}}]
    assert proposal.already_mapped == 1
    assert [u["identity"] for u in proposal.without_email] == ["acc-bea", "acc-x"]  # two Beas: not guessed
