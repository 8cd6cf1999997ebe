"""``okr-sync doctor`` against the sandbox: green for the demo; each broken set-up reported with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.admin.support import demo_config, doctor_json, failures, invoke
from tests.conftest import SandboxControl


def test_demo_config_is_green_and_doctor_writes_nothing(sandbox: Any, tmp_path: Path) -> None:
    sandbox.reset()
    control = SandboxControl(sandbox.control_url)
    code, checks = doctor_json(demo_config(tmp_path), sandbox)
    assert code == 0, failures(checks)
    assert failures(checks) == []
    by = {(c["tracker"], c["topic"]): c for c in checks}
    for tracker in ("jira", "gitlab"):
        for topic in ("reachability", "credentials", "KR home issues", "people", "TLS"):
            assert by[(tracker, topic)]["level"] == "ok", by[(tracker, topic)]
    assert by[("jira", "permissions (project PGE)")]["detail"] == "Browse Projects, Edit Issues, Add Comments"
    assert by[("jira", "options of OKR Status")]["detail"] == "Not started, On track, At risk, Off track, Done"
    assert by[("jira", "KR home issues")]["detail"].startswith("4 found: ")
    assert by[("gitlab", "KR home issues")]["detail"].startswith("3 found: ")
    assert by[("jira", "people")]["detail"] == "14 identities found in Jira"
    assert by[("gitlab", "people")]["detail"] == "14 usernames found in GitLab"
    assert by[("planner", "KR home tasks")]["detail"].startswith("3 found: ")
    assert by[("planner", "people")]["detail"] == "14 users found in Entra ID"
    assert {c["topic"] for c in checks if c["tracker"] == "planner" and c["topic"].startswith("categories")}
    assert all(c["level"] == "ok" for c in checks if c["tracker"] == "planner" and "plan" in c["topic"])
    # the demo sets no webhook secrets: a loud warning with the fix, not a failure
    assert by[("jira", "webhook secret")]["level"] == "warn"
    assert "trackers.jira.webhook_secret" in by[("jira", "webhook secret")]["fix"]
    assert control.requests()["writes"] == 0


def test_table_output_and_exit_code(sandbox: Any, tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    code, output = invoke(["doctor", "--config", str(config), "--tracker", "gitlab"], sandbox)
    assert code == 0
    assert "okr-sync doctor" in output and "no failures" in output and "KR home issues" in output


def test_wrong_token_is_a_credentials_failure_without_the_token(sandbox: Any, tmp_path: Path) -> None:
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "jira", "gitlab",
                               SANDBOX_JIRA_TOKEN="wrong-jira-token-123", SANDBOX_GITLAB_TOKEN="wrong-gl-token-456")
    assert code == 3
    failed = {c["tracker"]: c for c in failures(checks)}
    assert set(failed) == {"jira", "gitlab"}
    for tracker, check in failed.items():
        assert check["topic"] == "credentials"
        assert f"trackers.{tracker}.auth.token" in check["fix"]
        assert "wrong-" not in check["detail"] + check["fix"]
    assert "Jira rejected the credentials" in failed["jira"]["detail"]


def test_read_only_jira_account_found_without_writing(sandbox: Any, tmp_path: Path) -> None:
    control = SandboxControl(sandbox.control_url)
    control.reset_requests()
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "jira", SANDBOX_JIRA_TOKEN="sandbox-jira-readonly",
                               SANDBOX_JIRA_EMAIL="viewer@sandbox.example")
    assert code == 3
    failed = failures(checks)
    assert {c["topic"] for c in failed} == {"permissions (project PGE)", "permissions (project MPE)"}
    for check in failed:
        assert "lacks Edit Issues (to write OKR fields on KR home issues), Add Comments" in check["detail"]
        assert "Project settings → Permissions" in check["fix"]
    assert control.requests()["writes"] == 0


@pytest.mark.parametrize(("replacement", "topic", "detail", "fix"), [
    (('forecast: "OKR Forecast"', 'forecast: "OKR Forcast"'), "field OKR Forcast",
     "no Jira field named 'OKR Forcast'; did you mean 'OKR Forecast'", "okr-sync setup jira --apply"),
    (("status_comment: true", "status_comment: true\n      status_options: {at_risk: In danger}"),
     "options of OKR Status", "missing option(s) 'In danger'", "write.status_options"),
    (("key: MPE-2", "key: MPE-99"), "home MPE-99", "OBJ1-KR4's home issue", "correct the home key of OBJ1-KR4"),
    (('jira: "712020:e6a39c8e-6a99-5370-bd8f-f93f7c0f285c"', 'jira: "712020:nobody"'), "person maria.souza",
     "no Jira user '712020:nobody'", "people[maria.souza].identities.jira"),
])
def test_each_jira_problem_with_its_fix(sandbox: Any, tmp_path: Path, replacement: tuple[str, str], topic: str,
                                        detail: str, fix: str) -> None:
    code, checks = doctor_json(demo_config(tmp_path, replacement), sandbox, "jira")
    assert code == 3
    [failed] = failures(checks)
    assert failed["topic"] == topic
    assert detail in failed["detail"]
    assert fix in failed["fix"]


@pytest.mark.parametrize(("replacement", "topic", "detail", "fix"), [
    (("iid: 3}", "iid: 999}"), "home transparency/portal#999", "OBJ3-KR2's home issue transparency/portal#999",
     "correct the home (project, iid) of OBJ3-KR2"),
    (("gitlab: maria.souza,", "gitlab: maria.sousa,"), "person maria.souza", "no GitLab user @maria.sousa",
     "people[maria.souza].identities.gitlab"),
])
def test_each_gitlab_problem_with_its_fix(sandbox: Any, tmp_path: Path, replacement: tuple[str, str], topic: str,
                                          detail: str, fix: str) -> None:
    code, checks = doctor_json(demo_config(tmp_path, replacement), sandbox, "gitlab")
    assert code == 3
    [failed] = failures(checks)
    assert (failed["topic"], detail in failed["detail"], fix in failed["fix"]) == (topic, True, True)


def test_unreachable_tracker_and_unknown_tracker_option(sandbox: Any, tmp_path: Path) -> None:
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "gitlab", SANDBOX_GITLAB_URL="http://127.0.0.1:9")
    assert code == 3
    [failed] = failures(checks)
    assert failed["topic"] == "reachability" and "trackers.gitlab.url" in failed["fix"]
    code, output = invoke(["doctor", "--config", str(demo_config(tmp_path)), "--tracker", "jiraa"], sandbox)
    assert code == 2 and "unknown tracker(s) jiraa" in output


def test_jira_identity_given_as_an_email_is_looked_up_by_search(sandbox: Any, tmp_path: Path) -> None:
    replacement = ('jira: "712020:e6a39c8e-6a99-5370-bd8f-f93f7c0f285c"', "jira: maria.souza@pge.example.gov")
    code, checks = doctor_json(demo_config(tmp_path, replacement), sandbox, "jira")
    assert code == 0, failures(checks)
    assert {c["topic"]: c["detail"] for c in checks}["people"] == "14 identities found in Jira"
    code, checks = doctor_json(demo_config(tmp_path, (replacement[0], "jira: nobody@pge.example.gov")), sandbox,
                               "jira")
    assert code == 3 and [c["topic"] for c in failures(checks)] == ["person maria.souza"]
