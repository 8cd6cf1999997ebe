"""Hostile tracker answers (issue 12): wrong types, missing fields, huge strings, unicode/RTL, HTML error
pages, truncated JSON — from Jira, GitLab, Graph and Azure DevOps, while okr-sync pulls and writes.

Each case runs one cycle of the demo restricted to one tracker against the real emulators, with one
route's answers rewritten (:mod:`tests.reliability.tampering`). Expected:

- the cycle returns (no exception), nothing is reported as an *unexpected* error (a crash caught by the
  engine's last-resort handler) and no log record carries a traceback;
- an unreadable answer (not JSON, wrong top-level shape) is a recorded problem; a bad item is a
  recorded problem or skipped;
- no partial write: okr-sync's markers are never duplicated, and once the tracker answers sanely again a
  full cycle leaves exactly the state a clean run leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from okr_sync.config.load import load_config
from okr_sync.sandbox.fixtures.demo_story import AS_OF, UNKNOWN_KR
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.reliability.figures import Figures
from tests.reliability.support import SleepLog, duplicates, fault_engine
from tests.reliability.tampering import Rewrite, disarm, json_edit, raw, tamper, tampering_factories, truncated
from tests.sync.crash_harness import differences, environment, normalised_state, write_config

pytestmark = pytest.mark.reliability

HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
HUGE = "x" * 2_000_000
RTL = "\u202e\u0627\u0644\u062a\u0642\u062f\u0645 \U0001f680 \u05e9\u05dc\u05d5\u05dd\u202c"


def first(key: str, count: int, edit: Callable[[dict[str, Any]], Any]) -> Rewrite:
    """Apply ``edit`` to the first ``count`` entries of the list under ``key`` ("" = the body is the list)."""
    def apply(document: Any) -> None:
        entries = document if key == "" else document.get(key, [])
        for entry in entries[:count]:
            edit(entry)
    return json_edit(apply)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ``...``, delete) a dotted path in an entry."""
    def edit(entry: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = entry
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else {}
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return edit


SEARCH = ("GET", "/rest/api/2/search/jql")
ISSUE = ("GET", "/rest/api/2/issue/{issueIdOrKey}")
COMMENT = ("PUT", "/rest/api/2/issue/{issueIdOrKey}/comment/{id}")
GL_ISSUES = ("GET", "/api/v4/projects/{id}/issues")
GL_ISSUE = ("GET", "/api/v4/projects/{id}/issues/{issue_iid}")
GL_NOTES = ("GET", "/api/v4/projects/{id}/issues/{issue_iid}/notes")
GL_PUT = ("PUT", "/api/v4/projects/{id}/issues/{issue_iid}")
PL_TASKS = ("GET", "/planner/plans/{plan_id}/tasks")
PL_TASK = ("GET", "/planner/tasks/{task_id}")
PL_DETAILS = ("GET", "/planner/tasks/{task_id}/details")
PL_BUCKETS = ("GET", "/planner/plans/{plan_id}/buckets")
PL_PATCH = ("PATCH", "/planner/tasks/{task_id}/details")
ADO_WIQL = ("POST", "/okr/{project}/_apis/wit/wiql")
ADO_BATCH = ("POST", "/okr[/{project}]/_apis/wit/workitemsbatch")
ADO_COMMENTS = ("GET", "/okr/{project}/_apis/wit/workitems/{item}/comments")
ADO_EDIT = ("PATCH", "/okr/{project}/_apis/wit/workitems/{item}/comments/{cid}")


def ado_field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set an Azure DevOps field (reference names hold dots, so not through :func:`setter`)."""
    return lambda entry: entry.get("fields", {}).update({name: value}) if isinstance(entry, dict) else None

# id → (tracker, (method, route), rewrite, must a problem be recorded?)
CASES: dict[str, tuple[str, tuple[str, str], Rewrite, bool]] = {
    "jira-search-html-page": ("jira", SEARCH, raw("200 OK", HTML, "text/html"), True),
    "jira-search-502-html": ("jira", SEARCH, raw("502 Bad Gateway", HTML, "text/html"), True),
    "jira-search-truncated": ("jira", SEARCH, truncated(), True),
    "jira-search-empty-body": ("jira", SEARCH, raw(body=b""), True),
    "jira-search-null": ("jira", SEARCH, raw(body=b"null"), True),
    "jira-search-issues-a-dict": ("jira", SEARCH, json_edit(lambda d: d.update(issues={"a": 1})), True),
    "jira-labels-a-string": ("jira", SEARCH, first("issues", 5, setter("fields.labels", "kr:OBJ1-KR1")), False),
    "jira-fields-missing": ("jira", SEARCH, first("issues", 5, setter("fields", ...)), False),
    "jira-status-null": ("jira", SEARCH, first("issues", 5, setter("fields.status", None)), False),
    "jira-key-a-number": ("jira", SEARCH, first("issues", 5, setter("key", 12345)), False),
    "jira-summary-huge": ("jira", SEARCH, first("issues", 3, setter("fields.summary", HUGE)), False),
    "jira-summary-rtl": ("jira", SEARCH, first("issues", 5, setter("fields.summary", RTL)), False),
    "jira-updated-not-a-date": ("jira", SEARCH, first("issues", 5, setter("fields.updated", "yesterday")), False),
    "jira-resolution-a-list": ("jira", SEARCH, first("issues", 5, setter("fields.resolution", [1])), False),
    "jira-home-html": ("jira", ISSUE, raw("200 OK", HTML, "text/html"), True),
    "jira-home-comments-not-a-list": ("jira", ISSUE, json_edit(lambda d: d["fields"].update(
        comment={"comments": "none"})), False),
    "jira-home-fields-missing": ("jira", ISSUE, json_edit(lambda d: d.pop("fields", None)), False),
    "jira-comment-answer-truncated": ("jira", COMMENT, truncated(0.3), False),
    "gitlab-issues-html": ("gitlab", GL_ISSUES, raw("200 OK", HTML, "text/html"), True),
    "gitlab-issues-truncated": ("gitlab", GL_ISSUES, truncated(), True),
    "gitlab-issues-an-object": ("gitlab", GL_ISSUES, raw(body=b'{"message": "ok"}'), True),
    "gitlab-labels-null": ("gitlab", GL_ISSUES, first("", 5, setter("labels", None)), False),
    "gitlab-iid-a-string": ("gitlab", GL_ISSUES, first("", 5, setter("iid", "three")), False),
    "gitlab-title-missing": ("gitlab", GL_ISSUES, first("", 5, setter("title", ...)), False),
    "gitlab-title-huge": ("gitlab", GL_ISSUES, first("", 3, setter("title", HUGE)), False),
    "gitlab-title-rtl": ("gitlab", GL_ISSUES, first("", 5, setter("title", RTL)), False),
    "gitlab-state-unknown": ("gitlab", GL_ISSUES, first("", 5, setter("state", "exploded")), False),
    "gitlab-weight-text": ("gitlab", GL_ISSUES, first("", 5, setter("weight", "heavy")), False),
    "gitlab-updated-garbage": ("gitlab", GL_ISSUES, first("", 5, setter("updated_at", "\u202e2026")), False),
    "gitlab-home-description-a-list": ("gitlab", GL_ISSUE, json_edit(lambda d: d.update(description=[1])), False),
    "gitlab-notes-body-null": ("gitlab", GL_NOTES, first("", 50, setter("body", None)), False),
    "gitlab-notes-html": ("gitlab", GL_NOTES, raw("200 OK", HTML, "text/html"), False),  # home skipped, logged
    "gitlab-put-answer-html": ("gitlab", GL_PUT, raw("200 OK", HTML, "text/html"), False),
    "planner-tasks-html": ("planner", PL_TASKS, raw("200 OK", HTML, "text/html"), True),
    "planner-tasks-truncated": ("planner", PL_TASKS, truncated(), True),
    "planner-value-a-dict": ("planner", PL_TASKS, json_edit(lambda d: d.update(value={"a": 1})), True),
    "planner-percent-text": ("planner", PL_TASKS, first("value", 5, setter("percentComplete", "fifty")), False),
    "planner-bucket-null": ("planner", PL_TASKS, first("value", 5, setter("bucketId", None)), False),
    "planner-title-huge": ("planner", PL_TASKS, first("value", 3, setter("title", HUGE)), False),
    "planner-title-rtl": ("planner", PL_TASKS, first("value", 5, setter("title", RTL)), False),
    "planner-categories-a-list": ("planner", PL_TASKS, first("value", 5, setter("appliedCategories", ["x"])), False),
    "planner-etag-missing": ("planner", PL_TASKS, first("value", 5, setter("@odata.etag", ...)), False),
    "planner-id-missing": ("planner", PL_TASKS, first("value", 5, setter("id", ...)), False),
    "planner-details-description-a-number": ("planner", PL_DETAILS, json_edit(
        lambda d: d.update(description=42)), False),
    "planner-buckets-html": ("planner", PL_BUCKETS, raw("200 OK", HTML, "text/html"), True),
    "planner-patch-answer-garbage": ("planner", PL_PATCH, raw(body=b"\xff\xfe{"), False),
    "ado-wiql-html": ("azure_devops", ADO_WIQL, raw("200 OK", HTML, "text/html"), True),
    "ado-wiql-truncated": ("azure_devops", ADO_WIQL, truncated(), True),
    "ado-wiql-items-a-dict": ("azure_devops", ADO_WIQL, json_edit(lambda d: d.update(workItems={"a": 1})), True),
    "ado-batch-value-a-dict": ("azure_devops", ADO_BATCH, json_edit(lambda d: d.update(value={"a": 1})), True),
    "ado-tags-a-list": ("azure_devops", ADO_BATCH, first("value", 5, ado_field("System.Tags", ["x"])), False),
    "ado-title-huge": ("azure_devops", ADO_BATCH, first("value", 3, ado_field("System.Title", HUGE)), False),
    "ado-title-rtl": ("azure_devops", ADO_BATCH, first("value", 5, ado_field("System.Title", RTL)), False),
    "ado-state-unknown": ("azure_devops", ADO_BATCH, first("value", 5, ado_field("System.State", "Exploded")),
                          False),
    "ado-changed-garbage": ("azure_devops", ADO_BATCH, first("value", 5, ado_field("System.ChangedDate", "\u202e")),
                            False),
    "ado-id-a-string": ("azure_devops", ADO_BATCH, first("value", 5, setter("id", "three")), False),
    "ado-comments-html": ("azure_devops", ADO_COMMENTS, raw("200 OK", HTML, "text/html"), False),
    "ado-comment-text-null": ("azure_devops", ADO_COMMENTS, first("comments", 50, setter("text", None)), False),
    "ado-comment-edit-answer-garbage": ("azure_devops", ADO_EDIT, raw(body=b"\xff\xfe{"), False),
}
HOME_ROUTES = {ISSUE, COMMENT, GL_ISSUE, GL_NOTES, GL_PUT, PL_TASK, PL_DETAILS, PL_PATCH, ADO_COMMENTS, ADO_EDIT}
"""For these, okr-sync's comments / notes / blocks exist before the hostile answer (a clean cycle ran a
day earlier): misreading them as absent would duplicate them."""
DAY = timedelta(days=1)
_REFERENCE: dict[tuple[str, bool], dict[str, Any]] = {}


def run(sb: Sandbox, tracker: str, tmp_path: Path, name: str, *, full: bool = False,
        store: StateStore | None = None, later: timedelta = timedelta(0)) -> tuple[Any, StateStore]:
    config = write_config(tmp_path / f"{name}.yaml", trackers={tracker},
                          state_url=f"sqlite:///{tmp_path / (name + '.db')}")
    settings = load_config(config, environ=environment(sb.info)).settings
    store = store or StateStore.open(settings.state.url)
    engine = fault_engine(settings, store, SleepLog(), clock=lambda: AS_OF + later)
    return engine.cycle(full=full), store


def reference(tracker: str, primed: bool, tmp_path: Path) -> dict[str, Any]:
    """The clean end state: [a cycle on the demo's today, then] a full cycle a day later."""
    if (tracker, primed) not in _REFERENCE:
        with Sandbox("demo", emulator_factories=tampering_factories()) as sb:
            store = None
            if primed:
                report, store = run(sb, tracker, tmp_path, f"reference-{tracker}-{primed}")
                assert real(report.problems) == [] and report.writes > 0
            report, store = run(sb, tracker, tmp_path, f"reference-{tracker}-{primed}", full=True, store=store,
                                later=DAY)
            store.close()
            assert real(report.problems) == [] and report.writes > 0
            _REFERENCE[tracker, primed] = normalised_state(sb.snapshot(), {tracker})
    return _REFERENCE[tracker, primed]


DEFAULT = {  # one or two per route and kind of damage; the rest run under `make soak`
    "jira-search-html-page", "jira-search-truncated", "jira-search-empty-body", "jira-fields-missing",
    "jira-updated-not-a-date", "jira-summary-huge", "jira-home-comments-not-a-list", "jira-comment-answer-truncated",
    "gitlab-issues-html", "gitlab-iid-a-string", "gitlab-title-rtl", "gitlab-home-description-a-list",
    "gitlab-notes-html", "planner-tasks-truncated", "planner-title-huge", "planner-patch-answer-garbage",
    "planner-buckets-html", "ado-wiql-html", "ado-batch-value-a-dict", "ado-title-rtl", "ado-state-unknown",
    "ado-comments-html", "ado-comment-text-null", "ado-comment-edit-answer-garbage",
}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks: list[Any] = [] if case in DEFAULT else [pytest.mark.soak]
        params.append(pytest.param(case, marks=marks, id=case))
    return params


def real(problems: list[str]) -> list[str]:
    """The problems besides the demo's stray item, which names an unknown KR on purpose (listed since issue 19)."""
    return [p for p in problems if UNKNOWN_KR not in p]


@pytest.mark.parametrize("case", _params())
def test_hostile_tracker_answers(case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                 figures: Figures) -> None:
    tracker, (method, route), rewrite, must_record = CASES[case]
    primed = (method, route) in HOME_ROUTES
    expected = reference(tracker, primed, tmp_path)
    with Sandbox("demo", emulator_factories=tampering_factories()) as sb:
        store = None
        if primed:
            clean, store = run(sb, tracker, tmp_path, "hostile")
            assert real(clean.problems) == []
        armed = tamper(sb, tracker, method, route, rewrite)
        with caplog.at_level(logging.WARNING):
            report, store = run(sb, tracker, tmp_path, "hostile", store=store, later=DAY)
        assert armed.hits > 0, f"the rewrite of {method} {route} never applied"
        crashes = [p for p in report.problems if "unexpected" in p]
        assert not crashes, f"an answer crashed okr-sync (caught only by the last-resort handler): {crashes}"
        tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
        assert not tracebacks, f"tracebacks logged: {tracebacks}"
        if must_record:
            assert real(report.problems), "an unreadable answer must be a recorded problem"
        for problem in report.problems:
            assert len(problem) < 2000, "a problem must not echo a huge answer"
        assert duplicates(sb.snapshot()) == {}
        disarm(sb)
        recovered, store = run(sb, tracker, tmp_path, "hostile", full=True, store=store, later=DAY)
        store.close()
        assert real(recovered.problems) == [], recovered.problems
        actual = normalised_state(sb.snapshot(), {tracker})
    assert not differences(expected, actual), differences(expected, actual)
    figures.add("hostile", "responses")
