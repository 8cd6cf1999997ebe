"""Write-back on Azure DevOps KR home work items against the emulator: the JSON Patch with ``test /rev`` (a
conflict re-reads and re-applies once, a second one fails that write only), people's tags kept, comments
found by marker and author across continuation tokens, the owner's manual value, unchanged → no write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.mapping import CheckIn, HomeItem, ItemRef, KrStatusValue, WeekExecution
from okr_sync.mapping.markers import checkin_marker, wrap_marker
from okr_sync.sandbox.ado import AdoEmulator
from okr_sync.sandbox.ado_store import AdoError
from tests.contract.harness_azure_devops import NO_SLEEP, Client, kr_status, settings_for


def _setup(make_sandbox: Callable[..., Any], fixture: Any = "empty", **overrides: Any) -> tuple[Any, Client,
                                                                                                AzureDevOpsConnector]:
    sb = make_sandbox(fixture)
    return sb, Client(sb), AzureDevOpsConnector("ado", settings_for(sb, **overrides), sleep=NO_SLEEP)


def _patches_and_comments(control: Any) -> int:
    """Requests that change something (POST is also how WIQL and batch reads are sent)."""
    return sum(n for route, n in control.requests()["by_route"].items()
               if route.startswith("PATCH ") or (route.endswith("/comments") and route.startswith("POST ")))


def _desired(home: HomeItem, progress: float = 0.42, status: KrStatusValue = KrStatusValue.ON_TRACK) -> DesiredHome:
    return DesiredHome(home=home, subject_id="OBJ1-KR1", title="KR OBJ1-KR1", status=kr_status("OBJ1-KR1", progress,
                                                                                              status))


def test_write_back_keeps_peoples_tags_and_is_idempotent(make_sandbox: Callable[..., Any],
                                                         control_of: Callable[..., Any]) -> None:
    sb, client, connector = _setup(make_sandbox)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic", **{"System.Tags": "budget; okr-status:at-risk"})))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    writes = connector.plan_writes([_desired(home)], connector.read_homes([home], spec))
    assert [w.target for w in writes] == ["status tag", "status comment"]
    assert writes[0].describe().endswith("okr-status:at-risk → okr-status:on-track")
    assert all(r.ok for r in connector.apply(writes))
    tags = client.get(int(home.key))["fields"]["System.Tags"]
    assert tags == "budget; okr-status:on-track"
    control = control_of(sb)
    control.reset_requests()
    assert connector.plan_writes([_desired(home)], connector.read_homes([home], spec)) == []
    assert _patches_and_comments(control) == 0


def test_rev_conflict_rereads_and_reapplies_once(make_sandbox: Callable[..., Any]) -> None:
    _, client, connector = _setup(make_sandbox)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic", **{"System.Tags": "budget"})))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    writes = [w for w in connector.plan_writes([_desired(home)], connector.read_homes([home], spec))
              if w.target == "status tag"]
    client.update(int(home.key), **{"System.Tags": "budget; urgent"})  # a person edits between read and write
    before = connector.requests_made
    [result] = connector.apply(writes)
    assert result.ok
    assert client.get(int(home.key))["fields"]["System.Tags"] == "budget; urgent; okr-status:on-track"
    assert connector.requests_made - before == 3, "PATCH refused (412), GET fresh copy, PATCH again"


class AlwaysChanged(AdoEmulator):
    """Someone else changes every work item right before each okr-sync update (412 TF26071 every time)."""

    def _patch(self, request: Any, user: Any, base: str, item: str, project: str | None = None) -> Any:
        raise AdoError(412, "TF26071: This work item has been changed by someone else since you opened it.",
                       "WorkItemRevisionMismatchException")


def test_second_conflict_fails_that_write_only(make_sandbox: Callable[..., Any],
                                               control_of: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", emulator_factories={"azure_devops": AlwaysChanged})
    client = Client(sb)
    connector = AzureDevOpsConnector("ado", settings_for(sb), sleep=NO_SLEEP)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    writes = connector.plan_writes([_desired(home)], connector.read_homes([home], spec))
    control = control_of(sb)
    control.reset_requests()
    results = {r.write.target: r for r in connector.apply(writes)}
    assert not results["status tag"].ok and results["status comment"].ok
    error = results["status tag"].error
    assert error is not None and "changed by someone else" in error.message
    assert "okr-status" not in str(client.get(int(home.key))["fields"].get("System.Tags"))
    patches = sum(n for route, n in control.requests()["by_route"].items() if route.startswith("PATCH "))
    assert patches == 2, "one re-read and one re-apply, then the write is left for the next cycle"


def test_comments_are_found_by_marker_and_author_past_continuation_tokens(make_sandbox: Callable[..., Any]) -> None:
    sb, client, connector = _setup(make_sandbox, {"azure_devops": {"comments_page": 2}})
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    connector.apply(connector.plan_writes([_desired(home)], connector.read_homes([home], spec)))
    other = Client(sb, pat=None)
    for n in range(4):  # push okr-sync's comment to the first page and add people's comments after it
        other.comment(int(home.key), f"people talk {n}")
    state = connector.read_homes([home], spec)[home]
    assert "okr-sync:status:OBJ1-KR1" in state.values["comments"]
    changed = _desired(home, 0.7, KrStatusValue.AT_RISK)
    writes = [w for w in connector.plan_writes([changed], {home: state}) if w.target == "status comment"]
    assert writes and writes[0].payload["comment_id"] is not None, "edited in place, never a second comment"
    connector.apply(writes)
    mine = [c for c in client.comments(int(home.key)) if "okr-sync:status:" in c["text"]]
    assert len(mine) == 1 and c_version(mine[0]) == 2


def c_version(comment: dict[str, Any]) -> int:
    return int(comment["version"])


def test_a_person_quoting_a_marker_is_not_okr_syncs_comment(make_sandbox: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {"users": [{"name": "Ana", "email": "ana@agency.gov", "pat": "ana-pat"}]}}
    sb, client, connector = _setup(make_sandbox, fixture)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    ana = Client(sb, pat="ana-pat")
    marker = wrap_marker(checkin_marker("OBJ1-KR1", "2026-W49"), "markdown")
    ana.comment(int(home.key), f"{marker}\nI copied last week's check-in here")
    state = connector.read_homes([home], PullSpec(kr_homes={"OBJ1-KR1": home}))[home]
    assert state.values["comments"] == {}


def test_manual_value_counts_only_from_the_owner(make_sandbox: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {"users": [{"name": "Ana", "email": "ana@agency.gov", "pat": "ana-pat"},
                                          {"name": "Bo", "email": "bo@agency.gov", "pat": "bo-pat"}]}}
    sb, client, connector = _setup(make_sandbox, fixture)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    Client(sb, pat="ana-pat").comment(int(home.key), "okr-value: 1.234,5\nnumbers from the registry")
    Client(sb, pat="bo-pat").comment(int(home.key), "okr-value: 99")
    spec = PullSpec(kr_homes={"OBJ1-KR1": home}, manual_homes={home: "OBJ1-KR1"},
                    owners={"OBJ1-KR1": "ana@agency.gov"}, locale="pt-BR")
    state = connector.read_homes([home], spec)[home]
    assert state.manual is not None and state.manual.value == 1234.5
    assert [i.name for i in state.ignored] == ["bo@agency.gov"]


def test_checkin_comment_once_per_week(make_sandbox: Callable[..., Any]) -> None:
    _, client, connector = _setup(make_sandbox)
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    execution = WeekExecution(week="2026-W49", planned=2, executed=1, rate=0.5, unplanned=0)
    checkin = CheckIn(kr_id="OBJ1-KR1", week="2026-W49", progress=0.4, previous_progress=0.3,
                      done_this_week=(ItemRef("7", "Publish data", "ana@agency.gov"),), findings=(), blocked=(),
                      overdue=(), plans=(), execution=execution, next_week="2026-W50",
                      status=KrStatusValue.ON_TRACK, expected=0.4, forecast=None,
                      generated_at=datetime(2026, 12, 3, 9, tzinfo=UTC))
    desired = DesiredHome(home=home, subject_id="OBJ1-KR1", title="KR OBJ1-KR1", status=kr_status("OBJ1-KR1", 0.4),
                          checkin=checkin, owner_mention="Ana Souza")
    writes = connector.plan_writes([desired], connector.read_homes([home], spec))
    assert "check-in 2026-W49" in [w.target for w in writes]
    assert all(r.ok for r in connector.apply(writes))
    assert connector.plan_writes([desired], connector.read_homes([home], spec)) == []
    texts = [c["text"] for c in client.comments(int(home.key))]
    assert sum("okr-sync:checkin:OBJ1-KR1:2026-W49" in t for t in texts) == 1
    assert any(t.startswith("<!-- okr-sync:checkin:") and "Ana Souza" in t for t in texts)


def test_custom_fields_are_written_in_the_same_patch(make_sandbox: Callable[..., Any],
                                                     control_of: Callable[..., Any]) -> None:
    fixture = {"azure_devops": {"fields": [{"reference": "Custom.OKRStatus", "name": "OKR Status"},
                                           {"reference": "Custom.OKRProgress", "name": "OKR Progress",
                                            "type": "double"}]}}
    sb, client, connector = _setup(make_sandbox, fixture, write={"status_field": "Custom.OKRStatus",
                                                                 "progress_field": "Custom.OKRProgress",
                                                                 "status_comment": False})
    home = HomeItem("ado", str(client.create("KR home", kind="Epic")))
    spec = PullSpec(kr_homes={"OBJ1-KR1": home})
    control = control_of(sb)
    control.reset_requests()
    connector.apply(connector.plan_writes([_desired(home)], connector.read_homes([home], spec)))
    fields = client.get(int(home.key))["fields"]
    assert fields["Custom.OKRStatus"] == "on-track" and fields["Custom.OKRProgress"] == 42.0
    assert _patches_and_comments(control) == 1, "tag and both fields in one JSON Patch"
