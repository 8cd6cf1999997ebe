"""People editing KR home items between okr-sync's cycles, through the trackers' own APIs (issue 26).

Three kinds of edit on each tracker, the ones a crash between pull and write-back used to lose:

- ``own``: a person overwrites what okr-sync wrote — Jira "OKR Progress" set to 1.0 (PGE-2); GitLab the
  progress line inside okr-sync's description block (#1); Planner the percent complete (OBJ2-KR2's task);
- ``status``: a person removes okr-sync's status — Jira "OKR Status" cleared (MPE-2); GitLab the
  ``okr-status::`` label removed (#2); Planner the status category un-applied (OBJ3-KR3's task);
- ``manual``: the KR owner types a new manual value — Jira "KR Current Value" 120 days (MPE-1, OBJ1-KR2);
  GitLab a note ``okr-value: 80`` by bruno.matos (#3, OBJ3-KR2); Planner a checklist item
  ``okr-value: 4.0`` (OBJ2-KR1's task).

The sandbox's Jira and Planner accept edits from okr-sync's own account only (one token, one app
registration), so :func:`people_with_bot_owners` makes that account the owner of OBJ1-KR2 and OBJ2-KR1 in
the people directory; GitLab's demo users have tokens of their own, so bruno.matos types his value.
Each edit is a function of the tracker's current state only and typing a value again edits the same
note / field / checklist item, so the same edits on a crashed run and on a fault-free run give comparable
end states. A strict person (the default) fails when there is nothing to edit (okr-sync wrote nothing
there yet); the soak's person then skips the edit and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import gitlab
import yaml
from jira import JIRA

from okr_sync.cli.demo import demo_config_path
from okr_sync.sandbox.fixtures.demo import planner_task_id
from tests.reliability.test_concurrent_people import Graph

KINDS = ("own", "status", "manual")
TRACKERS = ("jira", "gitlab", "planner")
GITLAB_PROJECT = "transparency/portal"
JIRA_BOT = "okr-bot"


def people_with_bot_owners(info: dict[str, Any], trackers: Iterable[str] = TRACKERS) -> list[dict[str, Any]]:
    """The demo's people directory (identities on ``trackers`` only) with okr-sync's own Jira account as
    ana.costa's Jira identity and its app registration as paula.reis's Planner identity (who may then type
    OBJ1-KR2's and OBJ2-KR1's values)."""
    people: list[dict[str, Any]] = yaml.safe_load(demo_config_path().read_text())["people"]
    for person in people:
        if person["id"] == "ana.costa":
            person["identities"]["jira"] = JIRA_BOT
        if person["id"] == "paula.reis":
            person["identities"]["planner"] = info["planner"]["client_id"]
        person["identities"] = {name: who for name, who in person["identities"].items() if name in set(trackers)}
    return people


SKIPPED = "skipped"
_TYPED_AT = re.compile(r"(manual value by .+? at )\d{4}\\?-\d\d\\?-\d\d \d\d\\?:\d\d( UTC)")  # GitLab escapes - and :


def without_typing_times(state: Any) -> Any:
    """A normalised tracker state without the minute at which the person typed a manual value (okr-sync
    shows it in status blocks: "manual value by bruno.matos at 2026-12-03 08:41 UTC"), which differs
    between a fault-free run and a crashed one made a minute later; everything else is compared."""
    if isinstance(state, dict):
        return {key: without_typing_times(value) for key, value in state.items()}
    if isinstance(state, list):
        return [without_typing_times(value) for value in state]
    return _TYPED_AT.sub(r"\1(time)\2", state) if isinstance(state, str) else state


class NothingToEdit(Exception):
    """What the person would edit is not there (okr-sync has not written it yet)."""


def jira_basic_auth(info: dict[str, Any]) -> dict[str, Any]:
    """Jira settings for okr-sync's own account with basic auth (user and API token), which the emulated
    Jira Cloud accepts like Cloud does (it refuses a bearer token)."""
    return {"auth": {"kind": "basic", "user": info["jira"]["user"], "token": "${SANDBOX_JIRA_TOKEN}"}}


class Person:
    """Someone editing home items with the trackers' own clients (see the module docstring)."""

    def __init__(self, info: dict[str, Any], *, strict: bool = True) -> None:
        self.info = info
        self.strict = strict
        self.jira = JIRA(info["jira"]["url"], basic_auth=(info["jira"]["user"], info["jira"]["token"]),
                         options={"rest_api_version": "2"})
        self.gitlab_url = info["gitlab"]["url"]
        self.graph = Graph(info)

    def edit(self, tracker: str, kind: str, value: float | None = None) -> str:
        """Make one edit (``kind`` in :data:`KINDS`); ``value`` overrides the typed manual value.
        Returns what was done, for messages."""
        method = getattr(self, f"_{tracker}_{kind}")
        try:
            return str(method(value) if kind == "manual" else method())
        except NothingToEdit as exc:
            if self.strict:
                raise AssertionError(str(exc)) from None
            return SKIPPED

    def edit_all(self, trackers: tuple[str, ...] = TRACKERS) -> list[str]:
        """Every kind of edit on every tracker in ``trackers``."""
        return [self.edit(tracker, kind) for tracker in trackers for kind in KINDS]

    # -- Jira -------------------------------------------------------------------------------------
    def _field(self, name: str) -> str:
        return next(f["id"] for f in self.jira.fields() if f["name"] == name)

    def _jira_own(self) -> str:
        self.jira.issue("PGE-2").update(fields={self._field("OKR Progress"): 1.0})
        return "jira PGE-2: OKR Progress set to 1.0"

    def _jira_status(self) -> str:
        field = self._field("OKR Status")
        issue = self.jira.issue("MPE-2")
        if getattr(issue.fields, field, None) is None:
            raise NothingToEdit("MPE-2 shows no OKR Status to clear")
        issue.update(fields={field: None})
        return "jira MPE-2: OKR Status cleared"

    def _jira_manual(self, value: float | None) -> str:
        self.jira.issue("MPE-1").update(fields={self._field("KR Current Value"): value or 120.0})
        return f"jira MPE-1: KR Current Value {value or 120.0:g}"

    # -- GitLab -----------------------------------------------------------------------------------
    def _issue(self, iid: int, token: str | None = None) -> Any:
        lab = gitlab.Gitlab(self.gitlab_url, private_token=token or self.info["gitlab"]["token"])
        return lab.projects.get(GITLAB_PROJECT).issues.get(iid)

    def _gitlab_own(self) -> str:
        issue = self._issue(1)
        edited = re.sub(r"(- Progress: )\d+ %", r"\g<1>100 %", issue.description or "", count=1)
        if edited == issue.description:
            raise NothingToEdit("issue #1 shows no okr-sync progress line to overwrite")
        issue.description = edited
        issue.save()
        return "gitlab #1: progress in okr-sync's block set to 100 %"

    def _gitlab_status(self) -> str:
        issue = self._issue(2)
        status = [label for label in issue.labels if label.startswith("okr-status::")]
        if not status:
            raise NothingToEdit("issue #2 has no okr-status label to remove")
        issue.labels = [label for label in issue.labels if label not in status]
        issue.save()
        return f"gitlab #2: {', '.join(status)} removed"

    def _gitlab_manual(self, value: float | None) -> str:
        issue = self._issue(3, token="sandbox-gitlab-user-bruno.matos")
        body = f"Measured again.\nokr-value: {value or 80:g}"
        mine = [n for n in issue.notes.list(get_all=True) if n.body.startswith("Measured again.")]
        if mine:  # typing again edits the same note
            mine[0].body = body
            mine[0].save()
        else:
            issue.notes.create({"body": body})
        return f"gitlab #3: bruno.matos typed okr-value: {value or 80:g}"

    # -- Planner ----------------------------------------------------------------------------------
    def _planner_own(self) -> str:
        task = planner_task_id("OBJ2-KR2")
        percent = 100 if self.graph.get(f"/planner/tasks/{task}").get("percentComplete") != 100 else 0
        self.graph.patch(f"/planner/tasks/{task}", {"percentComplete": percent})
        return f"planner OBJ2-KR2: percent complete set to {percent}"

    def _planner_status(self) -> str:
        task = planner_task_id("OBJ3-KR3")
        applied = self.graph.get(f"/planner/tasks/{task}").get("appliedCategories") or {}
        removed = {key: False for key, on in applied.items() if on}
        if not removed:
            raise NothingToEdit("OBJ3-KR3's task has no status category to remove")
        self.graph.patch(f"/planner/tasks/{task}", {"appliedCategories": removed})
        return f"planner OBJ3-KR3: categories {sorted(removed)} removed"

    def _planner_manual(self, value: float | None) -> str:
        task = planner_task_id("OBJ2-KR1")
        typed = value or 4.0
        self.graph.patch(f"/planner/tasks/{task}/details", {"checklist": {
            "26262626-0000-4000-8000-000000000026": {"@odata.type": "microsoft.graph.plannerChecklistItem",
                                                     "title": f"okr-value: {typed:g}"}}})
        return f"planner OBJ2-KR1: okr-value: {typed:g}"
