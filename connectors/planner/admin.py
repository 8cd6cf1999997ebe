"""``okr-sync doctor`` and ``okr-sync setup planner`` for the Planner connector (Microsoft Graph).

Doctor (only reads): TLS of the Graph URL and the identity authority, a GET of each plan in scope (token,
permission, existence in one), the plan's group listing it (``/groups/{id}/planner/plans``), the status
category names in each plan's details, every KR home task (and that it sits in a plan in scope), the
``webhook_client_state``, and every person's Entra ID user (``/users/{id}``; needs User.Read.All).
Set-up names unnamed categories of each plan after the status categories okr-sync writes (one PATCH of
the plan details with ``If-Match``), each in a slot of its status colour (Planner's slot colours are fixed:
``mapping/status_colours.py``) and says so when people's own labels took that colour; a category that
already has a name is never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from okr_sync.config.errors import SyncError
from okr_sync.connectors.admin import Check, SetupStep, StepResult, attempt, fail, ok, tls_check, warn, webhook_check
from okr_sync.mapping import HomeItem
from okr_sync.mapping.status_colours import PLANNER_SLOT_COLOURS, planner_slot

if TYPE_CHECKING:
    from okr_sync.connectors.base import PullSpec
    from okr_sync.connectors.planner.connector import PlannerConnector

FIX_SECRET = ("check tenant_id, client_id and auth.client_secret of trackers.{name} (client secrets "  # noqa: S105
              "expire: make a new one under App registrations → Certificates & secrets)")
FIX_PERMISSION = ("grant the app registration the Microsoft Graph application permission Tasks.ReadWrite.All (or "
                  "Group.ReadWrite.All) and grant admin consent")


def wanted_categories(conn: PlannerConnector) -> list[str]:
    """Category names okr-sync uses: the status categories (when written) and the blocked category."""
    return list(dict.fromkeys(_wanted(conn).values()))


def _wanted(conn: PlannerConnector) -> dict[str, str]:
    """Status value (or ``blocked``) → category name, in the order setup names them."""
    s = conn.settings
    wanted = dict(s.write.status_categories) if s.write.status_category else {}
    if s.blocked_category:
        wanted["blocked"] = s.blocked_category
    return wanted


def _get(conn: PlannerConnector, path: str, subject: str) -> Any:
    """GET ``graph_url/path`` through the connector's SDK adapter (counted, retried, classified)."""
    graph = conn.session.client

    def builder() -> Any:
        return graph.planner.plans.with_url(f"{conn.settings.graph_url.rstrip('/')}/{path}")

    return conn.calls.read(builder, subject)


# --- doctor ------------------------------------------------------------------------------------------

def doctor(conn: PlannerConnector, spec: PullSpec, homes: Mapping[str, HomeItem],
           people: Mapping[str, str]) -> list[Check]:
    """Every Planner check (see the module docstring); only reads."""
    name, s = conn.name, conn.settings
    checks = [tls_check(name, s.graph_url, s.verify_tls, s.ca_cert), tls_check(name, s.authority, s.verify_tls,
                                                                                s.ca_cert)]
    if checks[1] == checks[0] or checks[1].level == "ok":
        checks.pop()
    plans: dict[str, dict[str, Any]] = {}
    for plan_id in s.scope.plans:
        plan, problem = attempt(name, f"plan {plan_id}", "", partial(_get, conn, f"planner/plans/{plan_id}",
                                                                    f"plan {plan_id}"))
        if problem is None:
            plans[plan_id] = plan
            checks.append(ok(name, f"plan {plan_id}", f"{plan.get('title', '')} is readable"))
            checks.append(_group(conn, plan_id, plan))
            continue
        if problem.topic == "credentials":
            return [*checks, fail(name, "credentials", problem.detail, FIX_SECRET.format(name=name))]
        if "permission" in problem.detail:
            checks.append(fail(name, f"plan {plan_id}", problem.detail, FIX_PERMISSION))
        elif "timeout" in problem.detail or "connection" in problem.detail:
            return [*checks, fail(name, "reachability", problem.detail,
                                  f"check trackers.{name}.graph_url and authority (national clouds set both)")]
        else:
            checks.append(fail(name, f"plan {plan_id}", problem.detail,
                               f"correct trackers.{name}.scope.plans (the planId in the plan's URL)"))
    for plan_id in plans:
        checks.append(_categories(conn, plan_id))
    checks += _homes(conn, homes)
    checks.append(webhook_check(name, s.webhook_client_state, "webhook_client_state",
                                "use it as clientState in the relay posting to /webhooks/" + name))
    checks += _people(conn, people)
    return checks


def _group(conn: PlannerConnector, plan_id: str, plan: Mapping[str, Any]) -> Check:
    container = plan.get("container") or {}
    group = container.get("containerId") or plan.get("owner")
    topic = f"group of plan {plan_id}"
    if not group:
        return warn(conn.name, topic, "the plan names no group", "check that the plan belongs to a Microsoft 365 group")
    listed, problem = attempt(conn.name, topic, "", partial(_get, conn, f"groups/{group}/planner/plans",
                                                           f"plans of group {group}"))
    if problem is not None:
        return warn(conn.name, topic, f"group {group}: {problem.detail}", FIX_PERMISSION)
    if not any(p.get("id") == plan_id for p in listed.get("value") or []):
        return fail(conn.name, topic, f"group {group} does not list plan {plan_id}",
                    "check the plan id; a plan moved to another group has a new container")
    return ok(conn.name, topic, f"group {group} lists the plan")


