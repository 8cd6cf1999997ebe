"""``okr-sync doctor`` on GitLab runs its verified token-scope and role checks (issue 18): the emulator
answers ``/personal_access_tokens/self`` and project ``permissions`` as GitLab does, so neither check
falls back to "not verified"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from okr_sync.sandbox.fixtures import load_fixture
from tests.admin.support import demo_config, doctor_json, failures


def _gitlab(checks: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {c["topic"]: c for c in checks if c["tracker"] == "gitlab"}


def test_a_fully_scoped_developer_token_is_green(sandbox: Any, tmp_path: Path) -> None:
    sandbox.reset()
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "gitlab")
    by = _gitlab(checks)
    assert code == 0, failures(checks)
    assert (by["token scopes"]["level"], by["token scopes"]["detail"]) == ("ok", "api")
    access = [c for topic, c in by.items() if topic.startswith("access to ")]
    assert access and all((c["level"], c["detail"]) == ("ok", "Developer") for c in access), access


def test_a_read_only_token_is_the_scope_problem_with_its_fix(sandbox: Any, tmp_path: Path) -> None:
    sandbox.reset()
    code, checks = doctor_json(demo_config(tmp_path), sandbox, "gitlab", SANDBOX_GITLAB_TOKEN="sandbox-gitlab-readonly")
    by = _gitlab(checks)
    assert code == 3
    assert [c["topic"] for c in failures(checks)] == ["token scopes"]
    scopes = by["token scopes"]
    assert "the token has read_api scope(s)" in scopes["detail"]
    assert "api scope" in scopes["fix"] and "trackers.gitlab.auth.token" in scopes["fix"]
    assert all(c["level"] == "ok" and c["detail"] == "Reporter" for t, c in by.items() if t.startswith("access to "))


def test_a_guest_account_is_the_role_problem_with_its_fix(make_sandbox: Any, tmp_path: Path) -> None:
    _, demo = load_fixture("demo")
    group = next(g for g in demo["gitlab"]["groups"] if g["path"] == "transparency")
    group["members"] = {"okr-bot": "guest"}
    sb = make_sandbox(demo)
    code, checks = doctor_json(demo_config(tmp_path), sb, "gitlab")
    assert code == 3
    failed = failures(checks)
    assert [c["topic"] for c in failed] == ["access to transparency/portal"]
    assert "is Guest in transparency/portal: it cannot edit issues, labels or notes" in failed[0]["detail"]
    assert "Planner, Reporter or Developer role" in failed[0]["fix"]
