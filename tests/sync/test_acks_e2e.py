"""An owner acknowledges a finding in Jira; it stops repeating until the facts change (issue 10, acc. 3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jira import JIRA

from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.connectors.jira_own import marked
from tests.sync.support import demo_settings, engine_for, sqlite_url


def rules(report: Any, kr_id: str) -> set[str]:
    return {f.rule for f in report.computed.key_results[kr_id].findings}


def test_acknowledged_finding_is_suppressed_until_the_facts_change(make_sandbox: Any, tmp_path: Any) -> None:
    sb = make_sandbox("demo")
    settings = demo_settings(sb, sqlite_url(tmp_path))
    store = StateStore.open(settings.state.url)
    first = engine_for(settings, store).cycle()
    assert "overdue_items" in rules(first, "OBJ1-KR1")

    jira = JIRA(sb.info["jira"]["url"], basic_auth=(sb.info["jira"]["email"], sb.info["jira"]["token"]),
                options={"rest_api_version": "2"})
    jira.issue("PGE-2").update(update={"labels": [{"add": "okr-ack:overdue_items"}]})
    acked = engine_for(settings, store, clock=lambda: AS_OF + timedelta(minutes=5)).cycle()
    assert "overdue_items" not in rules(acked, "OBJ1-KR1")
    comments = [body for marker, body in marked(jira, "PGE-2") if marker.startswith("okr-sync:status")]
    assert len(comments) == 1 and "past due" not in comments[0]

    # The facts change: another open item of the KR becomes overdue → the finding is back.
    open_items = jira.search_issues('labels = "kr:OBJ1-KR1" AND statusCategory != Done AND duedate > "2026-11-25"')
    open_items[0].update(fields={"duedate": "2026-11-20"})
    later = engine_for(settings, store, clock=lambda: AS_OF + timedelta(minutes=10)).cycle()
    assert "overdue_items" in rules(later, "OBJ1-KR1")
    store.close()
