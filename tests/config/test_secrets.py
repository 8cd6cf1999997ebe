"""Secrets never appear in repr, str, validation errors or --json output (issue 3, acceptance 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okr_sync.cli.main import app
from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text

BASE = (Path(__file__).parent / "base.yaml").read_text()
SECRETS = ["jira-secret-token-123", "jira-hook-secret-456", "gitlab-secret-token-789", "planner-secret-abc"]


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_secrets_are_hidden_in_repr_str_and_dumps() -> None:
    settings = load_text(BASE, environ={}).settings
    _assert_clean(repr(settings))
    _assert_clean(str(settings))
    _assert_clean(json.dumps(settings.model_dump(mode="json")))
    for tracker in settings.trackers.values():
        _assert_clean(repr(tracker.auth))
    assert settings.trackers["jira"].auth.token.get_secret_value() == "jira-secret-token-123"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      token: jira-secret-token-123", "      token: [jira-secret-token-123]"),
        ("    webhook_secret: jira-hook-secret-456", "    webhook_secret: {value: jira-hook-secret-456}"),
        ("      client_secret: planner-secret-abc",
         "      client_secret: planner-secret-abc\n      secret: gitlab-secret-token-789"),
        ("    kind: jira", "    kind: jira-secret-token-123x"),
    ],
    ids=["token-wrong-type", "secret-as-mapping", "secret-under-unknown-key", "secret-like-tag"],
)
def test_validation_errors_never_echo_secret_values(old: str, new: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_text(BASE.replace(old, new), environ={})
    rendered = str(caught.value) + repr(caught.value.problems)
    _assert_clean(rendered.replace("jira-secret-token-123x", ""))


def test_validate_json_output_has_no_secret(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("      token: jira-secret-token-123", "      token: [jira-secret-token-123]"))
    runner = CliRunner()
    for path, code in ((good, 0), (bad, 2)):
        result = runner.invoke(app, ["validate", "--config", str(path), "--json"])
        assert result.exit_code == code, result.output
        _assert_clean(result.output)
        assert json.loads(result.stdout)["valid"] is (code == 0)
