"""Test helper (no tests here): okr-sync's comments on a sandbox Jira, as a person with API access sees them.

Cloud drops the anchor in its comment round trip, so okr-sync's comments are found by the ``okr-sync``
comment property (``POST /comment/list?expand=properties``); Server/DC keeps the anchor in the text.
"""

from __future__ import annotations

import json
from typing import Any

from jira import JIRA

from okr_sync.connectors.jira.writeback import marker_key
from tests.contract.harness_jira import JiraSite


def own_comments(site: JiraSite, key: str) -> list[dict[str, Any]]:
    """okr-sync's comments on an issue, each with its ``marker`` added."""
    me = site.client.myself()
    who = "accountId" if site.cloud else "name"
    comments = [c for c in site.comments(key) if c["author"][who] == me[who]]  # okr-sync's user wrote it
    if not site.cloud:
        return [{**c, "marker": marker_key(c["body"])} for c in comments if marker_key(c["body"])]
    if not comments:
        return []
    listed = site.client._session.post(f"{site.info['url']}/rest/api/2/comment/list?expand=properties",
                                       data=json.dumps({"ids": [c["id"] for c in comments]})).json()["values"]
    marks = {c["id"]: p["value"]["marker"] for c in listed for p in c["properties"] if p["key"] == "okr-sync"}
    return [{**c, "marker": marks[c["id"]]} for c in comments if c["id"] in marks]


def people_comments(site: JiraSite, key: str) -> list[tuple[str, str, str]]:
    """(id, body, updated) of every comment that is not okr-sync's."""
    own = {c["id"] for c in own_comments(site, key)}
    return [(c["id"], c["body"], c["updated"]) for c in site.comments(key) if c["id"] not in own]


def marked(client: JIRA, key: str) -> list[tuple[str, str]]:
    """(marker, body) of okr-sync's comments on an issue, through any ``jira.JIRA`` client of the site."""
    comments = client._get_json(f"issue/{key}/comment")["comments"]
    if client.server_info()["deploymentType"] != "Cloud":
        return [(m, c["body"]) for c in comments if (m := marker_key(c["body"]))]
    if not comments:
        return []
    listed = client._session.post(f"{client._options['server']}/rest/api/2/comment/list?expand=properties",
                                  data=json.dumps({"ids": [c["id"] for c in comments]})).json()["values"]
    return [(p["value"]["marker"], c["body"]) for c in listed for p in c["properties"] if p["key"] == "okr-sync"]
