"""The Jira emulator's ``/mypermissions`` (added for ``okr-sync doctor``), through the real ``jira`` library."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from tests.conftest import SandboxControl
from tests.sandbox.jira_support import start_sandbox

WANTED = "BROWSE_PROJECTS,EDIT_ISSUES,ADD_COMMENTS"


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_bot_has_every_permission_and_viewer_only_browse(deployment: str) -> None:
    sb = start_sandbox(deployment)
    try:
        info = sb.info["jira"]
        bot = JIRA(info["url"], basic_auth=(info["user"], info["token"]))
        viewer = JIRA(info["url"], basic_auth=(info["readonly_user"], "sandbox-jira-readonly"))
        mine = bot.my_permissions(projectKey="OKR", permissions=WANTED)["permissions"]
        assert {k: v["havePermission"] for k, v in mine.items()} == {
            "BROWSE_PROJECTS": True, "EDIT_ISSUES": True, "ADD_COMMENTS": True}
        assert mine["EDIT_ISSUES"]["name"] == "Edit Issues" and mine["EDIT_ISSUES"]["type"] == "PROJECT"
        theirs = viewer.my_permissions(issueKey="OKR-1", permissions=WANTED)["permissions"]
        assert {k: v["havePermission"] for k, v in theirs.items()} == {
            "BROWSE_PROJECTS": True, "EDIT_ISSUES": False, "ADD_COMMENTS": False}
        with pytest.raises(JIRAError) as missing:
            bot.my_permissions(projectKey="NOPE", permissions=WANTED)
        assert missing.value.status_code == 404 and "NOPE" in str(missing.value.text)
        with pytest.raises(JIRAError) as bad:
            bot.my_permissions(permissions="FLY")
        assert bad.value.status_code == 400 and "FLY" in str(bad.value.text)
        if deployment == "Cloud":
            with pytest.raises(JIRAError) as required:
                bot.my_permissions()
            assert required.value.status_code == 400
        else:
            assert "EDIT_ISSUES" in bot.my_permissions()["permissions"]
        counts = SandboxControl(sb.control_url).requests()
        assert counts["writes"] == 0 and counts["by_route"]["GET /jira/rest/api/2/mypermissions"] == 5
        bot.close()
        viewer.close()
    finally:
        sb.stop()
