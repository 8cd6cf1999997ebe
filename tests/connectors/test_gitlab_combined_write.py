"""GitLab: a home's status label and status block go out in ONE PUT after the fresh-copy GET (issue 13's
benchmark fix: a changed KR cost PUT + GET + PUT), and a failure of that PUT fails both writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.gitlab.writeback import BEGIN
from tests.connectors.test_gitlab_writeback import FIXTURE, HOME, ISSUE, _desired
from tests.contract.harness_gitlab import NO_SLEEP, PROJECT, client, settings_for


def test_label_and_block_of_one_home_are_one_put(make_sandbox: Callable[..., Any],
                                                 control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    writes = connector.plan_writes([_desired()], connector.read_homes([HOME], PullSpec()))
    assert sorted(w.target for w in writes) == ["status block", "status label"]
    control.reset_requests()
    results = connector.apply(writes)
    assert [r.ok for r in results] == [True, True]
    assert {r.write.target for r in results} == {"status block", "status label"}
    assert control.requests()["by_route"] == {f"GET {ISSUE}": 1, f"PUT {ISSUE}": 1}
    issue = client(sb).projects.get(PROJECT).issues.get(1)
    assert "okr-status::on-track" in issue.labels and "okr-status::at-risk" not in issue.labels
    assert "kr-home" in issue.labels and "team::permits" in issue.labels
    assert BEGIN in issue.description


def test_a_failed_combined_put_fails_both_writes(make_sandbox: Callable[..., Any],
                                                control_of: Callable[..., Any]) -> None:
    sb = make_sandbox(FIXTURE)
    control = control_of(sb)
    connector = GitLabConnector("gitlab", settings_for(sb), sleep=NO_SLEEP)
    writes = connector.plan_writes([_desired()], connector.read_homes([HOME], PullSpec()))
    control.fault("PUT /gitlab/api/v4/projects/*/issues/1", "500")  # every attempt, retries included
    results = connector.apply(writes)
    assert sorted(r.write.target for r in results) == ["status block", "status label"]
    assert not any(r.ok for r in results) and all(r.error is not None for r in results)
    issue = client(sb).projects.get(PROJECT).issues.get(1)
    assert "okr-status::at-risk" in issue.labels and BEGIN not in (issue.description or "")
