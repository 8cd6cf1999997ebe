"""Pulling Azure DevOps work items against the emulator: WIQL narrowing under the 20,000 cap, batches of 200
with only the needed fields, the watermark's overlap and de-duplication, state categories, link rules,
blocked, points and planned weeks — and what each costs in requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from okr_sync.config.errors import SkippableError
from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
from okr_sync.connectors.base import PullSpec
from okr_sync.mapping import HomeItem
from tests.contract.harness_azure_devops import NO_SLEEP, Client, settings_for

WIQL = "POST /ado/okr/{project}/_apis/wit/wiql"
BATCH = "POST /ado/okr(?:/(?P<project>[^/_][^/]*))?/_apis/wit/workitemsbatch"


def _connector(sb: Any, **overrides: Any) -> AzureDevOpsConnector:
    return AzureDevOpsConnector("ado", settings_for(sb, **overrides), sleep=NO_SLEEP)


def _calls(control: Any) -> dict[str, int]:
    return {route: count for route, count in control.requests()["by_route"].items()}


def test_wiql_cap_is_narrowed_by_changed_date_windows(make_sandbox: Callable[..., Any],
                                                      control_of: Callable[..., Any]) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [{"title": f"Item {n}", "tags": ["kr:OBJ1-KR1"], "changed": (start + timedelta(seconds=10 * n)).isoformat()}
            for n in range(20_001)]
    sb = make_sandbox({"azure_devops": {"work_items": rows}})
    control = control_of(sb)
    connector = _connector(sb)
    control.reset_requests()
    result = connector.pull(None, PullSpec())
    assert len(result.items) == 20_001 and len({i.key for i in result.items}) == 20_001
    assert result.full
    calls = _calls(control)
    wiql = sum(n for route, n in calls.items() if route.endswith("/_apis/wit/wiql"))
    batches = sum(n for route, n in calls.items() if route.endswith("workitemsbatch"))
    assert 3 <= wiql <= 49, "halving the window (26 years down to minutes at worst) narrows it"
    assert batches == 101, "⌈20,001 / 200⌉ batch reads"


def test_a_minute_with_too_many_changes_is_reported(make_sandbox: Callable[..., Any]) -> None:
    rows = [{"title": f"Item {n}", "changed": "2026-02-02T10:00:30Z"} for n in range(4)]
    sb = make_sandbox({"azure_devops": {"work_items": rows, "wiql_limit": 3}})
    with pytest.raises(SkippableError) as caught:
        _connector(sb).puller.changed_ids(datetime(2026, 2, 2, 10, 0, tzinfo=UTC),
                                          datetime(2026, 2, 2, 10, 1, tzinfo=UTC))
    assert "more than 20,000 work items of project Portal" in str(caught.value)
    assert "narrow scope.area_paths or scope.wiql" in str(caught.value)


def test_idle_pull_is_one_wiql_call_and_changes_come_back_once(make_sandbox: Callable[..., Any],
                                                               control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    control = control_of(sb)
    client = Client(sb)
    first = client.create("First", **{"System.Tags": "kr:OBJ1-KR1"})
    client.create("Second", **{"System.Tags": "kr:OBJ1-KR1"})
    connector = _connector(sb)
    spec = PullSpec(kr_ids=frozenset({"OBJ1-KR1"}))
    result = connector.pull(None, spec)
    assert len(result.items) == 2
    control.reset_requests()
    idle = connector.pull(result.watermark, spec)
    assert idle.items == [] and control.requests()["total"] == 1, "an idle pull is the WIQL query alone"
    client.update(first, **{"System.Title": "First (edited)"})
    changed = connector.pull(idle.watermark, spec)
    assert [i.key for i in changed.items] == [str(first)] and changed.items[0].title == "First (edited)"
    assert connector.pull(changed.watermark, spec).items == []
    mark = json.loads(changed.watermark)
    assert mark["after"] and mark["seen"][str(first)][0] == 2, "the watermark is the service's time and revs"


def test_batches_ask_only_for_the_needed_fields(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"work_items": [{"title": "A", "fields": {"System.Description": "long"}}]}})
    connector = _connector(sb)
    seen: list[Any] = []
    original = connector.transport.call

    def spy(verb: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("workitemsbatch"):
            seen.append(kwargs["body"])
        return original(verb, path, **kwargs)

    connector.transport.call = spy  # type: ignore[method-assign]
    connector.pull(None, PullSpec())
    assert seen and "System.Description" not in seen[0]["fields"] and "System.Title" in seen[0]["fields"]
    assert len(seen[0]["ids"]) <= 200


def test_translation_of_states_links_blocked_points_and_weeks(make_sandbox: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {
        "fields": [{"reference": "Custom.KeyResult", "name": "Key Result"}],
        "work_items": [
            {"type": "Epic", "title": "KR home"},  # id 1
            {"title": "Tagged", "tags": ["kr:OBJ1-KR2", "blocked"], "state": "Active", "points": 5},  # 2
            {"title": "Child", "parent": 1, "state": "Closed", "iteration": "2026-W48"},  # 3
            {"title": "[OBJ2-KR1] Prefixed", "state": "Removed", "target_date": "2026-12-02"},  # 4
            {"title": "Field", "state": "Resolved", "fields": {"Custom.KeyResult": "OBJ3-KR1",
                                                               "Microsoft.VSTS.CMMI.Blocked": "Yes"}},  # 5
            {"type": "Task", "title": "Task", "state": "New", "tags": ["week:2026-W50"],
             "fields": {"Microsoft.VSTS.Scheduling.RemainingWork": 3.5}},  # 6
        ]}}
    sb = make_sandbox(fixture)
    link = [{"label": "kr:{kr}"}, {"children_of_home": True}, {"title_prefix": "[{kr}]"},
            {"field": "Custom.KeyResult"}]
    connector = _connector(sb, link=link)
    spec = PullSpec(kr_homes={"OBJ1-KR1": HomeItem("ado", "1")},
                    kr_ids=frozenset({"OBJ1-KR1", "OBJ1-KR2", "OBJ2-KR1", "OBJ3-KR1"}))
    items = {i.key: i for i in connector.pull(None, spec).items}
    assert items["2"].kr_ids == ("OBJ1-KR2",) and items["2"].status == "in_progress" and items["2"].blocked
    assert items["2"].points == 5
    assert items["3"].kr_ids == ("OBJ1-KR1",) and items["3"].status == "done" and items["3"].planned_week == "2026-W48"
    assert items["3"].completed is not None
    assert items["4"].kr_ids == ("OBJ2-KR1",) and items["4"].status == "cancelled"
    assert items["4"].planned_week == "2026-W49" and str(items["4"].due) == "2026-12-02"
    assert items["5"].kr_ids == ("OBJ3-KR1",) and items["5"].status == "in_progress" and items["5"].blocked
    assert items["6"].status == "todo" and items["6"].points == 3.5 and items["6"].planned_week == "2026-W50"
    assert items["6"].url.endswith("/_workitems/edit/6")


def test_scope_by_area_paths_and_wiql_condition(make_sandbox: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {"work_items": [
        {"title": "Team A", "area": "Team A", "tags": ["okr"]},
        {"title": "Team A nested", "area": "Team A\\Squad", "tags": ["okr"]},
        {"title": "Team B", "area": "Team B", "tags": ["okr"]},
        {"title": "Team A untagged", "area": "Team A"},
    ]}}
    sb = make_sandbox(fixture)
    scope = {"project": "Portal", "area_paths": ["Portal\\Team A"], "wiql": "[System.Tags] CONTAINS 'okr'"}
    titles = sorted(i.title for i in _connector(sb, scope=scope).pull(None, PullSpec()).items)
    assert titles == ["Team A", "Team A nested"]


def test_unknown_state_is_an_item_problem_not_a_failed_pull(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"work_items": [{"title": "Odd", "state": "Exploded"}, {"title": "Fine"}]}})
    result = _connector(sb).pull(None, PullSpec())
    assert [i.title for i in result.items] == ["Fine"]
    assert any("state 'Exploded' has no known category" in p.message for p in result.problems)
