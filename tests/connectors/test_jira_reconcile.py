"""Issue 18: Cloud search is eventually consistent right after writes; the pull that follows okr-sync's own
writes names the written home issues in ``reconcileIssues`` so it sees them (emulator: ``search_index_lag``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import HomeItem
from tests.contract.harness_jira import STATUS_OPTIONS, JiraSite, kr_status, settings


def _site(make_sandbox: Callable[..., Any]) -> JiraSite:
    return JiraSite(make_sandbox({"jira": {"deployment": "Cloud", "search_index_lag": True, "fields": [
        {"name": "OKR Progress", "type": "number"}, {"name": "OKR Forecast", "type": "number"},
        {"name": "OKR Status", "type": "select", "options": STATUS_OPTIONS}]}}))


def _write_back(conn: JiraConnector, home: HomeItem, progress: float) -> None:
    desired = [DesiredHome(home, "OBJ1-KR1", "Recover", kr_status("OBJ1-KR1", progress))]
    results = conn.apply(conn.plan_writes(desired, conn.read_homes([home], PullSpec())))
    assert results and all(r.ok for r in results)


def test_the_pull_after_writing_reconciles_the_written_homes(make_sandbox: Callable[..., Any]) -> None:
    site = _site(make_sandbox)
    home = HomeItem("jira", site.create_issue("OBJ1-KR1 home", kind="Key Result"))
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    first = conn.pull(None, PullSpec())
    _write_back(conn, home, 0.42)
    absorbed = conn.pull(first.watermark, PullSpec())
    assert home.key in [i.key for i in absorbed.items], "the write is seen at once: reconciled"
    assert conn.pull(absorbed.watermark, PullSpec()).items == [], "and not seen again as a change"
    site.close()


def test_without_reconcile_the_emulator_hides_fresh_writes_like_cloud(make_sandbox: Callable[..., Any]) -> None:
    site = _site(make_sandbox)
    home = HomeItem("jira", site.create_issue("OBJ1-KR1 home", kind="Key Result"))
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    first = conn.pull(None, PullSpec())
    _write_back(conn, home, 0.42)
    conn._written_ids = []  # what okr-sync did before: search right after writing, nothing reconciled
    missed = conn.pull(first.watermark, PullSpec())
    assert home.key not in [i.key for i in missed.items], "the index has not caught up yet"
    assert home.key in [i.key for i in conn.pull(first.watermark, PullSpec()).items], "a later search sees it"
    site.close()
