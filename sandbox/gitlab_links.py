"""GitLab issue-link endpoints of the emulator: ``/projects/:id/issues/:iid/links``.

Linking an issue twice answers 409 ``Issue(s) already assigned``, linking it to itself 422, an unknown
target 404 — as GitLab's ``IssueLinks::CreateService`` does.
"""

from __future__ import annotations

from okr_sync.sandbox.gitlab_http import Call, GitLabError, Reply
from okr_sync.sandbox.gitlab_issues import find_issue
from okr_sync.sandbox.gitlab_store import IssueLink, gitlab_time

LINK_TYPES = ("relates_to", "blocks", "is_blocked_by")


def list_links(call: Call, id: str, issue_iid: str) -> Reply:
    """``GET …/issues/:issue_iid/links`` — the linked issues with link metadata (not paginated)."""
    issue = find_issue(call, call.project(id), issue_iid)
    rows = []
    for link in sorted(call.state.links.values(), key=lambda lk: lk.id):
        if issue.id not in (link.source_id, link.target_id):
            continue
        outward = link.source_id == issue.id
        other = call.state.issues[link.target_id if outward else link.source_id]
        link_type = link.link_type if outward else _inverse(link.link_type)
        rows.append({**call.state.issue_json(other, call.base), "issue_link_id": link.id,
                     "link_type": link_type, "link_created_at": _time(link),
                     "link_updated_at": _time(link)})
    return 200, rows, {}


def _inverse(link_type: str) -> str:
    return {"blocks": "is_blocked_by", "is_blocked_by": "blocks"}.get(link_type, link_type)


def _time(link: IssueLink) -> str | None:
    return gitlab_time(link.created_at)


def create_link(call: Call, id: str, issue_iid: str) -> Reply:
    """``POST …/issues/:issue_iid/links`` → 201 ``{source_issue, target_issue, link_type}``."""
    source = find_issue(call, call.project(id), issue_iid)
    target_project = call.params.text("target_project_id")
    target_iid = call.params.text("target_issue_iid")
    if target_project is None or target_iid is None:
        missing = [k for k, v in (("target_project_id", target_project), ("target_issue_iid", target_iid))
                   if v is None]
        raise GitLabError(400, {"error": ", ".join(missing) + " is missing"})
    link_type = call.params.choice("link_type", LINK_TYPES, "relates_to")
    project = call.state.find_project(target_project)
    target = call.state.find_issue(project, int(target_iid)) if project and target_iid.isdigit() else None
    if target is None:
        raise GitLabError(404, {"message": "No matching issue found. Make sure that you are adding a valid "
                                           "issue URL."})
    if target.id == source.id:
        raise GitLabError(422, {"message": "Source cannot be related to itself."})
    if any({lk.source_id, lk.target_id} == {source.id, target.id} for lk in call.state.links.values()):
        raise GitLabError(409, {"message": "Issue(s) already assigned"})
    link = IssueLink(call.state.next_id("link"), source.id, target.id, link_type, call.clock.tick())
    call.state.links[link.id] = link
    body = {"source_issue": call.state.issue_json(source, call.base),
            "target_issue": call.state.issue_json(target, call.base), "link_type": link_type}
    return 201, body, {}


def delete_link(call: Call, id: str, issue_iid: str, issue_link_id: str) -> Reply:
    """``DELETE …/links/:issue_link_id`` → 200 with the removed link."""
    issue = find_issue(call, call.project(id), issue_iid)
    link = call.state.links.get(int(issue_link_id)) if issue_link_id.isdigit() else None
    if link is None or issue.id not in (link.source_id, link.target_id):
        raise GitLabError(404, {"message": "404 Not found"})
    del call.state.links[link.id]
    body = {"source_issue": call.state.issue_json(call.state.issues[link.source_id], call.base),
            "target_issue": call.state.issue_json(call.state.issues[link.target_id], call.base),
            "link_type": link.link_type}
    return 200, body, {}
