"""Issue 19 on Jira, with the jira library against the sandbox (Cloud and Server): the manual value and
number fields given as text are read in the configured locale; a value that does not count says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import HomeItem
from tests.contract.harness_jira import JiraSite, server_fixture, settings


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    sb = make_sandbox(server_fixture() if request.param == "server" else "empty", jira_deployment=request.param)
    s = JiraSite(sb)
    s.okr_fields()
    yield s
    s.close()


def connector(site: JiraSite) -> JiraConnector:
    return JiraConnector("jira", settings(site.info, manual_value_field="KR Current Value"), sleep=lambda _: None)


def me(site: JiraSite) -> str:
    who = site.client.myself()
    return str(who["accountId"] if site.cloud else who["name"])


def test_a_manual_value_typed_as_text_is_read_in_the_locale(site: JiraSite) -> None:
    field = site.create_field("KR Current Value", "string")
    key = site.create_issue("Satisfaction with answers", kind="Key Result")
    site.edit(key, **{field: "3,6"})
    home, conn = HomeItem("jira", key), connector(site)
    spec = PullSpec(manual_homes={home: "OBJ1-KR1"}, owners={"OBJ1-KR1": me(site)}, locale="pt-BR")
    state = conn.read_homes([home], spec)[home]
    assert state.manual is not None and state.manual.value == 3.6 and state.ignored == ()
    state = conn.read_homes([home], PullSpec(manual_homes={home: "OBJ1-KR1"}, owners={"OBJ1-KR1": me(site)}))[home]
    assert state.manual is None
    [ignored] = state.ignored
    assert ignored.sentence() == (f"value 3,6 typed by OKR Sync Bot on {ignored.at:%Y-%m-%d}, not used: '3,6' is "
                                  "ambiguous in locale en, which writes 1,234.5; write 3.6")


def test_only_the_owners_value_counts_and_the_others_say_why(site: JiraSite) -> None:
    field = site.create_field("KR Current Value", "number")
    key = site.create_issue("Cut settlement time", kind="Key Result")
    site.edit(key, **{field: 120})
    home, conn = HomeItem("jira", key), connector(site)
    owned = conn.read_homes([home], PullSpec(manual_homes={home: "OBJ1-KR2"}, owners={"OBJ1-KR2": me(site)},
                                             locale="pt-BR"))[home]
    assert owned.manual is not None and owned.manual.value == 120.0  # a number field is a number in any locale
    other = conn.read_homes([home], PullSpec(manual_homes={home: "OBJ1-KR2"},
                                             owners={"OBJ1-KR2": "maria.souza"}))[home]
    assert other.manual is None and [i.why for i in other.ignored] == ["OKR Sync Bot is not the KR owner"]
    nobody = conn.read_homes([home], PullSpec(manual_homes={home: "OBJ1-KR2"}))[home]
    assert nobody.manual is None and [i.why for i in nobody.ignored] == [
        "the KR has no owner in okr-sync.yaml; add owner (or owners)"]


def test_number_fields_given_as_text_follow_the_locale(site: JiraSite) -> None:
    field = site.create_field("Recovered", "string")
    key = site.create_issue("Recover debts of firm A", labels=["kr:OBJ1-KR3"])
    site.edit(key, **{field: "1.234,5"})
    conn = connector(site)
    spec = PullSpec(number_fields=frozenset({"Recovered"}), kr_ids=frozenset({"OBJ1-KR3"}), locale="pt-BR")
    pulled = conn.pull(None, spec)
    assert {i.key: i.numbers for i in pulled.items} == {key: {"Recovered": 1234.5}} and pulled.problems == []
    pulled = conn.pull(None, PullSpec(number_fields=frozenset({"Recovered"}), kr_ids=frozenset({"OBJ1-KR3"})))
    assert {i.key: i.numbers for i in pulled.items} == {key: {}}
    assert [p.message for p in pulled.problems] == [
        f"issue {key}: field 'Recovered' not used: '1.234,5' is ambiguous in locale en, which writes 1,234.5; "
        "write 1234.5"]
