"""The sandbox core: start/stop, the info contract, request counting and the control API."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from okr_sync.sandbox import server as server_module
from okr_sync.sandbox.fixtures import FixtureError
from okr_sync.sandbox.server import Sandbox, SandboxError


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


def test_info_follows_the_machine_readable_contract(stub_sandbox: Sandbox) -> None:
    info = stub_sandbox.info
    assert set(info["jira"]) >= {"url", "user", "token", "deployment"}
    assert set(info["gitlab"]) >= {"url", "token", "group", "project"}
    assert set(info["planner"]) >= {"graph_url", "authority", "tenant_id", "client_id", "client_secret",
                                    "ca_cert", "plan_id"}
    base = stub_sandbox.base_url
    assert base.startswith("http://127.0.0.1:")
    assert info["jira"]["url"] == base + "/jira"
    assert info["gitlab"]["url"] == base + "/gitlab"
    assert info["planner"]["graph_url"] == base + "/graph/v1.0"
    assert info["control"] == base + "/_sandbox" == stub_sandbox.control_url
    # Cloud (the default) takes the account's e-mail with an API token; Server the user name
    assert info["jira"]["user"] == "okr-bot@sandbox.example" and info["jira"]["token"] == "sandbox-jira-token"
    assert info["jira"]["deployment"] == "Cloud"
    assert info["gitlab"]["token"] == "sandbox-gitlab-token"
    assert info["planner"]["authority"].startswith("https://127.0.0.1:")
    assert info["planner"]["tenant_id"] == "00000000-0000-0000-0000-000000000000"
    assert info["planner"]["client_id"] == "11111111-1111-1111-1111-111111111111"
    assert info["planner"]["client_secret"] == "sandbox-planner-secret"
    assert info["planner"]["plan_id"] == "plan-okr"
    with open(info["planner"]["ca_cert"], encoding="ascii") as pem:
        assert pem.read().startswith("-----BEGIN CERTIFICATE-----")
    assert call(info["control"] + "/") == (200, info)


def test_stop_frees_the_ports_and_deletes_the_certificate(stubs: dict[str, Any]) -> None:
    sb = Sandbox("empty", emulator_factories=stubs).start()
    port = int(sb.base_url.rsplit(":", 1)[1])
    ca = sb.info["planner"]["ca_cert"]
    assert call(sb.info["jira"]["url"] + "/items")[0] == 200
    sb.stop()
    assert not os.path.exists(ca)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    with pytest.raises(SandboxError, match="not running"):
        _ = sb.info


def test_requests_are_counted_by_method_and_route_template(stub_sandbox: Sandbox) -> None:
    jira, gitlab = stub_sandbox.info["jira"]["url"], stub_sandbox.info["gitlab"]["url"]
    call(jira + "/items/1")
    call(jira + "/items/2")
    call(jira + "/items", "POST", {"title": "new"})
    call(gitlab + "/items")
    call(stub_sandbox.control_url + "/state")  # control calls are not counted
    status, counts = call(stub_sandbox.control_url + "/requests")
    assert status == 200
    assert counts["by_route"] == {"GET /jira/items/{id}": 2, "POST /jira/items": 1, "GET /gitlab/items": 1}
    assert counts["total"] == 4
    assert counts["writes"] == 1
    assert counts["faulted"] == {}
    assert call(stub_sandbox.control_url + "/requests/reset", "POST")[1]["total"] == 0
    assert call(stub_sandbox.control_url + "/requests")[1]["by_route"] == {}


def test_unknown_mount_and_control_route_answer_404_json(stub_sandbox: Sandbox) -> None:
    status, body = call(stub_sandbox.base_url + "/nothing/here")
    assert status == 404 and "/jira" in body["error"]
    status, body = call(stub_sandbox.control_url + "/nope")
    assert status == 404 and "README" in body["error"]
    assert call(stub_sandbox.control_url + "/requests")[1]["total"] == 0


def test_state_returns_every_emulator_snapshot(stub_sandbox: Sandbox) -> None:
    status, state = call(stub_sandbox.control_url + "/state")
    assert status == 200
    assert set(state) == {"jira", "gitlab", "planner", "azure_devops"}
    assert [item["title"] for item in state["jira"]["items"]] == ["first", "second"]
    assert state["gitlab"]["items"] == []


def test_reset_reloads_the_fixture_and_clears_faults_and_counters(stub_sandbox: Sandbox) -> None:
    jira = stub_sandbox.info["jira"]["url"]
    assert call(jira + "/items", "POST", {"title": "third"})[0] == 201
    call(stub_sandbox.control_url + "/faults", "POST", {"route": "GET /gitlab/*", "kind": "500"})
    call(stub_sandbox.control_url + "/clock", "POST", {"now": "2026-12-01T00:00:00Z", "frozen": True})
    assert len(call(jira + "/items")[1]["items"]) == 3
    status, body = call(stub_sandbox.control_url + "/reset", "POST")
    assert status == 200 and body["reset"] is True
    assert [item["title"] for item in call(jira + "/items")[1]["items"]] == ["first", "second"]
    assert call(stub_sandbox.info["gitlab"]["url"] + "/items")[0] == 200
    assert call(stub_sandbox.control_url + "/faults")[1]["rules"] == []
    assert call(stub_sandbox.control_url + "/requests")[1]["total"] == 2
    clock = call(stub_sandbox.control_url + "/clock")[1]
    assert clock["frozen"] is False
    assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_can_be_set_frozen_and_advanced(stub_sandbox: Sandbox) -> None:
    control = stub_sandbox.control_url
    status, clock = call(control + "/clock", "POST", {"now": "2026-10-05T09:00:00Z", "frozen": True})
    assert status == 200 and clock == {"now": "2026-10-05T09:00:00+00:00", "frozen": True}
    assert call(control + "/clock", "POST", {"advance": 7 * 86400})[1]["now"] == "2026-10-12T09:00:00+00:00"
    # writes are stamped by the emulators from the same clock
    item = call(stub_sandbox.info["jira"]["url"] + "/items", "POST", {"title": "late"})[1]
    assert item["updated"].startswith("2026-10-12T09:00:00")
    running = call(control + "/clock", "POST", {"now": "2026-11-01T00:00:00Z"})[1]
    assert running["frozen"] is False and running["now"].startswith("2026-11-01T00:00")


@pytest.mark.parametrize(("body", "message"), [
    ({"now": "yesterday"}, "ISO 8601"),
    ({"advance": "a week"}, "seconds"),
    ({"advance": -5}, "seconds"),
    ({"now": "2026-10-01T00:00:00Z", "frozen": "yes"}, "true or false"),
    ({}, "advance"),
], ids=["bad-time", "advance-text", "advance-negative", "frozen-text", "empty"])
def test_bad_clock_bodies_get_400_saying_what_is_expected(
    stub_sandbox: Sandbox, body: dict[str, Any], message: str
) -> None:
    status, answer = call(stub_sandbox.control_url + "/clock", "POST", body)
    assert status == 400
    assert message in answer["error"]


def test_emulators_get_their_section_and_the_token_check(stub_sandbox: Sandbox) -> None:
    planner = stub_sandbox.emulators["planner"]
    assert planner.kwargs["token_ok"] == stub_sandbox.tokens.token_ok
    assert stub_sandbox.emulators["jira"].kwargs == {}
    assert stub_sandbox.emulators["gitlab"].items == []


def test_jira_deployment_override_reaches_the_jira_emulator(stubs: dict[str, Any]) -> None:
    with Sandbox({"jira": {"items": []}}, jira_deployment="server", emulator_factories=stubs) as sb:
        assert sb.info["jira"]["deployment"] == "Server"
    with Sandbox("empty", jira_deployment="Server", emulator_factories=stubs) as sb:
        assert sb.emulators["jira"].kwargs == {"deployment": "Server"}
    with pytest.raises(SandboxError, match="'cloud' or 'server'"):
        Sandbox("empty", jira_deployment="datacenter")


def test_a_missing_emulator_module_is_named(monkeypatch: pytest.MonkeyPatch, stubs: dict[str, Any]) -> None:
    monkeypatch.setitem(server_module.EMULATORS, "jira", ("sandbox.not_written_yet", "JiraEmulator", "/jira"))
    sb = Sandbox("empty", emulator_factories={k: v for k, v in stubs.items() if k != "jira"})
    with pytest.raises(SandboxError, match=r"sandbox/not_written_yet\.py"):
        sb.start()


def test_a_taken_port_is_reported_with_the_fix(stub_sandbox: Sandbox, stubs: dict[str, Any]) -> None:
    port = int(stub_sandbox.base_url.rsplit(":", 1)[1])
    with pytest.raises(SandboxError, match="choose another port"):
        Sandbox("empty", port=port, emulator_factories=stubs).start()


@pytest.mark.parametrize(("spec", "message"), [
    ("no-such-fixture.json", "neither 'empty', 'demo' nor an existing"),
    ({"jira": [1, 2]}, "section 'jira' must be a mapping"),
    ({"confluence": {}}, "unknown top-level section"),
], ids=["missing-file", "bad-section", "unknown-section"])
def test_bad_fixtures_are_rejected_with_the_reason(spec: Any, message: str, stubs: dict[str, Any]) -> None:
    with pytest.raises(FixtureError, match=message):
        Sandbox(spec, emulator_factories=stubs)


def test_fixture_files_in_json_and_yaml_load(tmp_path: Any, stubs: dict[str, Any]) -> None:
    (tmp_path / "f.yaml").write_text("jira:\n  items:\n    - {id: 7, title: from yaml}\n", encoding="utf-8")
    (tmp_path / "f.json").write_text(json.dumps({"gitlab": {"items": [{"id": 1}]}}), encoding="utf-8")
    with Sandbox(tmp_path / "f.yaml", emulator_factories=stubs) as sb:
        assert sb.fixture_name == "f.yaml"
        assert call(sb.info["jira"]["url"] + "/items/7")[1]["title"] == "from yaml"
    with Sandbox(str(tmp_path / "f.json"), emulator_factories=stubs) as sb:
        assert sb.snapshot()["gitlab"]["items"] == [{"id": 1}]
    (tmp_path / "bad.yaml").write_text("jira: [unclosed", encoding="utf-8")
    with pytest.raises(FixtureError, match="not valid"):
        Sandbox(tmp_path / "bad.yaml", emulator_factories=stubs)