def _categories(conn: PlannerConnector, plan_id: str) -> Check:
    topic = f"categories of plan {plan_id}"
    names, problem = attempt(conn.name, topic, "", partial(conn.calls.category_names, plan_id))
    if problem is not None:
        return fail(conn.name, topic, problem.detail, FIX_PERMISSION)
    present = {v for v in names.values() if v}
    missing = [c for c in wanted_categories(conn) if c not in present]
    if missing:
        return fail(conn.name, topic, f"no category named {', '.join(map(repr, missing))} in plan {plan_id}",
                    "run okr-sync setup planner --apply (names free categories), or change "
                    f"trackers.{conn.name}.write.status_categories / blocked_category to names the plan has")
    return ok(conn.name, topic, ", ".join(wanted_categories(conn)) or "none needed")


def _homes(conn: PlannerConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    name, checks, found = conn.name, [], []
    for subject, home in sorted(homes.items()):
        if home.tracker != name:
            continue
        task, problem = attempt(name, f"home {home.key}", "", partial(conn.calls.task, home.key))
        if problem is not None:
            checks.append(fail(name, f"home {home.key}", f"{subject}'s home task: {problem.detail}",
                               f"correct the home task id of {subject} in okr-sync.yaml"))
        elif task.get("planId") not in conn.settings.scope.plans:
            checks.append(warn(name, f"home {home.key}", f"{subject}'s home task is in plan {task.get('planId')}, "
                                                         "which is not in scope.plans",
                               f"add {task.get('planId')} to trackers.{name}.scope.plans"))
        else:
            found.append(f"{home.key} ({subject})")
    if found:
        checks.insert(0, ok(name, "KR home tasks", f"{len(found)} found: {', '.join(found)}"))
    return checks


def _people(conn: PlannerConnector, people: Mapping[str, str]) -> list[Check]:
    name, checks, found = conn.name, [], []
    for person, identity in sorted(people.items()):
        _, problem = attempt(name, f"person {person}", "", partial(_get, conn, f"users/{identity}",
                                                                  f"Entra ID user of {person}"))
        if problem is None:
            found.append(person)
        elif "not found" in problem.detail:
            checks.append(fail(name, f"person {person}", f"no Entra ID user {identity!r} for person {person}",
                               f"set people[{person}].identities.{name} to their user id (object id) or UPN"))
        else:
            checks.append(warn(name, f"person {person}", problem.detail, "grant the app registration User.Read.All "
                                                                         "(application) to verify identities"))
    if found:
        checks.insert(0, ok(name, "people", f"{len(found)} users found in Entra ID"))
    return checks


# --- set-up ------------------------------------------------------------------------------------------

def setup_plan(conn: PlannerConnector, homes: Mapping[str, HomeItem] | None = None) -> list[SetupStep]:
    """Category names missing from each plan, each assigned to a free (unnamed) category slot."""
    steps = []
    for plan_id in conn.settings.scope.plans:
        names = conn.calls.category_names(plan_id)
        present = {v for v in names.values() if v}
        free = [key for key, value in names.items() if not value]
        for status, category in _wanted(conn).items():
            if category in present:
                continue
            try:
                slot, reason = planner_slot(status, free)
            except LookupError:
                steps.append(SetupStep(conn.name, "manual", category, f"plan {plan_id} has no unnamed category "
                                       "left; free one in Planner or reuse an existing name", manual=True))
                continue
            free.remove(slot)
            present.add(category)
            where = f"{slot} ({PLANNER_SLOT_COLOURS.get(slot, slot)}) of plan {plan_id}"
            steps.append(SetupStep(conn.name, "name category", category, f"{where}: {reason}" if reason else where,
                                   {"plan": plan_id, "slot": slot, "name": category}))
    return steps


def apply_setup(conn: PlannerConnector, steps: Sequence[SetupStep]) -> list[StepResult]:
    """Name the categories: one PATCH of plan details per plan, re-checked just before (never renames)."""
    results: list[StepResult] = []
    by_plan: dict[str, list[SetupStep]] = {}
    for step in steps:
        if step.manual:
            results.append(StepResult(step, True, "left to you"))
        else:
            by_plan.setdefault(str(step.payload["plan"]), []).append(step)
    for plan_id, group in by_plan.items():
        try:
            _name_categories(conn, plan_id, group)
        except SyncError as error:
            results += [StepResult(step, False, error.message) for step in group]
        else:
            results += [StepResult(step, True, "named") for step in group]
    return results


def _name_categories(conn: PlannerConnector, plan_id: str, steps: Sequence[SetupStep]) -> None:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.models.planner_category_descriptions import PlannerCategoryDescriptions
    from msgraph.generated.models.planner_plan_details import PlannerPlanDetails

    builder = conn.session.client.planner.plans.by_planner_plan_id(plan_id).details
    details = conn.calls.read(lambda: builder, f"plan {plan_id} (details)")
    current = details.get("categoryDescriptions") or {}
    taken = [s for s in steps if current.get(str(s.payload["slot"]))]
    if taken:  # someone named the slot meanwhile: never overwrite a name
        raise SyncError(f"category slot(s) {', '.join(str(s.payload['slot']) for s in taken)} of plan {plan_id} "
                        "were named meanwhile; run okr-sync setup planner again", tracker=conn.name)
    descriptions = PlannerCategoryDescriptions()
    for step in steps:
        setattr(descriptions, str(step.payload["slot"]), str(step.payload["name"]))
    config: RequestConfiguration[Any] = RequestConfiguration()
    config.headers.add("If-Match", str(details.get("@odata.etag") or ""))
    body = PlannerPlanDetails(category_descriptions=descriptions)
    conn.calls.send(lambda: builder.to_patch_request_information(body, config), f"plan {plan_id} (details)")
