"""Jira emulator handlers for instance metadata, users, fields and options, projects and search.

Custom field options use the Cloud REST shape (``/field/{fieldId}/context`` and
``/field/{fieldId}/context/{contextId}/option``; Cloud only, as on the real service). Server only
offers ``GET /customFieldOption/{id}``, served on both.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from okr_sync.sandbox.jira_fixture import FixtureError, add_custom_field
from okr_sync.sandbox.jira_http import Call
from okr_sync.sandbox.jira_model import CUSTOM_TYPES, CustomField, FieldContext, JiraApiError
from okr_sync.sandbox.jira_search import IssueQuery
from okr_sync.sandbox.jira_views import parse_field_list, render_issue, wanted_fields

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0], 100282)
PERMISSIONS = {
    "BROWSE_PROJECTS": ("10", "Browse Projects", "Ability to browse projects and the issues within them."),
    "CREATE_ISSUES": ("11", "Create Issues", "Ability to create issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "ADD_COMMENTS": ("15", "Add Comments", "Ability to comment on issues."),
    "EDIT_OWN_COMMENTS": ("36", "Edit Own Comments", "Ability to edit own comments made on issues."),
    "TRANSITION_ISSUES": ("46", "Transition Issues", "Ability to transition issues."),
    "ADMINISTER": ("0", "Administer Jira", "Create and administer projects, issue types, fields, and more."),
}
"""Permission key → (id, name, description) the emulator knows (a subset of Jira's built-in ones)."""
READ_PERMISSIONS = frozenset({"BROWSE_PROJECTS"})
SEARCH_GONE = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
               "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")


