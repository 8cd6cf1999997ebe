"""Issue 19 on Planner: a KR owner types ``okr-value: 3,6`` on a 3.2 → 4.0 quality KR.

Through the engine, the real msgraph-sdk and the sandbox's Graph emulator. Under ``locale: pt-BR`` the
value is 3.6 (half-way, 50 %), never 36 (Done, 100 %, as before). Under ``en`` it is ambiguous: not used,
and said so on the home task, in the cycle's problems and in ``status``; the same goes for a value typed by
someone who is not the KR owner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from okr_sync.cli.main import app
from okr_sync.config.models import Settings
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.engine.cycle import Engine
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.contract.harness_planner import CLIENT_STATE, NO_SLEEP, STATUS_LABELS

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PLAN = "planQA0000000000000000000001"
HOME = "pTqualityhome00000000000001"
OWNER = {"id": "b2b2b2b2-0000-4000-8000-000000000002", "displayName": "Ana Ruiz",
         "userPrincipalName": "ana@pge.example", "mail": "ana@pge.example"}
CLERK = {"id": "c3c3c3c3-0000-4000-8000-000000000003", "displayName": "Bruno Dias",
         "userPrincipalName": "bruno@pge.example", "mail": "bruno@pge.example"}


def fixture(value: str, by: dict[str, Any]) -> dict[str, Any]:
    return {"planner": {"users": [OWNER, CLERK], "plans": [{
        "id": PLAN, "title": "Quality", "categories": STATUS_LABELS, "buckets": [{"name": "Key Results"}],
        "tasks": [{"id": HOME, "title": "OBJ1-KR1: Satisfaction with answers", "bucket": "Key Results",
                   "checklist": [{"title": f"okr-value: {value}", "by": by["id"], "at": "2026-11-20T10:00:00Z"}]}],
    }]}}


def config(sb: Sandbox, tmp_path: Path, locale: str) -> dict[str, Any]:
    info = sb.info["planner"]
    planner = {"kind": "planner", "tenant_id": info["tenant_id"], "client_id": info["client_id"],
               "auth": {"client_secret": info["client_secret"]}, "graph_url": info["graph_url"],
               "authority": info["authority"], "ca_cert": info["ca_cert"], "scope": {"plans": [PLAN]},
               "link": [{"title_prefix": "[{kr}]"}], "timeout": 5, "max_retry_time": "20s",
               "webhook_client_state": CLIENT_STATE}
    return {
        "locale": locale, "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
        "trackers": {"planner": planner},
        "people": [{"id": "ana", "name": "Ana Ruiz", "identities": {"planner": OWNER["id"]}},
                   {"id": "bruno", "name": "Bruno Dias", "identities": {"planner": CLERK["id"]}}],
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Answers citizens trust", "why": "Trust",
                        "owner": "ana", "key_results": [{
                            "id": "OBJ1-KR1", "title": "Satisfaction with answers", "owner": "ana",
                            "kind": "quality", "home": {"tracker": "planner", "task": HOME},
                            "measure": {"type": "metric", "baseline": 3.2, "target": 4.0, "source": "manual"}}]}],
    }


def settings(sb: Sandbox, tmp_path: Path, locale: str) -> Settings:
    return Settings.model_validate(config(sb, tmp_path, locale))


def run(sb: Sandbox, tmp_path: Path, locale: str) -> tuple[Any, dict[str, Any]]:
    config = settings(sb, tmp_path, locale)
    store = StateStore.open(config.state.url)
    connector = PlannerConnector("planner", config.trackers["planner"], sleep=NO_SLEEP)  # type: ignore[arg-type]
    engine = Engine(config, store, {"planner": connector}, clock=lambda: NOW)
    report = engine.cycle()
    home = next(t for t in sb.snapshot()["planner"]["tasks"] if t["id"] == HOME)
    store.close()
    connector.close()
    return report, home


def description(sb: Sandbox) -> str:
    details = sb.snapshot()["planner"]["taskDetails"]
    found = details[HOME] if isinstance(details, dict) else next(d for d in details if d["id"] == HOME)
    return str(found.get("description") or "")


def test_a_decimal_comma_under_pt_br_is_three_point_six_not_thirty_six(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = make_sandbox(fixture("3,6", OWNER))
    report, home = run(sb, tmp_path, "pt-BR")
    status = report.computed.key_results["OBJ1-KR1"]
    assert status.current == 3.6 and abs(status.progress - 0.5) < 1e-9
    assert status.status.value != "done"
    assert home["percentComplete"] == 50


def test_an_ambiguous_value_is_not_used_and_says_why_on_the_task_and_in_the_problems(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = make_sandbox(fixture("3,6", OWNER))
    report, home = run(sb, tmp_path, "en")
    status = report.computed.key_results["OBJ1-KR1"]
    why = "value 3,6 typed by Ana Ruiz on 2026-11-20, not used: '3,6' is ambiguous"
    assert status.current is None and status.progress == 0 and home["percentComplete"] == 0
    assert any(note.startswith(why) and note.endswith("write 3.6") for note in status.provenance.notes)
    assert "no manual value entered yet" not in status.provenance.notes
    assert any(p.startswith(f"planner: KR OBJ1-KR1: {why}") for p in report.as_json()["problems"])
    assert report.exit_code == 1
    assert why in description(sb)


def test_a_value_typed_by_someone_else_is_not_used_and_says_so(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = make_sandbox(fixture("3.6", CLERK))
    report, home = run(sb, tmp_path, "en")
    why = "value 3.6 typed by Bruno Dias on 2026-11-20, not used: Bruno Dias is not the KR owner"
    assert report.computed.key_results["OBJ1-KR1"].current is None and home["percentComplete"] == 0
    assert f"planner: KR OBJ1-KR1: {why}" in report.problems
    assert why in description(sb)


def test_once_and_status_say_why_a_value_is_not_used(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    """Acceptance 2 through the CLI: ``once --json`` lists it under problems; ``status`` (text and JSON)."""
    sb = make_sandbox(fixture("3,6", OWNER))
    path = tmp_path / "okr-sync.yaml"
    path.write_text(yaml.safe_dump(config(sb, tmp_path, "en")), encoding="utf-8")
    why = "value 3,6 typed by Ana Ruiz on 2026-11-20, not used: '3,6' is ambiguous in locale en"
    once = CliRunner().invoke(app, ["once", "--config", str(path), "--json"], catch_exceptions=False)
    assert once.exit_code == 1
    assert [p for p in json.loads(once.output)["problems"] if why in p] != []
    again = CliRunner().invoke(app, ["once", "--config", str(path), "--json"], catch_exceptions=False)
    assert [p for p in json.loads(again.output)["problems"] if why in p] != [], "said until it is fixed"
    text = CliRunner().invoke(app, ["status", "--config", str(path)], env={"COLUMNS": "200"},
                              catch_exceptions=False).output
    assert "not used" in text and f"OBJ1-KR1: {why}" in " ".join(text.split())
    data = json.loads(CliRunner().invoke(app, ["status", "--config", str(path), "--json"],
                                         catch_exceptions=False).output)
    [kr] = data["key_results"]
    assert any(note.startswith(why) for note in kr["provenance"]["notes"])


def test_a_configuration_change_recomputes_from_a_full_read_on_the_next_cycle(
        make_sandbox: Callable[..., Sandbox], control_of: Callable[..., Any], tmp_path: Path) -> None:
    """The owner's value is ignored while the owner has no Planner identity; once the admin adds it, the
    next (incremental) cycle reads the home again and uses the value — no ``--full`` needed."""
    sb = make_sandbox(fixture("3,6", OWNER))
    data = config(sb, tmp_path, "pt-BR")
    data["people"][0] = {"id": "ana.ruiz", "name": "Ana Ruiz"}  # no identity yet
    data["objectives"][0]["owner"] = data["objectives"][0]["key_results"][0]["owner"] = "ana.ruiz"

    def cycle() -> Any:
        settings = Settings.model_validate(data)
        store = StateStore.open(settings.state.url)
        connector = PlannerConnector("planner", settings.trackers["planner"], sleep=NO_SLEEP)  # type: ignore[arg-type]
        try:
            return Engine(settings, store, {"planner": connector}, clock=lambda: NOW).cycle()
        finally:
            store.close()
            connector.close()

    first = cycle()
    assert first.computed.key_results["OBJ1-KR1"].current is None
    assert f"planner: KR OBJ1-KR1: value 3,6 typed by {OWNER['id']} on 2026-11-20, not used: {OWNER['id']} is " \
           "not the KR owner as far as okr-sync knows: Ana Ruiz has no planner identity in the people " \
           "directory; add it" in first.problems
    control = control_of(sb)
    control.reset_requests()
    idle = cycle()
    assert idle.computed.key_results["OBJ1-KR1"].current is None
    idle_calls = control.requests()["total"]
    data["people"][0]["identities"] = {"planner": OWNER["id"]}
    control.reset_requests()
    fixed = cycle()
    assert fixed.computed.key_results["OBJ1-KR1"].current == 3.6 and fixed.problems == []
    assert control.requests()["total"] > idle_calls, "the changed configuration made this cycle read everything"
    assert next(t for t in sb.snapshot()["planner"]["tasks"] if t["id"] == HOME)["percentComplete"] == 50


def test_doctor_warns_when_a_manual_krs_owner_has_no_identity_on_its_home_tracker(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from okr_sync.cli.doctor import run_doctor

    sb = make_sandbox(fixture("3,6", OWNER))
    data = config(sb, tmp_path, "pt-BR")
    assert [c for c in run_doctor(Settings.model_validate(data)).checks if c.topic == "KR OBJ1-KR1 owner"] == []
    data["people"][0] = {"id": "ana", "name": "Ana Ruiz"}
    [check] = [c for c in run_doctor(Settings.model_validate(data)).checks if c.topic == "KR OBJ1-KR1 owner"]
    assert (check.tracker, check.level) == ("planner", "warn")
    assert check.detail == ("Ana Ruiz, owner of KR OBJ1-KR1, has no planner identity in the people directory: "
                            "values they type on the KR's home are not used")
    assert check.fix.startswith("add identities: {planner: <their planner identity>} to person ana")
