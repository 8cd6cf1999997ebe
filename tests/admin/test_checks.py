"""The shared doctor checks (TLS, webhook secret, failed calls) and the report's exit code."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from okr_sync.cli.doctor import DoctorReport
from okr_sync.config.errors import AuthError, RetriableError
from okr_sync.connectors.admin import Check, failed_call, tls_check, webhook_check


@pytest.mark.parametrize(("url", "verify", "level", "says"), [
    ("https://jira.example.gov", True, "ok", "certificates verified"),
    ("https://jira.example.gov", False, "warn", "verify_tls is false"),
    ("http://jira.example.gov", True, "warn", "plain HTTP: the token travels unencrypted"),
    ("http://127.0.0.1:8765/jira", True, "ok", "plain HTTP on this machine"),
], ids=["https", "verify-off", "http-remote", "http-loopback"])
def test_tls(url: str, verify: bool, level: str, says: str) -> None:
    check = tls_check("jira", url, verify, None)
    assert (check.level, says in check.detail) == (level, True)
    assert (check.fix != "") == (level != "ok")


def test_webhook_secret_missing_is_a_loud_warning_and_never_shows_the_secret() -> None:
    missing = webhook_check("gitlab", None, "webhook_secret", "set it in GitLab")
    assert missing.level == "warn" and "NOT set" in missing.detail and "trackers.gitlab.webhook_secret" in missing.fix
    given = webhook_check("gitlab", SecretStr("s3cret-value"), "webhook_secret", "set it in GitLab")
    assert given.level == "ok" and "s3cret-value" not in given.detail


def test_failed_call_names_credentials_and_drops_will_retry() -> None:
    auth = failed_call("jira", "permissions", AuthError("Jira rejected the credentials on myself; check the token"),
                       "new token")
    assert (auth.topic, auth.level) == ("credentials", "fail")
    dropped = failed_call("jira", "reachability", RetriableError("the connection dropped on x; will retry"), "url")
    assert dropped.detail == "the connection dropped on x" and dropped.topic == "reachability"


def test_exit_code_and_summary() -> None:
    report = DoctorReport([Check("jira", "TLS", "ok", "fine"), Check("jira", "webhook secret", "warn", "unset", "x")])
    assert report.exit_code == 0 and report.summary().startswith("no failures: 2 check(s)")
    report.checks.append(Check("jira", "field X", "fail", "missing", "create it"))
    assert report.exit_code == 3 and report.summary().startswith("1 problem(s) to fix")
    assert report.as_json()["ok"] is False and report.as_json()["checks"][2]["fix"] == "create it"
