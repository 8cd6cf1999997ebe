"""State of the GitLab emulator and the JSON GitLab renders for it.

Holds users, groups, projects (with labels and milestones), issues, notes and issue links, loads them
from the fixture's ``gitlab`` section, and renders each the way GitLab's REST v4 entities look. Every
renderer takes ``base`` — the absolute URL of the GitLab instance as the client sees it (``http://
host:port/gitlab``) — so ``web_url`` and ``_links`` work on any port and under the mount prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from okr_sync.sandbox.gitlab_model import Group, Issue, IssueLink, Label, Milestone, Note, Project, User

__all__ = ["GitLabState", "Group", "Issue", "IssueLink", "Label", "Milestone", "Note", "Project", "User",
           "gitlab_time"]


def gitlab_time(when: datetime | None) -> str | None:
    """GitLab's timestamp format: ISO 8601 in UTC with milliseconds and ``Z``."""
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class GitLabState:
    """Everything the GitLab emulator knows; the emulator serialises access with its own lock."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.notes: dict[int, Note] = {}
        self.links: dict[int, IssueLink] = {}
        self._ids: dict[str, int] = {}

    def next_id(self, kind: str) -> int:
        """A fresh global id for ``kind`` (GitLab ids are global, iids per project)."""
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def bump_ids(self, kind: str, used: int) -> None:
        """Make sure later ``next_id(kind)`` calls never hand out ``used`` again."""
        self._ids[kind] = max(self._ids.get(kind, 0), used)

    # -- lookups ---------------------------------------------------------------------------------

    def group_full_path(self, group: Group) -> str:
        """``parent/child`` path of a (sub)group."""
        parts = [group.path]
        while group.parent_id is not None:
            group = self.groups[group.parent_id]
            parts.append(group.path)
        return "/".join(reversed(parts))

    def project_full_path(self, project: Project) -> str:
        """``group/project`` path (``path_with_namespace``)."""
        return f"{self.group_full_path(self.groups[project.group_id])}/{project.path}"

    def find_group(self, ref: str) -> Group | None:
        """A group by numeric id or full path (already URL-decoded)."""
        if ref.isdigit():
            return self.groups.get(int(ref))
        return next((g for g in self.groups.values() if self.group_full_path(g) == ref), None)

    def find_project(self, ref: str) -> Project | None:
        """A project by numeric id or full path (already URL-decoded)."""
        if ref.isdigit():
            return self.projects.get(int(ref))
        return next((p for p in self.projects.values() if self.project_full_path(p) == ref), None)

    def find_issue(self, project: Project, iid: int) -> Issue | None:
        """A project's issue by its iid."""
        return next((i for i in self.issues.values() if i.project_id == project.id and i.iid == iid), None)

    def find_user(self, username: str) -> User | None:
        """A user by username."""
        return next((u for u in self.users.values() if u.username == username), None)

    def group_and_descendants(self, group: Group) -> set[int]:
        """Ids of ``group`` and all its subgroups."""
        found = {group.id}
        grew = True
        while grew:
            more = {g.id for g in self.groups.values() if g.parent_id in found} - found
            found |= more
            grew = bool(more)
        return found

    def ensure_label(self, project: Project, name: str) -> None:
        """Create a project label on first use, as GitLab does for labels set on issues."""
        if name not in project.labels:
            project.labels[name] = Label(id=self.next_id("label"), name=name)

    # -- rendering -------------------------------------------------------------------------------

    def user_json(self, user: User, base: str) -> dict[str, Any]:
        """The basic user entity (as embedded in issues and notes)."""
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": f"{base}/{user.username}",
        }

    def group_json(self, group: Group, base: str) -> dict[str, Any]:
        """The group entity."""
        full_path = self.group_full_path(group)
        return {
            "id": group.id,
            "web_url": f"{base}/groups/{full_path}",
            "name": group.name,
            "path": group.path,
            "description": group.description,
            "visibility": "private",
            "full_name": full_path.replace("/", " / "),
            "full_path": full_path,
            "parent_id": group.parent_id,
            "avatar_url": None,
        }

    def project_json(self, project: Project, base: str) -> dict[str, Any]:
        """The project entity."""
        group = self.groups[project.group_id]
        full_path = self.project_full_path(project)
        return {
            "id": project.id,
            "description": project.description,
            "name": project.name,
            "name_with_namespace": f"{self.group_json(group, base)['full_name']} / {project.name}",
            "path": project.path,
            "path_with_namespace": full_path,
            "created_at": gitlab_time(project.created_at),
            "default_branch": None,
            "web_url": f"{base}/{full_path}",
            "visibility": "private",
            "issues_enabled": True,
            "namespace": {
                "id": group.id,
                "name": group.name,
                "path": group.path,
                "kind": "group",
                "full_path": self.group_full_path(group),
                "parent_id": group.parent_id,
                "web_url": f"{base}/groups/{self.group_full_path(group)}",
            },
            "_links": {"self": f"{base}/api/v4/projects/{project.id}"},
        }

    def label_json(self, project: Project, label: Label) -> dict[str, Any]:
        """A project label entity with its open-issue count."""
        open_count = sum(
            1
            for i in self.issues.values()
            if i.project_id == project.id and i.state == "opened" and label.name in i.labels
        )
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "text_color": "#FFFFFF",
            "description": label.description,
            "open_issues_count": open_count,
            "subscribed": False,
            "priority": None,
            "is_project_label": True,
        }

    def milestone_json(self, milestone: Milestone, base: str) -> dict[str, Any]:
        """A project milestone entity."""
        project = self.projects[milestone.project_id]
        return {
            "id": milestone.id,
            "iid": milestone.iid,
            "project_id": milestone.project_id,
            "title": milestone.title,
            "description": None,
            "state": milestone.state,
            "due_date": milestone.due_date,
            "web_url": f"{base}/{self.project_full_path(project)}/-/milestones/{milestone.iid}",
        }

    def issue_json(self, issue: Issue, base: str) -> dict[str, Any]:
        """The full issue entity, as GitLab answers GET/POST/PUT and list calls."""
        project = self.projects[issue.project_id]
        full_path = self.project_full_path(project)
        assignees = [self.user_json(self.users[u], base) for u in issue.assignee_ids if u in self.users]
        milestone = project.milestones.get(issue.milestone_id) if issue.milestone_id else None
        api = f"{base}/api/v4/projects/{project.id}"
        closed_by = self.users.get(issue.closed_by_id) if issue.closed_by_id else None
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": issue.project_id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "created_at": gitlab_time(issue.created_at),
            "updated_at": gitlab_time(issue.updated_at),
            "closed_at": gitlab_time(issue.closed_at),
            "closed_by": self.user_json(closed_by, base) if closed_by else None,
            "labels": sorted(issue.labels),
            "milestone": self.milestone_json(milestone, base) if milestone else None,
            "assignees": assignees,
            "assignee": assignees[0] if assignees else None,
            "author": self.user_json(self.users[issue.author_id], base),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": sum(
                1 for n in self.notes.values() if n.issue_id == issue.id and not n.system
            ),
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": issue.due_date,
            "confidential": issue.confidential,
            "discussion_locked": None,
            "web_url": f"{base}/{full_path}/-/issues/{issue.iid}",
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "weight": issue.weight,
            "has_tasks": False,
            "_links": {
                "self": f"{api}/issues/{issue.iid}",
                "notes": f"{api}/issues/{issue.iid}/notes",
                "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
                "project": api,
            },
            "references": {
                "short": f"#{issue.iid}",
                "relative": f"#{issue.iid}",
                "full": f"{full_path}#{issue.iid}",
            },
            "severity": "UNKNOWN",
            "moved_to_id": None,
        }

    def note_json(self, note: Note, base: str) -> dict[str, Any]:
        """A note entity."""
        issue = self.issues[note.issue_id]
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": self.user_json(self.users[note.author_id], base),
            "created_at": gitlab_time(note.created_at),
            "updated_at": gitlab_time(note.updated_at),
            "system": note.system,
            "noteable_id": issue.id,
            "noteable_type": "Issue",
            "project_id": issue.project_id,
            "noteable_iid": issue.iid,
            "resolvable": False,
            "confidential": False,
            "internal": False,
        }

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON-serialisable dump of the state (for tests and debugging)."""
        base = "http://sandbox/gitlab"
        return {
            "users": [{"id": u.id, "username": u.username, "read_only": u.read_only} for u in self.users.values()],
            "groups": [self.group_json(g, base) for g in self.groups.values()],
            "projects": [
                {**self.project_json(p, base), "labels": [self.label_json(p, lb) for lb in p.labels.values()]}
                for p in self.projects.values()
            ],
            "issues": [self.issue_json(i, base) for i in self.issues.values()],
            "notes": [self.note_json(n, base) for n in self.notes.values()],
            "links": [
                {"id": lk.id, "source_issue_id": lk.source_id, "target_issue_id": lk.target_id,
                 "link_type": lk.link_type}
                for lk in self.links.values()
            ],
        }
