"""``okr-sync setup``: an empty sandbox Jira gets its fields and options; a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.admin.support import demo_config, invoke
from tests.conftest import SandboxControl

JIRA_ONLY = """
trackers:
  jira:
    kind: jira
    url: ${SANDBOX_JIRA_URL}
    auth: {kind: basic, user: "${SANDBOX_JIRA_EMAIL}", token: "${SANDBOX_JIRA_TOKEN}"}
    scope: {jql: project = OKR}
    manual_value_field: OKR Value
    write:
      fields: {progress: OKR Progress, status: OKR Status, forecast: OKR Forecast}
      status_options: {not_started: Not started, on_track: On track, at_risk: "At risk!", off_track: Off track,
                       done: Done}
"""
WANTED = {"OKR Progress": "number", "OKR Status": "select", "OKR Forecast": "number", "OKR Value": "number"}
OPTIONS = ["Not started", "On track", "At risk!", "Off track", "Done"]


def _fields(control: SandboxControl) -> dict[str, Any]:
    return {f["name"]: f for f in control.state()["jira"]["fields"]}


def test_setup_jira_apply_on_empty_cloud_then_nothing(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("empty", jira_deployment="cloud")
    control = SandboxControl(sb.control_url)
    config = tmp_path / "okr-sync.yaml"
    config.write_text(JIRA_ONLY, encoding="utf-8")
    assert _fields(control) == {}

    code, output = invoke(["setup", "jira", "--config", str(config)], sb)
    assert code == 0 and "run again with --apply" in output
    assert control.requests()["writes"] == 0 and _fields(control) == {}  # showing changes nothing
    for name, kind in WANTED.items():
        assert f"create field {name} — {kind} custom field" in output

    code, output = invoke(["setup", "jira", "--apply", "--config", str(config)], sb)
    assert code == 0, output
    fields = _fields(control)
    assert {name: fields[name]["type"] for name in WANTED} == WANTED
    [context] = fields["OKR Status"]["contexts"]
    assert [o["value"] for o in context["options"]] == OPTIONS
    assert "by hand  jira: by hand: manual OKR Progress, OKR Status, OKR Forecast, OKR Value" in output

    control.reset_requests()
    code, output = invoke(["setup", "jira", "--apply", "--config", str(config)], sb)
    assert code == 0 and "jira: nothing to do" in output
    counts = control.requests()
    assert counts["writes"] == 0 and counts["total"] > 0


def test_setup_jira_adds_only_the_missing_option(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox({"jira": {"fields": [{"name": "OKR Status", "type": "select", "options": ["Done", "On track"]},
                                           {"name": "OKR Progress", "type": "number"},
                                           {"name": "OKR Forecast", "type": "number"},
                                           {"name": "OKR Value", "type": "number"}]}}, jira_deployment="cloud")
    control = SandboxControl(sb.control_url)
    config = tmp_path / "okr-sync.yaml"
    config.write_text(JIRA_ONLY, encoding="utf-8")
    code, output = invoke(["setup", "jira", "--apply", "--config", str(config)], sb)
    assert code == 0
    assert "create option OKR Status — Not started, At risk!, Off track" in output
    assert "create field" not in output
    [context] = _fields(control)["OKR Status"]["contexts"]
    assert [o["value"] for o in context["options"]] == ["Done", "On track", "Not started", "At risk!", "Off track"]


def test_setup_gitlab_creates_status_labels_once(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    control = SandboxControl(sb.control_url)
    config = demo_config(tmp_path)
    code, output = invoke(["setup", "gitlab", "--apply", "--config", str(config)], sb)
    assert code == 0, output
    assert output.count("done     gitlab: create label okr-status::") == 5
    assert control.requests()["writes"] == 5
    control.reset_requests()
    code, output = invoke(["setup", "gitlab", "--apply", "--config", str(config)], sb)
    assert code == 0 and "gitlab: nothing to do" in output
    assert control.requests()["writes"] == 0
    code, output = invoke(["setup", "gitlab", "--json", "--config", str(config)], sb)
    assert (code, json.loads(output)) == (0, {"planned": {"gitlab": []}, "results": {}})
    code, output = invoke(["setup", "trello", "--config", str(config)], sb)
    assert code == 2 and "no tracker of kind or name 'trello'" in output


def test_setup_gitlab_recolours_status_labels_a_sync_created_before_setup(make_sandbox: Any, tmp_path: Path) -> None:
    """Issue 20: labels GitLab made in its default colour on first use get the status colour, once."""
    import gitlab

    from okr_sync.mapping.status_colours import LABEL_COLOURS

    sb = make_sandbox("demo")
    control = SandboxControl(sb.control_url)
    with gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=sb.info["gitlab"]["token"]) as gl:
        project = gl.projects.get(sb.info["gitlab"]["project"])
        project.labels.create({"name": "okr-status::on-track", "color": "#6699cc"})
        project.labels.create({"name": "okr-status::done", "color": "#6699cc"})
    config = demo_config(tmp_path)
    code, output = invoke(["setup", "gitlab", "--apply", "--config", str(config)], sb)
    assert code == 0, output
    assert output.count("done     gitlab: recolour label okr-status::") == 2
    assert output.count("done     gitlab: create label okr-status::") == 3
    with gitlab.Gitlab(sb.info["gitlab"]["url"], private_token=sb.info["gitlab"]["token"]) as gl:
        project = gl.projects.get(sb.info["gitlab"]["project"])
        colours = {label.name: label.color for label in project.labels.list(search="okr-status::", get_all=True)}
    assert colours == {"okr-status::" + status.replace("_", "-"): colour for status, colour in LABEL_COLOURS.items()}
    control.reset_requests()
    code, output = invoke(["setup", "gitlab", "--apply", "--config", str(config)], sb)
    assert code == 0 and "gitlab: nothing to do" in output
    assert control.requests()["writes"] == 0