class MetaApi:
    """Mixin of read-mostly handlers; ``Call`` carries state, user and renderer."""

    def server_info(self, call: Call) -> Any:
        """``GET /serverInfo`` (anonymous allowed, like the real one)."""
        version, numbers, build = CLOUD_VERSION if call.cloud else _server_version(call.state.version)
        return {"baseUrl": call.render.base, "version": version, "versionNumbers": numbers,
                "deploymentType": call.state.deployment, "buildNumber": build,
                "buildDate": "2026-01-01T00:00:00.000+0000", "serverTime": call.render.time(call.now),
                "scmInfo": "0" * 40, "serverTitle": "Jira (okr-sync sandbox)"}

    def myself(self, call: Call) -> Any:
        """``GET /myself``."""
        assert call.user is not None
        return call.render.full_user(call.user)

    def user_search(self, call: Call) -> Any:
        """``GET /user/search?query=`` (Cloud) or ``?username=`` (Server)."""
        term = call.arg("query") or call.arg("username")
        if not term:
            raise JiraApiError(400, "One of 'query' or 'username' must be given." if not call.cloud
                               else "One of 'query' or 'accountId' query parameters must be provided.")
        low = term.lower()
        if call.cloud:
            found = [u for u in call.state.users if low == u.account_id.lower()
                     or any(low in x.lower() for x in (u.name, u.display_name, u.email))]
            _, _, page = call.page(found, 50, 1000)
            return [call.render.full_user(u) for u in page]
        # Server matches the start of the user name, of a word of the display name, or of the e-mail;
        # "." (the usual "everyone" query) matches all. Results come sorted by user name.
        found = sorted((u for u in call.state.users if low == "." or _starts(low, u)), key=lambda u: u.name)
        if call.state.server_major >= 10:
            # JRASERVER-78520: at most 100 results; JRASERVER-78660: startAt pages inside those 100
            start, size = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 50), 100)
            return [call.render.full_user(u) for u in found[:100][start:start + size]]
        _, _, page = call.page(found, 50, 1000)
        return [call.render.full_user(u) for u in page]

    def users_list(self, call: Call) -> Any:
        """``GET /users/search`` (Cloud only; 404 on Server): every account, paged unkindly.

        Like Cloud, accounts the caller may not see (``hidden`` in the fixture) are dropped *after* the
        page is cut, so a page can be short before the end; and page boundaries are not stable: each
        page after the first starts one account early, repeating the previous page's last account.
        """
        if not call.cloud:
            raise JiraApiError(404, f"null for uri: {call.request.path}")
        start = call.int_arg("startAt", 0)
        size = min(call.int_arg("maxResults", 50), 1000)
        page = call.state.users[max(0, start - 1):start + size]
        return [call.render.user(u) for u in page if not u.hidden]

    def user_get(self, call: Call) -> Any:
        """``GET /user?accountId=`` (Cloud) or ``?username=|key=`` (Server)."""
        ref = call.arg("accountId") if call.cloud else (call.arg("username") or call.arg("key"))
        user = next((u for u in call.state.users
                     if ref and ref == (u.account_id if call.cloud else u.name)), None)
        if user is None:
            raise JiraApiError(404, "Specified user does not exist or you do not have required permissions")
        return call.render.full_user(user)

    def my_permissions(self, call: Call) -> Any:
        """``GET /mypermissions?permissions=K1,K2[&projectKey=|&issueKey=]``: what the caller may do.

        A ``read_only`` user has only ``BROWSE_PROJECTS``; everyone else has every listed permission.
        Cloud requires ``permissions`` (400 without it); Server lists all known permissions then.
        """
        assert call.user is not None
        wanted = [k.strip() for k in (call.arg("permissions") or "").split(",") if k.strip()]
        if not wanted:
            if call.cloud:
                raise JiraApiError(400, "The 'permissions' query parameter is required.")
            wanted = list(PERMISSIONS)
        unknown = [k for k in wanted if k not in PERMISSIONS]
        if unknown:
            raise JiraApiError(400, f"Invalid permission key(s): {', '.join(unknown)}")
        project_ref = call.arg("projectKey") or call.arg("projectId")
        issue_ref = call.arg("issueKey") or call.arg("issueId")
        if project_ref and call.state.project(project_ref) is None:
            raise JiraApiError(404, f"No project could be found with key '{project_ref}'.")
        if issue_ref and call.state.issue(issue_ref) is None:
            raise JiraApiError(404, f"Issue does not exist or you do not have permission to see it.: {issue_ref}")
        read_only = call.user.read_only
        return {"permissions": {key: {"id": PERMISSIONS[key][0], "key": key, "name": PERMISSIONS[key][1],
                                      "type": "PROJECT", "description": PERMISSIONS[key][2],
                                      "havePermission": key in READ_PERMISSIONS or not read_only}
                                for key in wanted}}

    # --- fields and options -------------------------------------------------------------------------

    def field_list(self, call: Call) -> Any:
        """``GET /field``: system and custom fields with clause names and schema."""
        return call.render.fields_list()

    def field_create(self, call: Call) -> Any:
        """``POST /field``: a custom field; ``type`` is Jira's custom type key."""
        body = call.json()
        kinds = {jira_key: kind for kind, (_, _, jira_key) in CUSTOM_TYPES.items()}
        name, kind = str(body.get("name") or ""), kinds.get(str(body.get("type")))
        errors = {}
        if not name.strip():
            errors["name"] = "The custom field name must not be empty."
        if kind is None:
            errors["type"] = (f"Custom field type '{body.get('type')}' is not supported here; use one of "
                              + ", ".join(kinds))
        if any(f.name.lower() == name.lower() for f in call.state.fields):
            errors["name"] = f"A custom field named '{name}' already exists."
        if errors:
            raise JiraApiError(400, [], errors)
        try:
            cf = add_custom_field(call.state, name, kind or "", [], description=str(body.get("description", "")))
        except FixtureError as exc:
            raise JiraApiError(400, str(exc)) from None
        return 201, call.render.field(cf)

    def _field(self, call: Call, field_id: str, *, options: bool = False) -> CustomField:
        if not call.cloud:
            raise JiraApiError(404, f"null for uri: {call.request.path}")
        cf = call.state.custom_field(field_id)
        if cf is None or cf.id != field_id:
            raise JiraApiError(404, f"The custom field was not found: {field_id}")
        if options and cf.kind not in ("select", "checkbox"):
            raise JiraApiError(400, "The custom field doesn't support options.")
        return cf

    def _context(self, call: Call, field_id: str, context_id: str) -> FieldContext:
        cf = self._field(call, field_id, options=True)
        context = next((c for c in cf.contexts if c.id == context_id), None)
        if context is None:
            raise JiraApiError(404, f"The context was not found: {context_id}")
        return context

    def context_list(self, call: Call, fieldId: str) -> Any:
        """``GET /field/{fieldId}/context``."""
        cf = self._field(call, fieldId)
        values = [{"id": c.id, "name": c.name, "description": c.description,
                   "isGlobalContext": not c.project_ids, "isAnyIssueType": True} for c in cf.contexts]
        return _page_bean(call, values, 50)

    def context_create(self, call: Call, fieldId: str) -> Any:
        """``POST /field/{fieldId}/context``: a context, optionally limited to ``projectIds``."""
        cf = self._field(call, fieldId)
        body = call.json()
        if not body.get("name"):
            raise JiraApiError(400, [], {"name": "The context name must not be empty."})
        projects = [str(p) for p in body.get("projectIds") or []]
        unknown = [p for p in projects if not any(x.id == p for x in call.state.projects)]
        if unknown:
            raise JiraApiError(404, f"Projects not found: {', '.join(unknown)}")
        context = FieldContext(call.state.next_id(), str(body["name"]), str(body.get("description", "")),
                               projects)
        cf.contexts.append(context)
        return 201, {"id": context.id, "name": context.name, "description": context.description,
                     "projectIds": projects, "issueTypeIds": []}

    def option_list(self, call: Call, fieldId: str, contextId: str) -> Any:
        """``GET /field/{fieldId}/context/{contextId}/option``."""
        context = self._context(call, fieldId, contextId)
        return _page_bean(call, [dict(o) for o in context.options])

    def option_create(self, call: Call, fieldId: str, contextId: str) -> Any:
        """``POST …/option`` with ``{"options": [{"value", "disabled"}]}`` → 200 created options."""
        context = self._context(call, fieldId, contextId)
        wanted = call.json().get("options")
        if not isinstance(wanted, list) or not wanted:
            raise JiraApiError(400, "Provide the options to create as {\"options\": [{\"value\": ...}]}.")
        taken = {o["value"].lower() for o in context.options}
        created = []
        for raw in wanted:
            value = str(raw.get("value", "")) if isinstance(raw, dict) else ""
            if not value.strip():
                raise JiraApiError(400, "An option value must not be empty.")
            if value.lower() in taken:
                raise JiraApiError(400, f"The option '{value}' already exists in this context.")
            taken.add(value.lower())
            created.append({"id": call.state.next_id(), "value": value, "disabled": bool(raw.get("disabled"))})
        context.options.extend(created)
        return {"options": created}

    def option_update(self, call: Call, fieldId: str, contextId: str) -> Any:
        """``PUT …/option`` with ``{"options": [{"id", "value"?, "disabled"?}]}``: rename or disable."""
        context = self._context(call, fieldId, contextId)
        changed = []
        for raw in call.json().get("options") or []:
            option = next((o for o in context.options if o["id"] == str(raw.get("id"))), None)
            if option is None:
                raise JiraApiError(404, f"The option was not found: {raw.get('id')}")
            if "value" in raw:
                option["value"] = str(raw["value"])
            if "disabled" in raw:
                option["disabled"] = bool(raw["disabled"])
            changed.append(dict(option))
        return {"options": changed}

    def option_get(self, call: Call, id: str) -> Any:
        """``GET /customFieldOption/{id}``."""
        option = next((o for f in call.state.fields for o in f.options() if o["id"] == id), None)
        if option is None:
            raise JiraApiError(404, f"A custom field option with id '{id}' does not exist.")
        return {"self": call.render.url(f"customFieldOption/{id}"), "value": option["value"]}

    # --- projects, types, statuses, link types ---------------------------------------------------------

    def project_list(self, call: Call) -> Any:
        """``GET /project``."""
        full = "issueTypes" in (call.arg("expand") or "")
        return [call.render.project(p, full=full) for p in call.state.projects]

    def project_get(self, call: Call, projectIdOrKey: str) -> Any:
        """``GET /project/{projectIdOrKey}``."""
        project = call.state.project(projectIdOrKey)
        if project is None:
            raise JiraApiError(404, f"No project could be found with key '{projectIdOrKey}'.")
        return call.render.project(project, full=True)

    def project_statuses(self, call: Call, projectIdOrKey: str) -> Any:
        """``GET /project/{key}/statuses``: every issue type with the workflow's statuses."""
        project = call.state.project(projectIdOrKey)
        if project is None:
            raise JiraApiError(404, f"No project could be found with key '{projectIdOrKey}'.")
        statuses = [call.render.status(s) for s in call.state.statuses]
        return [{**call.render.issue_type(call.state.issue_type(t)), "statuses": statuses}
                for t in project.type_ids]

    def issue_types(self, call: Call) -> Any:
        """``GET /issuetype``."""
        return [call.render.issue_type(t) for t in call.state.issue_types]

    def statuses(self, call: Call) -> Any:
        """``GET /status``."""
        return [call.render.status(s) for s in call.state.statuses]

    def link_types(self, call: Call) -> Any:
        """``GET /issueLinkType``."""
        return {"issueLinkTypes": [call.render.link_type(t) for t in call.state.link_types]}

    # --- search -------------------------------------------------------------------------------------

    def search_server(self, call: Call) -> Any:
        """``GET|POST /search`` (Server): startAt/maxResults (cap 1000, echoed)/total; 410 on Cloud."""
        if call.cloud:
            raise JiraApiError(410, SEARCH_GONE)
        body = call.json() if call.request.method == "POST" else None
        params = _search_params(call, body)
        assert call.user is not None
        found = IssueQuery(call.state, params["jql"], call.user, call.now).run()
        start = call.int_arg("startAt", 0, body=body)
        size = min(call.int_arg("maxResults", 50, body=body), 1000)
        wanted = wanted_fields(call.state, params["fields"], "*navigable")
        issues = [render_issue(call.render, i, wanted, params["expand"]) for i in found[start:start + size]]
        return {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(found),
                "issues": issues}

    def search_cloud(self, call: Call) -> Any:
        """``GET|POST /search/jql`` (Cloud): nextPageToken paging, no total; 404 on Server."""
        if not call.cloud:
            raise JiraApiError(404, "null for uri: /rest/api/2/search/jql")
        body = call.json() if call.request.method == "POST" else None
        params = _search_params(call, body)
        assert call.user is not None
        found = IssueQuery(call.state, params["jql"], call.user, call.now).run()
        reconcile = _reconcile_ids(call, body)
        if call.state.index_lag:  # eventual consistency: just-written issues are not in the index yet
            found = [i for i in found if i.id not in call.state.unindexed or i.id in reconcile]
        wanted = wanted_fields(call.state, params["fields"], "id")
        cap = 5000 if not wanted else 100
        size = min(call.int_arg("maxResults", 50, body=body), cap) or cap
        token = (body or {}).get("nextPageToken") if body is not None else call.arg("nextPageToken")
        fingerprint = hashlib.sha256(params["jql"].encode()).hexdigest()[:12]
        start = _read_token(token, fingerprint) if token else 0
        page = found[start:start + size]
        out: dict[str, Any] = {"issues": [render_issue(call.render, i, wanted, params["expand"]) for i in page]}
        if start + size < len(found):
            out["nextPageToken"] = _make_token(start + size, fingerprint)
        out["isLast"] = "nextPageToken" not in out
        if out["isLast"]:
            call.state.unindexed.clear()  # the index has caught up by the next search
        return out


