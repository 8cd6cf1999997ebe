"""``okr-sync doctor`` and ``okr-sync setup jira`` for the Jira connector (read-only checks; additive set-up).

Doctor, in order (a failure of reachability or credentials stops the rest): TLS, ``serverInfo``,
``myself``, ``/mypermissions`` per home project (Browse projects, Edit issues, Add comments — a read-only
account is found without writing anything), the configured fields (exist, right type), the status
field's select options (Cloud: field contexts; Server has no REST API for them), every KR home issue,
webhook secret, and every person's Jira identity (``/user?accountId=`` on Cloud, ``?username=`` on Server,
``/user/search`` for an e-mail).

Set-up creates what the configuration names and the site lacks: the custom fields (``POST /field``) and
the status options (Cloud: ``POST /field/{id}/context/{ctx}/option``); never deletes or renames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from okr_sync.config.errors import ConfigurationError, SyncError
from okr_sync.connectors.admin import Check, SetupStep, StepResult, attempt, fail, ok, tls_check, warn, webhook_check
from okr_sync.mapping import HomeItem

if TYPE_CHECKING:
    from okr_sync.connectors.base import PullSpec
    from okr_sync.connectors.jira.connector import JiraConnector

PREFIX = "com.atlassian.jira.plugin.system.customfieldtypes:"
FIELD_TYPES = {  # kind → (Jira type key, searcher key, schema types accepted)
    "number": (PREFIX + "float", PREFIX + "exactnumber", {"number"}),
    "select": (PREFIX + "select", PREFIX + "multiselectsearcher", {"option"}),
    "datetime": (PREFIX + "datetime", PREFIX + "datetimerange", {"datetime", "string", "date"}),
}
PERMISSIONS = {"BROWSE_PROJECTS": "Browse Projects", "EDIT_ISSUES": "Edit Issues", "ADD_COMMENTS": "Add Comments"}
FIX_REACH = ("check trackers.{name}.url (the site's base URL, e.g. https://jira.example.gov), DNS, proxy and "
             "firewall from this machine")
CLOUD_BASIC = ("Jira Cloud takes an API token only with the account's e-mail: write trackers.{name}.auth: "
               "{{kind: basic, user: <the okr-sync account's e-mail>, token: <API token from id.atlassian.com → "
               "Security → API tokens>}}")
FIX_BY_DEPLOYMENT = {
    ("cloud", "token"): CLOUD_BASIC,
    ("cloud", "basic"): "Jira Cloud: trackers.{name}.auth.user must be the okr-sync account's e-mail (not a user "
                        "name) and trackers.{name}.auth.token a current API token from id.atlassian.com → "
                        "Security → API tokens",
    ("server", "token"): "Jira Server/Data Center: create a new personal access token (profile → Personal Access "
                         "Tokens) for the okr-sync account and put it in trackers.{name}.auth.token",
    ("server", "basic"): "Jira Server/Data Center: check trackers.{name}.auth.user (the user name) and "
                         "trackers.{name}.auth.token (its password); if the site disables basic auth, use a "
                         "personal access token with auth: {{kind: token}}",
}
FIX_CREDENTIALS = ("create a new API token (Cloud: id.atlassian.com → Security → API tokens; Server: profile → "
                   "Personal Access Tokens) for the okr-sync account and put it in trackers.{name}.auth.token")


def credentials_fix(conn: JiraConnector) -> str:
    """What to do about a 401, for this site's deployment and the configured auth kind.

    The deployment comes from the configuration, else from ``serverInfo`` (asked without credentials,
    as Jira answers it anonymously), else from an ``*.atlassian.net`` host.
    """
    name, s = conn.name, conn.settings
    deployment = s.deployment if s.deployment != "auto" else _anonymous_deployment(conn)
    fix = FIX_BY_DEPLOYMENT.get((deployment or "", s.auth.kind))
    return (fix or FIX_CREDENTIALS).format(name=name)


def _anonymous_deployment(conn: JiraConnector) -> str | None:
    import requests

    s = conn.settings
    try:
        answer = requests.get(f"{conn.session.base_url}/rest/api/2/serverInfo", timeout=s.timeout,
                              verify=s.ca_cert if s.ca_cert and s.verify_tls else s.verify_tls,
                              allow_redirects=False)
        kind = str(answer.json().get("deploymentType") or "").lower() if answer.ok else ""
    except (requests.RequestException, ValueError, AttributeError):
        kind = ""
    if kind in ("cloud", "server"):
        return kind
    host = conn.session.base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return "cloud" if host.endswith((".atlassian.net", ".jira.com")) else None


def wanted_fields(conn: JiraConnector) -> list[tuple[str, str, str]]:
    """(setting, field name or id, kind) for every field the configuration makes okr-sync use."""
    s = conn.settings
    found = [(f"write.fields.{key}", ref, kind) for key, kind in
             (("progress", "number"), ("status", "select"), ("forecast", "number"), ("last_sync", "datetime"))
             if (ref := getattr(s.write.fields, key))]
    if s.manual_value_field:
        found.append(("manual_value_field", s.manual_value_field, "number"))
    if s.points_field:
        found.append(("points_field", s.points_field, "number"))
    found += [(f"link.{i}.field", str(rule.field), "any") for i, rule in enumerate(s.link) if rule.field]
    return found


# --- doctor ------------------------------------------------------------------------------------------

def doctor(conn: JiraConnector, spec: PullSpec, homes: Mapping[str, HomeItem],
           people: Mapping[str, str]) -> list[Check]:
    """Every Jira check (see the module docstring); only reads."""
    name, s = conn.name, conn.settings
    checks = [tls_check(name, s.url, s.verify_tls, s.ca_cert)]
    _, problem = attempt(name, "reachability", FIX_REACH.format(name=name), conn.session.client)
    if problem is not None:
        if problem.topic == "credentials":  # a wrong token is refused even on serverInfo
            problem = fail(name, "credentials", problem.detail, credentials_fix(conn))
        return [*checks, problem]
    info = conn.session.server_info
    checks.append(ok(name, "reachability", f"{conn.session.base_url} answers: Jira "
                                           f"{'Cloud' if conn.session.cloud else 'Server/Data Center'} "
                                           f"{info.get('version', '')}".rstrip()))
    client = conn.session.client()
    me, problem = attempt(name, "credentials", credentials_fix(conn),
                          lambda: conn.session.call(client.myself, subject="myself (the okr-sync user)", retry=False))
    if problem is not None:
        return [*checks, problem]
    if conn.session.cloud and s.auth.kind == "token":  # deployment: auto; the site turned out to be Cloud
        checks.append(warn(name, "credentials", "this is Jira Cloud, and Cloud refuses API tokens sent as Bearer "
                                                "tokens", CLOUD_BASIC.format(name=name)))
    checks.append(ok(name, "credentials", f"signed in as {me.get('displayName') or me.get('name') or 'okr-sync'}"))
    checks += _permissions(conn, homes)
    checks += _fields(conn, measure_fields(spec))
    checks += _homes(conn, homes)
    checks.append(webhook_check(name, s.webhook_secret, "webhook_secret",
                                f"give the same secret to the Jira webhook posting to /webhooks/{name}"))
    checks += _people(conn, people)
    return checks


def _get(conn: JiraConnector, path: str, subject: str, params: dict[str, Any] | None = None) -> Any:
    client = conn.session.client()
    return conn.session.call(lambda: client._get_json(path, params=params), subject=subject, retry=False)


def _permissions(conn: JiraConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    name, write = conn.name, conn.settings.write
    keys = sorted({h.key.rsplit("-", 1)[0] for h in homes.values() if h.tracker == name})
    projects: list[str | None] = list(keys) or [None]
    needed = {"BROWSE_PROJECTS": "read work items"}
    if any(getattr(write.fields, k) for k in ("progress", "status", "forecast", "last_sync")):
        needed["EDIT_ISSUES"] = "write OKR fields on KR home issues"
    if write.status_comment or write.checkin_comment:
        needed["ADD_COMMENTS"] = "post status and check-in comments"
    checks = []
    for project in projects:
        where = f"project {project}" if project else "the site"
        params = {"permissions": ",".join(PERMISSIONS), **({"projectKey": project} if project else {})}
        answer, problem = attempt(name, f"permissions ({where})", "", partial(
            _get, conn, "mypermissions", f"permissions of the okr-sync account in {where}", params))
        if problem is not None:
            checks.append(warn(name, f"permissions ({where})", f"could not read them: {problem.detail}",
                               "grant Browse Projects, Edit Issues and Add Comments by hand and re-run doctor"))
            continue
        have = {k: bool(v.get("havePermission")) for k, v in (answer.get("permissions") or {}).items()}
        missing = [k for k in needed if not have.get(k)]
        if missing:
            names = ", ".join(f"{PERMISSIONS[k]} (to {needed[k]})" for k in missing)
            checks.append(fail(name, f"permissions ({where})", f"the okr-sync account lacks {names}",
                               f"in {where}'s permission scheme (Project settings → Permissions) grant "
                               f"{', '.join(PERMISSIONS[k] for k in missing)} to a role or group the okr-sync "
                               "account is in (read-only accounts cannot write status back)"))
        else:
            checks.append(ok(name, f"permissions ({where})", ", ".join(PERMISSIONS[k] for k in needed)))
    return checks


def measure_fields(spec: PullSpec) -> list[tuple[str, str, str]]:
    """(KR keys, field name, "any") for every number field a KR measure reads from this tracker: a mistyped
    ``sum_field`` must not pass the doctor (issue 19). Any type: text is read in the locale."""
    return [(" and ".join(spec.number_paths.get(ref, ())) or f"number field {ref}", ref, "any")
            for ref in sorted(spec.number_fields)]


def _fields(conn: JiraConnector, measures: list[tuple[str, str, str]] | None = None) -> list[Check]:
    name = conn.name
    catalogue, problem = attempt(name, "fields", "grant the okr-sync account Browse Projects", conn.catalogue)
    if problem is not None:
        return [problem]
    checks = []
    for setting, ref, kind in [*wanted_fields(conn), *(measures or [])]:
        topic = f"field {ref}"
        where = setting if setting.startswith(("objectives", "number field")) else f"trackers.{name}.{setting}"
        try:
            found = catalogue.resolve(ref, setting=setting)
        except ConfigurationError as exc:
            checks.append(fail(name, topic, f"{where}: {exc.problems[0].message}"
                               if where == setting else exc.problems[0].message,
                               f"run okr-sync setup jira --apply to create it, or correct {where}"))
            continue
        accepted = FIELD_TYPES[kind][2] if kind in FIELD_TYPES else None
        if accepted is not None and found.schema_type not in accepted:
            checks.append(fail(name, topic, f"{found.name} ({found.id}) is a {found.schema_type} field; okr-sync "
                                            f"needs a {kind} field for {setting}",
                               f"point trackers.{name}.{setting} at a {kind} field (okr-sync setup jira shows "
                               "which it would create)"))
            continue
        checks.append(ok(name, topic, f"{found.name} is {found.id} ({found.schema_type})"))
        if setting == "write.fields.status":
            checks.append(_options(conn, found.id, found.name))
    return checks


def field_options(conn: JiraConnector, field_id: str) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """(contexts, option value → enabled) of a select field on Cloud, every page of both."""
    contexts = _paged(conn, f"field/{field_id}/context", f"contexts of field {field_id}")
    values: dict[str, bool] = {}
    for context in contexts:
        for option in _paged(conn, f"field/{field_id}/context/{context['id']}/option", f"options of field {field_id}"):
            values[str(option["value"])] = values.get(str(option["value"]), False) or not option.get("disabled")
    return contexts, values


def _paged(conn: JiraConnector, path: str, subject: str) -> list[dict[str, Any]]:
    """Every value of a Cloud page bean (contexts come 50, options 100 per page by default).

    Follows ``startAt`` until ``isLast`` (or a short or empty page without it); stops if a page adds
    nothing new, so a server repeating itself cannot loop forever.
    """
    found: dict[str, dict[str, Any]] = {}
    while True:
        page = _get(conn, path, f"{subject} (from {len(found)})", params={"startAt": len(found)})
        values = [v for v in page.get("values") or [] if isinstance(v, dict)] if isinstance(page, dict) else []
        before = len(found)
        for value in values:
            found.setdefault(str(value.get("id", len(found))), value)
        if page.get("isLast", True) or not values or len(found) == before:
            return list(found.values())


def _options(conn: JiraConnector, field_id: str, field_name: str) -> Check:
    name, wanted = conn.name, conn.settings.write.status_options
    topic = f"options of {field_name}"
    if not conn.session.cloud:
        return warn(name, topic, "Jira Server/Data Center has no REST API listing select options; not verified",
                    f"check that {field_name} offers {', '.join(wanted.values())} (Administration → Custom "
                    "fields → Contexts and default value)")
    found, problem = attempt(name, topic, "", lambda: field_options(conn, field_id)[1])
    if problem is not None:
        return warn(name, topic, f"could not read them: {problem.detail}", "check the options by hand")
    missing = [v for v in wanted.values() if v not in found]
    disabled = [v for v in wanted.values() if v in found and not found[v]]
    if missing or disabled:
        said = "; ".join(part for part in (f"missing option(s) {', '.join(map(repr, missing))}" if missing else "",
                                           f"disabled option(s) {', '.join(map(repr, disabled))}" if disabled
                                           else "") if part)
        return fail(name, topic, said, "run okr-sync setup jira --apply (creates missing options), enable "
                                       f"disabled ones in the field's context, or change trackers.{name}."
                                       "write.status_options to the option names the field has")
    return ok(name, topic, ", ".join(wanted.values()))


def _homes(conn: JiraConnector, homes: Mapping[str, HomeItem]) -> list[Check]:
    checks, found = [], []
    for subject, home in sorted(homes.items()):
        if home.tracker != conn.name:
            continue
        _, problem = attempt(conn.name, f"home {home.key}", "", partial(
            _get, conn, f"issue/{home.key}", f"home issue {home.key} of {subject}", {"fields": "summary"}))
        if problem is not None:
            checks.append(fail(conn.name, f"home {home.key}", f"{subject}'s home issue: {problem.detail}",
                               f"correct the home key of {subject} in okr-sync.yaml, or grant the okr-sync "
                               "account Browse Projects where the issue is"))
        else:
            found.append(f"{home.key} ({subject})")
    if found:
        checks.insert(0, ok(conn.name, "KR home issues", f"{len(found)} found: {', '.join(found)}"))
    return checks


def _people(conn: JiraConnector, people: Mapping[str, str]) -> list[Check]:
    checks: list[Check] = []
    found: list[str] = []
    cloud = conn.session.cloud
    for person, identity in sorted(people.items()):
        topic = f"person {person}"
        try:
            if "@" in identity:
                users: list[dict[str, Any]] = _get(conn, "user/search", f"Jira user of {person}",
                                                   {"query" if cloud else "username": identity})
                exists = any(identity.lower() == str(u.get("emailAddress", "")).lower() for u in users) or \
                    len(users) == 1
            else:
                _get(conn, "user", f"Jira user of {person}", {"accountId" if cloud else "username": identity})
                exists = True
        except SyncError as error:
            if "credential" in error.message:
                checks.append(fail(conn.name, "credentials", error.message, FIX_CREDENTIALS.format(name=conn.name)))
                break
            exists = False
        if exists:
            found.append(person)
        else:
            what = "accountId (the id in the user's profile URL)" if cloud else "user name"
            checks.append(fail(conn.name, topic, f"no Jira user {identity!r} for person {person}",
                               f"set people[{person}].identities.{conn.name} to their Jira {what}"))
    if found:
        checks.insert(0, ok(conn.name, "people", f"{len(found)} identities found in Jira"))
    return checks


# --- set-up ------------------------------------------------------------------------------------------

def setup_plan(conn: JiraConnector, homes: Mapping[str, HomeItem] | None = None,
               spec: PullSpec | None = None) -> list[SetupStep]:
    """What the site lacks of what the configuration names (fields, status options); empty when complete.

    ``homes`` is accepted for a uniform interface; Jira fields are site-wide. ``spec`` adds the number
    fields KR measures read (``sum_field`` …): a missing one is proposed as a number field.
    """
    name, catalogue = conn.name, conn.catalogue()
    steps: list[SetupStep] = []
    created: list[str] = []
    measures = [(setting, ref, "number") for setting, ref, _ in measure_fields(spec)] if spec is not None else []
    for setting, ref, kind in [*wanted_fields(conn), *measures]:
        if kind not in FIELD_TYPES or catalogue.find(ref) is not None:
            continue
        if ref.startswith("customfield_"):
            steps.append(SetupStep(name, "manual", ref, f"{setting} names field id {ref}, which does not exist; "
                                                        "name the field instead so setup can create it",
                                   manual=True))
            continue
        steps.append(SetupStep(name, "create field", ref, f"{kind} custom field for {setting}",
                               {"name": ref, "kind": kind}))
        created.append(ref)
    status_ref = conn.settings.write.fields.status
    wanted = list(conn.settings.write.status_options.values())
    if status_ref:
        found = catalogue.find(status_ref)
        if found is None and not status_ref.startswith("customfield_"):
            missing = wanted
        elif found is not None and found.is_option and conn.session.cloud:
            missing = [v for v in wanted if v not in field_options(conn, found.id)[1]]
        else:
            missing = []
        if missing and conn.session.cloud:
            steps.append(SetupStep(name, "create option", status_ref, ", ".join(missing),
                                   {"field": status_ref, "values": missing}))
        elif missing:
            steps.append(SetupStep(name, "manual", status_ref, f"add the options {', '.join(missing)} (Jira Server "
                                   "has no REST API for options: Administration → Custom fields)", manual=True))
    if created:
        steps.append(SetupStep(name, "manual", ", ".join(created), "add the new field(s) to the edit screen of the "
                               "KR home issues' issue type (Project settings → Screens), or okr-sync cannot set "
                               "them", manual=True))
    return steps


def apply_setup(conn: JiraConnector, steps: Sequence[SetupStep]) -> list[StepResult]:
    """Perform the non-manual steps in order; one failure never stops the others."""
    results = []
    for step in steps:
        if step.manual:
            results.append(StepResult(step, True, "left to you"))
            continue
        try:
            message = _create_field(conn, step) if step.action == "create field" else _create_options(conn, step)
        except SyncError as error:
            results.append(StepResult(step, False, error.message))
        else:
            results.append(StepResult(step, True, message))
    return results


def _post(conn: JiraConnector, path: str, body: Mapping[str, Any], subject: str) -> Any:
    client = conn.session.client()
    url = f"{conn.session.base_url}/rest/api/2/{path}"
    response = conn.session.call(lambda: client._session.post(url, data=json.dumps(body)), subject=subject,
                                 retry=False)
    return response.json() if response.content else {}


def _create_field(conn: JiraConnector, step: SetupStep) -> str:
    type_key, searcher, _ = FIELD_TYPES[str(step.payload["kind"])]
    created = _post(conn, "field", {"name": step.payload["name"], "type": type_key, "searcherKey": searcher,
                                    "description": "Written by okr-sync."}, f"new custom field {step.target}")
    conn.forget_fields()  # read /field again: the new field has an id now
    return f"created {created.get('id', '')}".strip()


def _create_options(conn: JiraConnector, step: SetupStep) -> str:
    field = conn.catalogue().resolve(str(step.payload["field"]), setting="write.fields.status")
    contexts, present = field_options(conn, field.id)
    missing = [v for v in step.payload["values"] if v not in present]
    if not missing:
        return "already there"
    context = next((c for c in contexts if c.get("isGlobalContext")), contexts[0] if contexts else None)
    if context is None:
        context = _post(conn, f"field/{field.id}/context", {"name": "okr-sync", "description": "OKR status"},
                        f"context of {field.name}")
    _post(conn, f"field/{field.id}/context/{context['id']}/option", {"options": [{"value": v} for v in missing]},
          f"options of {field.name}")
    return f"created {', '.join(missing)} in context {context.get('name', context['id'])}"
