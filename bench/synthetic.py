"""Synthetic, seeded OKR set-ups of any size: a sandbox fixture and the okr-sync configuration for it.

A :class:`Shape` says how many work items and KRs to spread over the three trackers. :func:`fixture`
builds the sandbox fixture dict in each emulator's own section format (``sandbox/jira_fixture.py``,
``sandbox/gitlab_fixture.py``, ``sandbox/graph_store.py``) and :func:`config` the matching
``okr-sync.yaml`` as a dict. Layout, identical for every size:

- Jira: work items in project ``BEN`` (scope ``project = BEN``), linked by label ``kr:<KR id>``; KR
  home issues in project ``BKR`` (outside the scope, so they never count as work items).
- GitLab: work items in ``bench/work`` (scope), label ``kr::<KR id>``; homes in ``bench/okr``.
- Planner: work items in plans of at most ``plan_size`` tasks (Planner caps a plan at 9,000), titled
  ``[<KR id>] …``; homes in a plan of their own, outside the scope.

KR ``O<o>-KR<n>`` belongs to objective ``O<o>`` (five KRs per objective) and to one tracker; its
items live on that tracker. Jira and GitLab KRs are measured by story points / weight (so changing
an item's points moves the KR), Planner KRs by count with partial credit.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TRACKERS = ("jira", "gitlab", "planner")
JIRA_PROJECT, JIRA_HOME_PROJECT = "BEN", "BKR"
GITLAB_PROJECT, GITLAB_HOME_PROJECT = "bench/work", "bench/okr"
HOME_PLAN = "benchHomePlan000000000000001"
CREATED = "2026-10-01T09:00:00Z"
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
CYCLE = {"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}
STATUS_OPTIONS = ["Not started", "On track", "At risk", "Off track", "Done"]
PEOPLE = 10
PLANNER_CATEGORIES = {f"category{n + 1}": name for n, name in enumerate([*STATUS_OPTIONS, "Blocked"])}


@dataclass(frozen=True)
class Shape:
    """How many work items and KRs, and how they are shared between the trackers."""

    items: int
    krs: int
    shares: tuple[float, float, float] = (0.4, 0.4, 0.2)  # jira, gitlab, planner
    plan_size: int = 8000
    seed: int = 13
    jira_deployment: str = "Cloud"  # Server pages by 1,000 (Cloud by 100)

    def per_tracker(self, total: int) -> dict[str, int]:
        """``total`` split by :attr:`shares` (the last tracker takes the rounding)."""
        jira, gitlab = round(total * self.shares[0]), round(total * self.shares[1])
        return {"jira": jira, "gitlab": gitlab, "planner": total - jira - gitlab}

    def plans(self) -> int:
        """Number of Planner plans holding the work items."""
        return max(1, -(-self.per_tracker(self.items)["planner"] // self.plan_size))


def kr_ids(shape: Shape) -> dict[str, list[str]]:
    """KR ids by tracker, numbered across trackers (five per objective)."""
    result: dict[str, list[str]] = {}
    n = 0
    for tracker, count in shape.per_tracker(shape.krs).items():
        result[tracker] = [f"O{(n + i) // 5}-KR{n + i}" for i in range(count)]
        n += count
    return result


def plan_id(index: int) -> str:
    """The 28-character id of the ``index``-th work-item plan."""
    return f"benchPlan{index:019d}"


def task_id(plan: int, index: int) -> str:
    """A stable 28-character Planner task id."""
    return "bT" + hashlib.sha256(f"{plan}/{index}".encode()).hexdigest()[:26]


def home_task_id(kr_id: str) -> str:
    """The Planner task id of a KR's home task."""
    return "hT" + hashlib.sha256(kr_id.encode()).hexdigest()[:26]


def _assign(count: int, krs: list[str]) -> list[str]:
    """The KR of each of ``count`` items: round-robin, so every KR gets a share."""
    return [krs[i % len(krs)] for i in range(count)]