def _starts(term: str, user: Any) -> bool:
    words = [user.name, user.email, *user.display_name.split()]
    return any(w.lower().startswith(term) for w in words)


def _server_version(version: str) -> tuple[str, list[int], int]:
    numbers = [int(p) if p.isdigit() else 0 for p in [*version.split("."), "0", "0"][:3]]
    return version, numbers, numbers[0] * 1_000_000 + numbers[1] * 10_000 + numbers[2]


def _search_params(call: Call, body: dict[str, Any] | None) -> dict[str, Any]:
    if body is not None:
        jql, fields, expand = body.get("jql") or "", body.get("fields"), body.get("expand")
        expand = ",".join(expand) if isinstance(expand, list) else expand
    else:
        jql, fields, expand = call.arg("jql") or "", call.args("fields"), call.arg("expand")
    if not isinstance(jql, str):
        raise JiraApiError(400, "The 'jql' parameter must be a string.")
    return {"jql": jql, "fields": parse_field_list(fields),
            "expand": set(parse_field_list(expand))}


def _reconcile_ids(call: Call, body: dict[str, Any] | None) -> set[str]:
    """``reconcileIssues``: at most 50 issue ids (numbers), else 400 like Cloud."""
    raw = (body or {}).get("reconcileIssues") if body is not None else \
        [part for value in call.args("reconcileIssues") for part in value.split(",") if part.strip()]
    ids = [str(i).strip() for i in raw or []]
    if len(ids) > 50:
        raise JiraApiError(400, "reconcileIssues accepts at most 50 issue ids.")
    if not all(i.isdigit() for i in ids):
        raise JiraApiError(400, "reconcileIssues takes issue ids (numbers), not keys.")
    return set(ids)


def _make_token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": fingerprint}).encode()).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["q"] != fingerprint:
            raise ValueError("token of another query")
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise JiraApiError(400, "The provided next page token is invalid or expired.") from None


def _page_bean(call: Call, values: list[Any], default_max: int = 100) -> dict[str, Any]:
    """A Cloud page bean: contexts come 50, options 100 per page unless ``maxResults`` asks otherwise."""
    start, size, page = call.page(values, default_max, 1000)
    return {"maxResults": size, "startAt": start, "total": len(values),
            "isLast": start + size >= len(values), "values": page}
