"""Issue 18: Jira refuses comments over 32,767 characters; a body that long (hundreds of item lines, a huge
title) is cut below that and says what was cut (the report keeps everything)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.jira.comments import MAX_COMMENT, cap_comment
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.mapping import HomeItem
from tests.connectors.jira_own import own_comments
from tests.contract.harness_jira import JiraSite, kr_status, settings
from tests.sandbox.jira_support import raw


def test_short_bodies_are_untouched() -> None:
    assert cap_comment("* a\n* b\n") == "* a\n* b\n"


def test_a_comment_too_long_for_jira_is_cut_below_its_limit_and_says_so(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", jira_deployment="cloud")
    site = JiraSite(sb)
    site.okr_fields()
    key = site.create_issue("OBJ1-KR1 home", kind="Key Result")
    too_long = "x" * (MAX_COMMENT + 1)  # the emulator refuses what Jira refuses
    status, _, answer = raw(sb, "POST", f"/rest/api/2/issue/{key}/comment", {"body": too_long})
    assert status == 400 and "32,767" in answer["errors"]["comment"]

    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    home = HomeItem("jira", key)
    title = "Recover the debt " * 2500  # a 42,500-character KR title
    wanted = [DesiredHome(home, "OBJ1-KR1", title, kr_status("OBJ1-KR1", 0.5))]
    writes = conn.plan_writes(wanted, conn.read_homes([home], PullSpec()))
    [status] = [w for w in writes if w.target == "status comment"]
    body = str(status.payload["body"])
    assert len(body) <= MAX_COMMENT and body.startswith("{anchor:okr-sync:status:OBJ1-KR1}")
    assert body.splitlines()[0].endswith("…") and "Progress: 50 %" in body  # the title shortened, the rest kept
    assert all(r.ok for r in conn.apply(writes))
    assert [c["marker"] for c in own_comments(site, key)] == ["okr-sync:status:OBJ1-KR1"]
    assert conn.plan_writes(wanted, conn.read_homes([home], PullSpec())) == [], "and it is not rewritten"
    site.close()


def test_hundreds_of_item_lines_are_counted_in_the_cut_line() -> None:
    body = "{anchor:okr-sync:checkin:OBJ1-KR1:2026-W48}*Weekly check-in*\n* Done this week: 600\n" + "".join(
        f"** [PGE-{i} Settle the tax debt case number {i} of the backlog|https://jira.example.gov/browse/PGE-{i}]\n"
        for i in range(600)) + "* Status: On track\n"
    capped = cap_comment(body)
    assert len(capped) <= MAX_COMMENT
    shown = sum(1 for line in capped.splitlines() if line.startswith("** [PGE-"))
    assert capped.splitlines()[-1] == f"* … and {600 - shown + 1} more item(s): see the report (okr-sync report)"