def fixture(shape: Shape) -> dict[str, Any]:
    """The sandbox fixture dict for ``shape`` (deterministic for its seed)."""
    rng = random.Random(shape.seed)  # noqa: S311 - seeded synthetic data, not security
    counts, krs = shape.per_tracker(shape.items), kr_ids(shape)
    return {"jira": _jira(rng, counts["jira"], krs["jira"], shape.jira_deployment),
            "gitlab": _gitlab(rng, counts["gitlab"], krs["gitlab"]),
            "planner": _planner(rng, shape, counts["planner"], krs["planner"]),
            "meta": {"gitlab": {"group": "bench", "project": GITLAB_PROJECT}}}


def _updated(n: int) -> str:
    """Work item ``n``'s last update: ten seconds apart from the cycle start (all in the past), so
    incremental pulls see only what a benchmark changes, as in a real site."""
    return (START + timedelta(seconds=10 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jira(rng: random.Random, count: int, krs: list[str], deployment: str) -> dict[str, Any]:
    statuses = ("To Do", "In Progress", "Done")
    issues: list[dict[str, Any]] = [
        {"key": f"{JIRA_PROJECT}-{n + 1}", "type": "Task", "summary": f"Work item {n + 1}",
         "status": statuses[rng.randrange(3)], "labels": [f"kr:{kr}"],
         "fields": {"Story Points": float(rng.randrange(1, 9))}, "created": CREATED, "updated": _updated(n)}
        for n, kr in enumerate(_assign(count, krs))]
    issues += [{"key": f"{JIRA_HOME_PROJECT}-{n + 1}", "type": "Key Result", "summary": f"KR {kr}",
                "status": "In Progress", "created": CREATED, "updated": CREATED}
               for n, kr in enumerate(krs)]
    projects = [{"key": key, "name": key, "lead": "okr-bot", "issue_types": ["Task", "Key Result"]}
                for key in (JIRA_PROJECT, JIRA_HOME_PROJECT)]
    fields = [{"name": "OKR Progress", "type": "number"},
              {"name": "OKR Status", "type": "select", "options": STATUS_OPTIONS},
              {"name": "OKR Forecast", "type": "number"}, {"name": "Story Points", "type": "number"}]
    return {"deployment": deployment, "projects": projects, "fields": fields, "issues": issues}


def _gitlab(rng: random.Random, count: int, krs: list[str]) -> dict[str, Any]:
    issues: list[dict[str, Any]] = [
        {"project": GITLAB_PROJECT, "iid": n + 1, "title": f"Work item {n + 1}", "labels": [f"kr::{kr}"],
         "state": "closed" if rng.random() < 0.4 else "opened", "weight": rng.randrange(1, 9),
         "created_at": CREATED, "updated_at": _updated(n)}
        for n, kr in enumerate(_assign(count, krs))]
    issues += [{"project": GITLAB_HOME_PROJECT, "iid": n + 1, "title": f"KR {kr}", "description": "KR home",
                "created_at": CREATED, "updated_at": CREATED} for n, kr in enumerate(krs)]
    return {"groups": [{"path": "bench", "name": "Bench"}],
            "projects": [{"path": GITLAB_PROJECT, "name": "Work"}, {"path": GITLAB_HOME_PROJECT, "name": "OKR"}],
            "issues": issues}


def _planner(rng: random.Random, shape: Shape, count: int, krs: list[str]) -> dict[str, Any]:
    plans: list[dict[str, Any]] = []
    owners = _assign(count, krs)
    for p in range(shape.plans()):
        chunk = owners[p * shape.plan_size:(p + 1) * shape.plan_size]
        tasks = [{"id": task_id(p, n), "title": f"[{kr}] task {n}", "percentComplete": rng.choice((0, 50, 100)),
                  "createdDateTime": CREATED} for n, kr in enumerate(chunk)]
        plans.append({"id": plan_id(p), "title": f"Work {p}", "categories": PLANNER_CATEGORIES,
                      "createdDateTime": CREATED, "tasks": tasks})
    homes = [{"id": home_task_id(kr), "title": f"KR {kr}", "createdDateTime": CREATED} for kr in krs]
    plans.append({"id": HOME_PLAN, "title": "KR homes", "categories": PLANNER_CATEGORIES,
                  "createdDateTime": CREATED, "tasks": homes})
    return {"plans": plans}


def _home(tracker: str, index: int, kr: str) -> dict[str, Any]:
    if tracker == "jira":
        return {"tracker": "jira", "key": f"{JIRA_HOME_PROJECT}-{index + 1}"}
    if tracker == "gitlab":
        return {"tracker": "gitlab", "project": GITLAB_HOME_PROJECT, "iid": index + 1}
    return {"tracker": "planner", "task": home_task_id(kr)}


def _measure(tracker: str) -> dict[str, Any]:
    if tracker == "planner":
        return {"type": "completion", "weight": "count", "partial_credit": 0.5}
    return {"type": "completion", "weight": "points"}


def config(shape: Shape, state_url: str, *, trackers: tuple[str, ...] = TRACKERS,
           interval: str = "1h", debounce: str = "2s") -> dict[str, Any]:
    """The okr-sync configuration (a dict to dump as YAML) for ``shape``; connection values come from
    the ``${SANDBOX_*}`` variables of :func:`okr_sync.cli.demo.demo_environment`."""
    krs = kr_ids(shape)
    objectives: dict[str, dict[str, Any]] = {}
    for tracker in TRACKERS:
        for index, kr in enumerate(krs[tracker]):
            objective = kr.split("-")[0]
            entry = objectives.setdefault(objective, {"id": objective, "cycle": CYCLE["id"],
                                                      "title": f"Objective {objective}", "owner": "owner0",
                                                      "why": "Synthetic benchmark objective.", "key_results": []})
            result: dict[str, Any] = {"id": kr, "title": f"Key result {kr}", "kind": "value",
                                      "owner": f"owner{index % PEOPLE}",
                                      "measure": _measure(tracker)}
            if tracker in trackers:
                result["home"] = _home(tracker, index, kr)
            entry["key_results"].append(result)
    section = {
        "jira": {"kind": "jira", "url": "${SANDBOX_JIRA_URL}", "deployment": "auto",
                 "auth": {"kind": "basic", "user": "${SANDBOX_JIRA_EMAIL}", "token": "${SANDBOX_JIRA_TOKEN}"},
                 "scope": {"jql": f"project = {JIRA_PROJECT}"}, "link": [{"label": "kr:{kr}"}],
                 "points_field": "Story Points",
                 "write": {"fields": {"progress": "OKR Progress", "status": "OKR Status", "forecast": "OKR Forecast"},
                           "status_comment": True, "checkin_comment": False}},
        "gitlab": {"kind": "gitlab", "url": "${SANDBOX_GITLAB_URL}",
                   "auth": {"kind": "token", "token": "${SANDBOX_GITLAB_TOKEN}"},
                   "scope": {"projects": [GITLAB_PROJECT]}, "link": [{"label": "kr::{kr}"}], "points": "weight",
                   "write": {"status_labels": True, "description_block": True, "checkin_note": False}},
        "planner": {"kind": "planner", "tenant_id": "00000000-0000-0000-0000-000000000000",
                    "client_id": "11111111-1111-1111-1111-111111111111", "graph_url": "${SANDBOX_GRAPH_URL}",
                    "authority": "${SANDBOX_AUTHORITY}", "ca_cert": "${SANDBOX_CA_CERT}",
                    "auth": {"kind": "client_secret", "client_secret": "${SANDBOX_PLANNER_SECRET}"},
                    "scope": {"plans": [plan_id(p) for p in range(shape.plans())]},
                    "link": [{"title_prefix": "[{kr}]"}],
                    "write": {"percent_complete": True, "status_category": True, "details_block": True}},
    }
    return {"state": {"url": state_url},
            "schedule": {"interval": interval, "reconcile": "24h", "debounce": debounce},
            "server": {"listen": "127.0.0.1:0"},
            "trackers": {name: section[name] for name in trackers},
            "people": [{"id": f"owner{n}", "name": f"Owner {n}"} for n in range(PEOPLE)],
            "cycles": [CYCLE], "objectives": list(objectives.values())}
