"""Planner doctor and setup against the sandbox's Graph: categories named once, problems with their fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from okr_sync.mapping.status_colours import PLANNER_SLOT_COLOURS
from tests.admin.support import demo_config, doctor_json, failures, invoke
from tests.conftest import SandboxControl

PLANNER_ONLY = """
trackers:
  planner:
    kind: planner
    tenant_id: 00000000-0000-0000-0000-000000000000
    client_id: 11111111-1111-1111-1111-111111111111
    graph_url: ${SANDBOX_GRAPH_URL}
    authority: ${SANDBOX_AUTHORITY}
    ca_cert: ${SANDBOX_CA_CERT}
    auth: {kind: client_secret, client_secret: "${SANDBOX_PLANNER_SECRET}"}
    scope: {plans: ["${SANDBOX_PLAN_ID}"]}
"""


def test_setup_planner_names_free_categories_once(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("empty")
    control = SandboxControl(sb.control_url)
    config = tmp_path / "okr-sync.yaml"
    config.write_text(PLANNER_ONLY, encoding="utf-8")
    code, checks = doctor_json(config, sb)
    assert code == 3
    [failed] = failures(checks)
    assert failed["topic"].startswith("categories of plan ") and "'On track'" in failed["detail"]
    assert "okr-sync setup planner --apply" in failed["fix"]

    code, output = invoke(["setup", "planner", "--apply", "--config", str(config)], sb)
    assert code == 0, output
    assert output.count("done     planner: name category") == 6
    [details] = control.state()["planner"]["planDetails"]
    named = {k: v for k, v in details["categoryDescriptions"].items() if v}
    # acceptance 4 (issue 20): each status category sits in the slot of its colour (Planner's are fixed)
    assert named == {"category10": "Not started", "category4": "On track", "category3": "At risk",
                     "category2": "Off track", "category5": "Done", "category14": "Blocked"}
    assert {PLANNER_SLOT_COLOURS[slot] for slot in named} == {"gray", "green", "yellow", "red", "blue", "orange"}

    control.reset_requests()
    code, output = invoke(["setup", "planner", "--apply", "--config", str(config)], sb)
    assert code == 0 and "planner: nothing to do" in output
    assert control.requests()["writes"] == 0
    code, checks = doctor_json(config, sb)
    assert code == 0 and failures(checks) == []


def test_setup_never_renames_a_named_category(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    control = SandboxControl(sb.control_url)
    before = control.state()["planner"]["planDetails"]
    config = demo_config(tmp_path, ("details_block: true", "details_block: true\n    blocked_category: Impeded"))
    code, output = invoke(["setup", "planner", "--apply", "--config", str(config)], sb)
    assert code == 0, output
    assert output.count("done     planner: name category Impeded") == 1
    after = control.state()["planner"]["planDetails"]
    for old, new in zip(before, after, strict=True):
        kept = {k: v for k, v in old["categoryDescriptions"].items() if v}
        assert {k: new["categoryDescriptions"][k] for k in kept} == kept


def test_planner_problems_with_their_fixes(sandbox: Any, tmp_path: Path) -> None:
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "planner", SANDBOX_PLANNER_SECRET="wrong-secret-987")
    assert code == 3
    [failed] = failures(checks)
    assert failed["topic"] == "credentials" and "client_secret" in failed["fix"]
    assert "wrong-secret-987" not in failed["detail"] + failed["fix"]

    task = "pTd1573e7758e85f8e9f5fb6cdf6"
    code, checks = doctor_json(demo_config(tmp_path, (f"task: {task}", "task: pTnothere")), sandbox, "planner")
    assert code == 3
    [failed] = failures(checks)
    assert failed["topic"] == "home pTnothere" and "OBJ2-KR1's home task" in failed["detail"]
    assert "correct the home task id of OBJ2-KR1" in failed["fix"]
