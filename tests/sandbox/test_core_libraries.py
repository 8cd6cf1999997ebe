"""The core serving the real emulators to the real client libraries: mounts, counters, identity, faults.

The shared demo ``sandbox`` is used read-only; each test zeroes the counters it asserts on and clears
the fault rules it adds.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import gitlab
import httpx
import pytest
from azure.identity import ClientSecretCredential
from jira import JIRA

from okr_sync.sandbox.server import Sandbox

pytestmark = [
    # msgraph-sdk's generated request builders warn about their own deprecated classes on import
    pytest.mark.filterwarnings("ignore::DeprecationWarning:msgraph"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kiota_abstractions"),
]


def graph_read(sb: Sandbox) -> Any:
    """Read the demo plan with msgraph-sdk and the real credential (the tasks are the Graph tests' job;
    msgraph's deserialisation costs ~25 ms per task)."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    planner = sb.info["planner"]
    credential = ClientSecretCredential(
        planner["tenant_id"], planner["client_id"], planner["client_secret"], authority=planner["authority"],
        disable_instance_discovery=True, connection_verify=planner["ca_cert"])

    async def read() -> Any:
        auth = AzureIdentityAuthenticationProvider(
            credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=["127.0.0.1"])
        http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient())
        try:
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = planner["graph_url"]
            client = GraphServiceClient(request_adapter=adapter)
            return await client.planner.plans.by_planner_plan_id(planner["plan_id"]).get()
        finally:
            await http.aclose()

    try:
        return asyncio.run(read())
    finally:
        credential.close()


def test_msgraph_with_the_real_credential_reads_the_demo_plan(sandbox: Sandbox) -> None:
    sandbox.requests.reset()
    plan = graph_read(sandbox)
    assert plan.title == "Licensing" and plan.id == sandbox.info["planner"]["plan_id"]
    counts = sandbox.requests.to_json()
    assert counts["by_route"] == {"GET /graph/v1.0/planner/plans/{plan_id}": 1}
    assert counts["identity"]["by_route"]["POST /{tenant}/oauth2/v2.0/token"] == 1


def test_graph_refuses_a_token_the_identity_endpoint_did_not_issue(sandbox: Sandbox) -> None:
    url = f"{sandbox.info['planner']['graph_url']}/planner/plans/{sandbox.info['planner']['plan_id']}"
    request = urllib.request.Request(url, headers={"Authorization": "Bearer sandbox-at-forged"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    with err.value:
        assert err.value.code == 401
        assert json.loads(err.value.read())["error"]["code"] == "InvalidAuthenticationToken"


def test_jira_library_works_under_the_jira_mount(sandbox: Sandbox) -> None:
    sandbox.requests.reset()
    info = sandbox.info["jira"]
    client = JIRA(server=info["url"], basic_auth=(info["user"], info["token"]))
    try:
        assert client.server_info()["deploymentType"] == info["deployment"] == "Cloud"
        assert client.myself()["displayName"] == "OKR Sync Bot"
    finally:
        client.close()
    by_route = sandbox.requests.to_json()["by_route"]
    assert by_route["GET /jira/rest/api/2/serverInfo"] >= 2  # the constructor and our call
    assert by_route["GET /jira/rest/api/2/myself"] == 1


def test_gitlab_retries_an_injected_429_and_the_counters_show_both(sandbox: Sandbox) -> None:
    sandbox.requests.reset()
    info = sandbox.info["gitlab"]
    sandbox.faults.add({"route": "GET /gitlab/api/v4/projects/*", "kind": "429", "times": 1, "retry_after": 0})
    try:
        with gitlab.Gitlab(info["url"], private_token=info["token"]) as gl:
            project = gl.projects.get(info["project"])
        assert project.path_with_namespace == "transparency/portal"
    finally:
        sandbox.faults.clear()
    counts = sandbox.requests.to_json()
    # the faulted request counts by its concrete path, the answered one by its route template
    assert counts["faulted"] == {"GET /gitlab/api/v4/projects/transparency/portal": 1}
    assert counts["by_route"] == {"GET /gitlab/api/v4/projects/{id}": 1}
    assert counts["total"] == 2


def test_make_sandbox_gives_fresh_sandboxes_per_deployment(make_sandbox: Any, control_of: Any) -> None:
    server = make_sandbox("empty", jira_deployment="server")
    cloud = make_sandbox("empty")
    assert server.base_url != cloud.base_url
    for sb, expected in ((server, "Server"), (cloud, "Cloud")):
        client = JIRA(server=sb.info["jira"]["url"], basic_auth=(sb.info["jira"]["user"], sb.info["jira"]["token"]))
        try:
            assert client.server_info()["deploymentType"] == expected == sb.info["jira"]["deployment"]
            assert [p.key for p in client.projects()] == ["OKR"]
        finally:
            client.close()
    control = control_of(server)
    assert control.count("GET /jira/rest/api/2/serverInfo") == 2
    control.fault("GET /jira/*", "503", times=1)
    assert control.faults()["rules"][0]["kind"] == "503"
    assert control.set_clock("2026-10-05T09:00:00Z", frozen=True)["now"].startswith("2026-10-05T09:00:00")
    assert control.advance(3600)["now"].startswith("2026-10-05T10:00:00")
    assert set(control.state()) == {"jira", "gitlab", "planner", "azure_devops"}
    control.reset()
    assert control.faults()["rules"] == [] and control.requests()["total"] == 0
