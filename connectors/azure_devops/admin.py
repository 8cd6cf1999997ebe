"""``okr-sync doctor`` and ``okr-sync setup`` for the Azure DevOps connector.

Doctor (only reads): TLS, ``_apis/connectionData`` (reachability and the PAT), the project, every field the
configuration names (custom status/progress fields, ``field`` link rules, the blocked field, points fields),
every KR home work item, the service-hook credentials, and every person's identity (an e-mail known to the
organisation's Graph users).

Set-up: custom fields live in the organisation's *process*. The system processes (Agile, Scrum, CMMI,
Basic) are locked and an inherited process is edited in the web portal (Organization settings → Boards →
Process → <inherited process> → <work item type> → New field); Azure DevOps Server with the Hosted XML or
On-premises XML model edits the type definition instead. Both need a process administrator, so setup lists
each missing field as a manual step with those instructions and creates nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from okr_sync.connectors.admin import Check, SetupStep, StepResult, attempt, fail, ok, tls_check, warn, webhook_check
from okr_sync.mapping import HomeItem

if TYPE_CHECKING:
    from okr_sync.connectors.azure_devops.connector import AzureDevOpsConnector
    from okr_sync.connectors.base import PullSpec

FIX_PAT = ("create a personal access token for the okr-sync account with the scope Work Items (Read & Write) in "
           "the right organisation (User settings → Personal access tokens) and put it in trackers.{name}.auth.token")
FIELD_STEPS = ("in Organization settings → Boards → Process, open the inherited process of project {project} (create "
               "one from the system process if the project uses Agile/Scrum/CMMI/Basic directly), then on each work "
               "item type holding KR homes choose New field: name {name}, type {type}; on Azure DevOps Server with "
               "an XML process add the field to the work item type definition (witadmin importwitd)")


def configured_fields(conn: AzureDevOpsConnector) -> dict[str, tuple[str, str]]:
    """Field reference → (why it is needed, the type setup would give it)."""
    settings = conn.settings
    found: dict[str, tuple[str, str]] = {}
    if settings.write.status_field:
        found[settings.write.status_field] = ("write.status_field", "Text (single line)")
    if settings.write.progress_field:
        found[settings.write.progress_field] = ("write.progress_field", "Decimal")
    for index, rule in enumerate(settings.link):
        if rule.field:
            found.setdefault(rule.field, (f"link[{index}].field", "Text (single line)"))
    return found


def _fields(conn: AzureDevOpsConnector) -> set[str]:
    body = conn.transport.json("get", f"{quote(conn.settings.scope.project)}/_apis/wit/fields",
                               subject=f"the fields of project {conn.settings.scope.project}", retry=False)
    return {str(row.get("referenceName")).casefold() for row in (body.get("value") or []) if isinstance(row, dict)}


def doctor(conn: AzureDevOpsConnector, spec: PullSpec, homes: Mapping[str, HomeItem],
           people: Mapping[str, str]) -> list[Check]:
    """Read-only checks, each failing one with its fix."""
    name, settings = conn.name, conn.settings
    checks = [tls_check(name, settings.url, settings.verify_tls, settings.ca_cert)]
    me, failed = attempt(name, "reachability", FIX_PAT.format(name=name), conn.me)
    if failed is not None:
        return [*checks, failed]
    checks.append(ok(name, "credentials", f"the PAT signs in (identity {me})"))
    project = settings.scope.project
    fields, failed = attempt(name, "project", f"check trackers.{name}.scope.project (the project name as shown in "
                                              "Azure DevOps) and that the okr-sync account is a member",
                             lambda: _fields(conn))
    if failed is not None:
        return [*checks, failed]
    checks.append(ok(name, "project", f"project {project} is readable"))
    for ref, (why, _) in configured_fields(conn).items():
        if ref.casefold() in fields:
            checks.append(ok(name, f"field {ref}", f"{ref} ({why}) exists"))
        else:
            checks.append(fail(name, f"field {ref}", f"{ref}, named in {why}, does not exist in project {project}",
                               f"run okr-sync setup {name} for the steps, or correct {why}"))
    optional = [f for f in (settings.blocked_field, *settings.points) if f and f.casefold() not in fields]
    if optional:
        checks.append(warn(name, "fields", f"{', '.join(optional)} not in the process: items cannot be read as "
                                           "blocked / with points from them", f"adjust trackers.{name}.blocked_field "
                                                                              "and points to fields the process has"))
    mine = {kr: home for kr, home in homes.items() if home.tracker == name}
    if mine:
        states, failed = attempt(name, "KR homes", "check the home ids in the OKR file",
                                 lambda: conn.read_homes(list(mine.values()), spec))
        if failed is not None:
            checks.append(failed)
        else:
            missing = [f"{kr} (work item {home.key})" for kr, home in mine.items() if not states[home].exists]
            checks.append(fail(name, "KR homes", f"missing or not visible: {', '.join(missing)}",
                               "correct home.id in the OKR file, or give the okr-sync account access to the area")
                          if missing else ok(name, "KR homes", f"{len(mine)} home work item(s) readable"))
    checks.append(webhook_check(name, settings.webhook_password, "webhook_password",
                                "set the same user name and password as basic authentication in the service hook "
                                "(Project settings → Service hooks → Web Hooks)"))
    checks += _people(conn, people)
    return checks


def _people(conn: AzureDevOpsConnector, people: Mapping[str, str]) -> list[Check]:
    if not people:
        return []
    users, failed = attempt(conn.name, "people", "grant the PAT the Graph (Read) scope, or skip people checks",
                            conn.list_users)
    if failed is not None:
        return [warn(conn.name, "people", failed.detail, failed.fix)]
    known = {str(u["identity"]).casefold() for u in users}
    unknown = sorted(person for person, identity in people.items() if identity.casefold() not in known)
    if unknown:
        return [warn(conn.name, "people", f"no Azure DevOps user with the e-mail given for {', '.join(unknown)}",
                     "correct their azure_devops identity (the e-mail they sign in with) in the people directory")]
    return [ok(conn.name, "people", f"{len(people)} identities found")]


def setup_plan(conn: AzureDevOpsConnector, homes: Mapping[str, HomeItem] | None = None) -> list[SetupStep]:
    """Manual steps for every configured field the project lacks (empty once they exist)."""
    present = _fields(conn)
    steps = []
    for ref, (why, kind) in configured_fields(conn).items():
        if ref.casefold() in present:
            continue
        label = ref.split(".", 1)[-1]
        steps.append(SetupStep(conn.name, "add field", ref,
                               f"needed by {why}; " + FIELD_STEPS.format(project=conn.settings.scope.project,
                                                                         name=label, type=kind),
                               {"reference": ref, "type": kind}, manual=True))
    return steps


def apply_setup(conn: AzureDevOpsConnector, steps: Sequence[SetupStep]) -> list[StepResult]:
    """Nothing is created through the API (process changes need a process administrator): each step is
    reported as still to be done by hand."""
    return [StepResult(step, ok=False, message=f"do this by hand: {step.detail}") for step in steps]

