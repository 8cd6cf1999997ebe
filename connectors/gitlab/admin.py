"""``okr-sync doctor`` and ``okr-sync setup gitlab`` for the GitLab connector.

Doctor (only reads): TLS, ``GET /user`` (reachability and token), the token's scopes
(``/personal_access_tokens/self``, GitLab ≥ 15.5), every scope project and group, the token user's role in
each project (``permissions`` of ``GET /projects/:id``: Planner 15 or more edits issues and labels), the
scoped status labels ``okr-status::…``, every KR home issue, webhook secret, and every person's username
(``/users?username=``). Set-up creates the missing status labels in each project holding a KR home (scope
projects when no home is on GitLab); it never deletes or renames a label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from okr_sync.config.errors import SyncError
from okr_sync.connectors.admin import Check, SetupStep, StepResult, attempt, fail, ok, tls_check, warn, webhook_check
from okr_sync.connectors.gitlab.items import split_key
from okr_sync.connectors.gitlab.writeback import STATUS_SCOPE
from okr_sync.mapping import HomeItem, KrStatusValue
from okr_sync.mapping.status_colours import LABEL_COLOURS

if TYPE_CHECKING:
    from okr_sync.connectors.base import PullSpec
    from okr_sync.connectors.gitlab.connector import GitLabConnector

WRITE_LEVEL = 15
"""Planner (GitLab 17.7+); Reporter (20) and above can edit issues and labels on every version."""
ROLES = {0: "no access", 5: "Minimal access", 10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer",
         40: "Maintainer", 50: "Owner"}
FIX_REACH = "check trackers.{name}.url (e.g. https://gitlab.example.gov, without /api/v4), DNS, proxy and firewall"
FIX_TOKEN = ("create a project, group or personal access token with the api scope for the "  # noqa: S105
             "okr-sync account and put it in trackers.{name}.auth.token")


def status_labels() -> list[str]:
    """Every ``okr-status::…`` label okr-sync writes."""
    return [STATUS_SCOPE + s.value.replace("_", "-") for s in KrStatusValue]


def label_projects(conn: GitLabConnector, homes: Mapping[str, HomeItem]) -> list[str]:
    """Projects where status labels are needed: those holding KR homes (scope projects when none)."""
    paths = []
    for home in homes.values():
        if home.tracker == conn.name:
            try:
                paths.append(split_key(home.key)[0])
            except ValueError:
                continue
    return sorted(set(paths)) or [str(p) for p in conn.settings.scope.projects]


def _json(conn: GitLabConnector, path: str, subject: str, query: Mapping[str, Any] | None = None) -> Any:
    return conn.transport.json("get", path, subject=subject, query=query, retry=False)


def _project(path: str) -> str:
    return f"/projects/{quote(path, safe='')}"


# --- doctor ------------------------------------------------------------------------------------------

def doctor(conn: GitLabConnector, spec: PullSpec, homes: Mapping[str, HomeItem],
           people: Mapping[str, str]) -> list[Check]:
    """Every GitLab check (see the module docstring); only reads."""
    name, s = conn.name, conn.settings
    checks = [tls_check(name, s.url, s.verify_tls, s.ca_cert)]
    me, problem = attempt(name, "reachability", FIX_REACH.format(name=name),
                          partial(_json, conn, "/user", "the okr-sync user (/user)"))
    if problem is not None:
        if problem.topic == "credentials":
            problem = fail(name, "credentials", problem.detail, FIX_TOKEN.format(name=name))
        return [*checks, problem]
    checks.append(ok(name, "reachability", f"{s.url} answers"))
    checks.append(ok(name, "credentials", f"token of @{me.get('username', '?')}"))
    checks.append(_scopes(conn))
    checks += _projects(conn, homes)
    checks += _labels(conn, homes)
    checks += _homes(conn, homes)
    checks.append(webhook_check(name, s.webhook_secret, "webhook_secret",
                                f"put it in the Secret token of the GitLab webhook posting to /webhooks/{name} "
                                "(Issues events and Comments)"))
    checks += _people(conn, people)
    return checks


def _scopes(conn: GitLabConnector) -> Check:
    name = conn.name
    token, problem = attempt(name, "token scopes", "", partial(_json, conn, "/personal_access_tokens/self",
                                                               "the token's own details"))
    if problem is not None or not isinstance(token, dict):
        return warn(name, "token scopes", "GitLab did not show the token's scopes (GitLab before 15.5, or "
                                          "not a personal/project/group access token); not verified",
                    "make sure the token has the api scope (read_api cannot write status back)")
    scopes = [str(x) for x in token.get("scopes") or []]
    if "api" not in scopes:
        return fail(name, "token scopes", f"the token has {', '.join(scopes) or 'no'} scope(s); okr-sync writes "
                                          "labels, descriptions and notes", FIX_TOKEN.format(name=name))
    return ok(name, "token scopes", ", ".join(scopes))


def _projects(conn: GitLabConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    name, checks = conn.name, []
    for group in conn.settings.scope.groups:
        _, problem = attempt(name, f"group {group}", "", partial(
            _json, conn, f"/groups/{quote(str(group), safe='')}", f"group {group}"))
        checks.append(ok(name, f"group {group}", "visible") if problem is None else
                      fail(name, f"group {group}", problem.detail, f"correct trackers.{name}.scope.groups or add "
                                                                   "the okr-sync account to the group"))
    paths = sorted({str(p) for p in conn.settings.scope.projects} | set(label_projects(conn, homes)))
    for path in paths:
        project, problem = attempt(name, f"project {path}", "", partial(_json, conn, _project(path),
                                                                         f"project {path}"))
        if problem is not None:
            checks.append(fail(name, f"project {path}", problem.detail,
                               f"correct the project path in okr-sync.yaml or add the okr-sync account to {path} "
                               "(Manage → Members) with at least the Planner or Reporter role"))
            continue
        permissions = project.get("permissions")
        if not isinstance(permissions, dict):
            checks.append(warn(name, f"access to {path}", "GitLab did not show the token user's role; write "
                                                          "access not verified",
                               f"make sure the okr-sync account is at least Planner or Reporter in {path}"))
            continue
        levels = [int((permissions.get(k) or {}).get("access_level") or 0) for k in ("project_access",
                                                                                     "group_access")]
        level = max(levels)
        role = ROLES.get(level, f"level {level}")
        if level < WRITE_LEVEL:
            checks.append(fail(name, f"access to {path}", f"the okr-sync account is {role} in {path}: it cannot "
                                                          "edit issues, labels or notes",
                               f"give it the Planner, Reporter or Developer role in {path} (Manage → Members)"))
        else:
            checks.append(ok(name, f"access to {path}", role))
    return checks


def present_labels(conn: GitLabConnector, path: str) -> set[str]:
    """Names of the ``okr-status::`` labels project ``path`` has (its own and inherited)."""
    return set(_status_labels(conn, path))


def _status_labels(conn: GitLabConnector, path: str) -> dict[str, dict[str, Any]]:
    """The ``okr-status::`` labels of project ``path`` (its own and inherited) by name."""
    pages = conn.transport.pages(f"{_project(path)}/labels", subject=f"labels of {path}",
                                 query={"search": STATUS_SCOPE, "include_ancestor_groups": "true"}, retry=False)
    return {str(label["name"]): label for page in pages for label in page}


def _labels(conn: GitLabConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    if not conn.settings.write.status_labels:
        return []
    name, checks = conn.name, []
    for path in label_projects(conn, homes):
        found, problem = attempt(name, f"labels of {path}", "", partial(present_labels, conn, path))
        if problem is not None:
            checks.append(fail(name, f"labels of {path}", problem.detail, "check the project path and access"))
            continue
        missing = [label for label in status_labels() if label not in found]
        checks.append(ok(name, f"labels of {path}", f"{len(status_labels())} okr-status labels") if not missing
                      else warn(name, f"labels of {path}", f"missing {', '.join(missing)} (GitLab creates them "
                                                           "grey on first use)",
                                "run okr-sync setup gitlab --apply to create them with status colours"))
    return checks


def _homes(conn: GitLabConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    name = conn.name
    mine = {subject: home for subject, home in homes.items() if home.tracker == name}
    if not mine:
        return []
    wanted: dict[str, list[int]] = {}
    for home in mine.values():
        try:
            path, iid = split_key(home.key)
        except ValueError:
            continue
        wanted.setdefault(path, []).append(iid)
    present = {f"{path}#{iid}" for path, iids in wanted.items() for iid in conn.home_issues(path, sorted(iids))}
    found, checks = [], []
    for subject, home in sorted(mine.items()):
        if home.key in present:
            found.append(f"{home.key} ({subject})")
        else:
            checks.append(fail(name, f"home {home.key}", f"{subject}'s home issue {home.key} does not exist or "
                                                         "the okr-sync token cannot see it",
                               f"correct the home (project, iid) of {subject} in okr-sync.yaml, or give the "
                               "okr-sync account access to the project"))
    if found:
        checks.insert(0, ok(name, "KR home issues", f"{len(found)} found: {', '.join(found)}"))
    return checks


def _people(conn: GitLabConnector, people: Mapping[str, str]) -> list[Check]:
    name, checks, found = conn.name, [], []
    for person, identity in sorted(people.items()):
        username = identity.removeprefix("@")
        users, problem = attempt(name, f"person {person}", "", partial(_json, conn, "/users",
                                                                       f"GitLab user of {person}",
                                                                       {"username": username}))
        if problem is not None:
            checks.append(warn(name, f"person {person}", problem.detail, "re-run okr-sync doctor"))
        elif users:
            found.append(person)
        else:
            checks.append(fail(name, f"person {person}", f"no GitLab user @{username} for person {person}",
                               f"set people[{person}].identities.{name} to their GitLab username (without @)"))
    if found:
        checks.insert(0, ok(name, "people", f"{len(found)} usernames found in GitLab"))
    return checks


# --- set-up ------------------------------------------------------------------------------------------

def setup_plan(conn: GitLabConnector, homes: Mapping[str, HomeItem] | None = None) -> list[SetupStep]:
    """Status labels missing from the projects that need them; empty when complete or labels are off."""
    if not conn.settings.write.status_labels:
        return []
    steps = []
    for path in label_projects(conn, homes or {}):
        found = _status_labels(conn, path)
        for status in KrStatusValue:
            label, colour = STATUS_SCOPE + status.value.replace("_", "-"), LABEL_COLOURS[status.value]
            present = found.get(label)
            if present is None:
                steps.append(SetupStep(conn.name, "create label", label, f"in project {path}",
                                       {"project": path, "name": label, "color": colour}))
            elif str(present.get("color", "")).lower() != colour:
                # a sync before setup let GitLab create it in its default colour: give it the status colour
                if present.get("is_project_label", True):
                    steps.append(SetupStep(conn.name, "recolour label", label, f"in project {path} "
                                           f"({present.get('color')} → {colour})",
                                           {"project": path, "id": present.get("id"), "color": colour}))
                else:
                    steps.append(SetupStep(conn.name, "manual", label, f"group label seen in project {path} "
                                           f"is {present.get('color')}; set its colour to {colour} in the group's "
                                           "labels", manual=True))
    return steps


def apply_setup(conn: GitLabConnector, steps: Sequence[SetupStep]) -> list[StepResult]:
    """Create the labels; an existing one (409) counts as done."""
    results = []
    for step in steps:
        if step.manual:
            results.append(StepResult(step, True, "left to you"))
            continue
        if step.action == "recolour label":
            results.append(_recolour(conn, step))
            continue
        body = {"name": step.payload["name"], "color": step.payload["color"],
                "description": "OKR status written by okr-sync"}
        try:
            conn.transport.request("post", f"{_project(str(step.payload['project']))}/labels",
                                   subject=f"label {step.target} in {step.payload['project']}", body=body,
                                   retry=False)
        except SyncError as error:
            exists = error.http_status == 409
            results.append(StepResult(step, exists, "already there" if exists else error.message))
        else:
            results.append(StepResult(step, True, "created"))
    return results


def _recolour(conn: GitLabConnector, step: SetupStep) -> StepResult:
    """Give an existing okr-sync status label its status colour (``PUT /projects/:id/labels/:label_id``)."""
    try:
        conn.transport.request("put", f"{_project(str(step.payload['project']))}/labels/{step.payload['id']}",
                               subject=f"label {step.target} in {step.payload['project']}",
                               body={"color": step.payload["color"]}, retry=False)
    except SyncError as error:
        return StepResult(step, False, error.message)
    return StepResult(step, True, "recoloured")
