"""The Graph (Planner) emulator as msgraph-sdk sees it: paging, ETags, If-Match, details, retries, errors."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration

from okr_sync.sandbox.graph_store import EMPTY_PLAN_ID
from okr_sync.sandbox.server import Sandbox

# msgraph-sdk's generated request builders (and kiota-abstractions) emit DeprecationWarnings about their
# own classes when first imported — at collection here, and lazily while navigating the client. Not our
# code; pytest turns warnings into errors, so these two messages are ignored (import time and per test).
SDK_DEPRECATIONS = ("This class is deprecated. Please use the generic RequestConfiguration",
                    "GetQueryParameters is deprecated")
with warnings.catch_warnings():
    for _message in SDK_DEPRECATIONS:
        warnings.filterwarnings("ignore", _message, DeprecationWarning)
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
    from msgraph.generated.models.planner_assignments import PlannerAssignments
    from msgraph.generated.models.planner_bucket import PlannerBucket
    from msgraph.generated.models.planner_category_descriptions import PlannerCategoryDescriptions
    from msgraph.generated.models.planner_checklist_items import PlannerChecklistItems
    from msgraph.generated.models.planner_plan_details import PlannerPlanDetails
    from msgraph.generated.models.planner_task import PlannerTask
    from msgraph.generated.models.planner_task_details import PlannerTaskDetails
    from msgraph.generated.planner.plans.item.tasks.tasks_request_builder import TasksRequestBuilder
    from msgraph_core import GraphClientFactory
    from msgraph_core.authentication import AzureIdentityAuthenticationProvider

USERS = [
    {"id": "a1a1a1a1-0000-4000-8000-000000000001", "displayName": "Ana Ruiz",
     "userPrincipalName": "ana@audit.example", "mail": "ana@audit.example"},
    {"id": "b2b2b2b2-0000-4000-8000-000000000002", "displayName": "Ben Okafor",
     "userPrincipalName": "ben@health.example", "mail": "ben@health.example"},
]
PLAN_ID = "auditPlanQ4000000000000000001"
pytestmark = [pytest.mark.filterwarnings(f"ignore:{m}:DeprecationWarning") for m in SDK_DEPRECATIONS]


class JiraPlaceholder:
    """Stands in for the Jira and GitLab emulators: these tests exercise Graph only."""

    mount = "/jira"

    def __init__(self, clock: Any, fixture: Any = None, **kwargs: Any) -> None:
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "application/json; charset=utf-8")])
        return [b'{"message": "not here"}']

    def snapshot(self) -> dict[str, Any]:
        return {}


FACTORIES: dict[str, Any] = {"jira": JiraPlaceholder,
                             "gitlab": type("GitLabPlaceholder", (JiraPlaceholder,), {"mount": "/gitlab"})}


def _fixture() -> dict[str, Any]:
    tasks = [{"title": f"Audit step {n}", "bucket": "Week 46" if n < 4 else "Week 47",
              "percentComplete": 100 if n == 0 else 50 if n == 1 else 0,
              "dueDateTime": f"2026-11-{10 + n}T17:00:00Z", "assignments": ["ana@audit.example"],
              "appliedCategories": ["category1"] if n % 2 else ["category2"],
              "description": f"Step {n} of the audit plan" if n < 3 else None,
              "checklist": [{"title": "Collect forms", "isChecked": True}, {"title": "File report"}] if n == 2
              else None}
             for n in range(7)]
    return {"planner": {
        "page_size": 3,
        "users": USERS,
        "groups": [{"id": "c3c3c3c3-0000-4000-8000-000000000003", "displayName": "Audit court"}],
        "plans": [{"id": PLAN_ID, "title": "Audit Q4",
                   "categories": {"category1": "KR-1 Audits closed", "category2": "KR-2 Satisfaction"},
                   "buckets": [{"name": "Week 46"}, {"name": "Week 47"}], "tasks": tasks},
                  {"title": "Second plan", "tasks": [{"title": "Elsewhere"}]}],
    }}


class StaticToken:
    """A credential handing out one bearer token (the real ClientSecretCredential is tested by the core)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    with Sandbox(_fixture(), emulator_factories=FACTORIES) as sb:
        yield sb


@pytest.fixture
def sb(module_sandbox: Sandbox) -> Sandbox:
    module_sandbox.reset()
    return module_sandbox


@pytest.fixture
def control(sb: Sandbox, control_of: Any) -> Any:
    return control_of(sb)


Scenario = Callable[[GraphServiceClient], Awaitable[Any]]


def run_graph(sb: Sandbox, scenario: Scenario, token: str | None = None) -> Any:
    """Run ``scenario`` with a GraphServiceClient pointed at the sandbox; closes the HTTP client."""

    async def main() -> Any:
        bearer = token or sb.tokens.issue("https://graph.microsoft.com/.default")
        auth = AzureIdentityAuthenticationProvider(StaticToken(bearer), scopes=["https://graph.microsoft.com/.default"],
                                                   allowed_hosts=["127.0.0.1"])
        async with GraphClientFactory.create_with_default_middleware() as http:
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = sb.info["planner"]["graph_url"]
            return await scenario(GraphServiceClient(request_adapter=adapter))

    return asyncio.run(main())


def if_match(etag: str, *, representation: bool = False) -> RequestConfiguration[Any]:
    config: RequestConfiguration[Any] = RequestConfiguration()
    config.headers.add("If-Match", etag)
    if representation:
        config.headers.add("Prefer", "return=representation")
    return config


def etag_of(entity: Any) -> str:
    return str(entity.additional_data["@odata.etag"])


async def all_tasks(client: GraphServiceClient, plan_id: str, top: int | None = None) -> list[PlannerTask]:
    builder = client.planner.plans.by_planner_plan_id(plan_id).tasks
    config = None
    if top is not None:
        config = RequestConfiguration(query_parameters=TasksRequestBuilder.TasksRequestBuilderGetQueryParameters(
            top=top))
    page = await builder.get(request_configuration=config)
    tasks = list(page.value)
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        tasks.extend(page.value)
    return tasks


def test_task_list_pages_follow_next_link(sb: Sandbox, control: Any) -> None:
    control.reset_requests()
    tasks = run_graph(sb, lambda c: all_tasks(c, PLAN_ID))
    assert [t.title for t in tasks] == [f"Audit step {n}" for n in range(7)]
    assert control.count("GET /graph/v1.0/planner/plans/{plan_id}/tasks") == 3  # page size 3 from the fixture
    first = tasks[0]
    assert etag_of(first).startswith('W/"')
    assert first.percent_complete == 100 and first.completed_date_time is not None
    assert first.plan_id == PLAN_ID and first.bucket_id is not None
    assert list(first.assignments.additional_data) == [USERS[0]["id"]]
    assert first.applied_categories.additional_data == {"category2": True}
    assert tasks[2].has_description is True and tasks[2].checklist_item_count == 2
    assert tasks[2].active_checklist_item_count == 1
    assert first.due_date_time.isoformat() == "2026-11-10T17:00:00+00:00"


@pytest.mark.parametrize("top", [1, 2, 50, 0])
def test_top_does_not_change_the_server_page_size(sb: Sandbox, control: Any, top: int) -> None:
    """Planner sizes its pages itself ($top is not client controllable: microsoft-graph-docs#6438)."""
    control.reset_requests()
    tasks = run_graph(sb, lambda c: all_tasks(c, PLAN_ID, top=top))
    assert len(tasks) == 7
    assert control.count("GET /graph/v1.0/planner/plans/{plan_id}/tasks") == 3  # pages of 3, whatever $top says


def test_patch_task_with_if_match_changes_etag(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        tasks = await all_tasks(client, PLAN_ID)
        item = client.planner.tasks.by_planner_task_id(tasks[3].id)
        before = await item.get()
        answer = await item.patch(PlannerTask(percent_complete=100), request_configuration=if_match(etag_of(before)))
        after = await item.get()
        shown = await item.patch(PlannerTask(title="Audit step 3 (signed)"),
                                 request_configuration=if_match(etag_of(after), representation=True))
        return before, answer, after, shown

    before, answer, after, shown = run_graph(sb, scenario)
    assert answer is None  # 204 No Content
    assert after.percent_complete == 100 and after.completed_date_time is not None
    assert etag_of(after) != etag_of(before)
    assert shown.title == "Audit step 3 (signed)" and etag_of(shown) not in (etag_of(before), etag_of(after))


def test_stale_or_missing_if_match_is_412(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> list[ODataError]:
        tasks = await all_tasks(client, PLAN_ID)
        item = client.planner.tasks.by_planner_task_id(tasks[4].id)
        stale = etag_of(tasks[4])
        await item.patch(PlannerTask(priority=1), request_configuration=if_match(stale))
        errors = []
        for config in (if_match(stale), None):
            try:
                await item.patch(PlannerTask(priority=3), request_configuration=config)
            except ODataError as exc:
                errors.append(exc)
        return errors

    errors = run_graph(sb, scenario)
    assert [e.response_status_code for e in errors] == [412, 412]
    assert all(e.error.code == "PreconditionFailed" for e in errors)
    assert "If-Match" in errors[1].error.message


def test_task_details_patch_updates_task_summary(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        tasks = await all_tasks(client, PLAN_ID)
        task_item = client.planner.tasks.by_planner_task_id(tasks[5].id)
        details = await task_item.details.get()
        checklist = PlannerChecklistItems(additional_data={
            "95e27074-6c4a-447a-aa24-9d718a0b86fa": {"@odata.type": "microsoft.graph.plannerChecklistItem",
                                                     "title": "Publish findings", "isChecked": False}})
        body = PlannerTaskDetails(description="Progress: 40 of 60 audits closed", checklist=checklist)
        await task_item.details.patch(body, request_configuration=if_match(etag_of(details)))
        return tasks[5], details, await task_item.details.get(), await task_item.get()

    old_task, old_details, details, task = run_graph(sb, scenario)
    assert old_details.description == "" and details.description == "Progress: 40 of 60 audits closed"
    item = details.checklist.additional_data["95e27074-6c4a-447a-aa24-9d718a0b86fa"]
    assert item["title"] == "Publish findings" and item["isChecked"] is False
    assert etag_of(details) != etag_of(old_details)
    assert task.has_description and task.checklist_item_count == 1
    assert etag_of(task) != etag_of(old_task)  # the summary changed, so the task changed


def test_plan_details_and_buckets(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        plan = client.planner.plans.by_planner_plan_id(PLAN_ID)
        details = await plan.details.get()
        body = PlannerPlanDetails(category_descriptions=PlannerCategoryDescriptions(category3="KR-3 Days saved"))
        await plan.details.patch(body, request_configuration=if_match(etag_of(details)))
        created = await client.planner.buckets.post(PlannerBucket(name="Week 48", plan_id=PLAN_ID))
        renamed = await client.planner.buckets.by_planner_bucket_id(created.id).patch(
            PlannerBucket(name="Week 48 (holiday)"),
            request_configuration=if_match(etag_of(created), representation=True))
        buckets = await plan.buckets.get()
        return (await plan.get()), details, (await plan.details.get()), renamed, buckets

    plan, before, after, renamed, buckets = run_graph(sb, scenario)
    assert plan.title == "Audit Q4" and plan.container.container_id == "c3c3c3c3-0000-4000-8000-000000000003"
    assert before.category_descriptions.category1 == "KR-1 Audits closed"
    assert after.category_descriptions.category3 == "KR-3 Days saved"
    assert after.category_descriptions.category1 == "KR-1 Audits closed"  # PATCH merges
    assert renamed.name == "Week 48 (holiday)"
    assert [b.name for b in buckets.value] == ["Week 46", "Week 47", "Week 48 (holiday)"]


def test_create_and_delete_task(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        body = PlannerTask(plan_id=PLAN_ID, title="Survey citizens",
                           assignments=PlannerAssignments(additional_data={USERS[1]["id"]: {
                               "@odata.type": "#microsoft.graph.plannerAssignment", "orderHint": " !"}}),
                           applied_categories=PlannerAppliedCategories(additional_data={"category2": True}))
        created = await client.planner.tasks.post(body)
        listed = await all_tasks(client, PLAN_ID)
        await client.planner.tasks.by_planner_task_id(created.id).delete(request_configuration=if_match(
            etag_of(created)))
        return created, listed, await all_tasks(client, PLAN_ID)

    created, listed, remaining = run_graph(sb, scenario)
    assert created.title == "Survey citizens" and created.percent_complete == 0
    assert list(created.assignments.additional_data) == [USERS[1]["id"]]
    assert listed[-1].id == created.id and len(listed) == 8
    assert len(remaining) == 7


def test_users_by_id_and_upn(sb: Sandbox) -> None:
    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        return (await client.users.by_user_id(USERS[0]["id"]).get(),
                await client.users.by_user_id("BEN@health.example").get())

    ana, ben = run_graph(sb, scenario)
    assert ana.display_name == "Ana Ruiz" and ben.id == USERS[1]["id"]


def test_retry_handler_retries_503_and_429(sb: Sandbox, control: Any) -> None:
    control.reset_requests()
    control.fault("GET /graph/v1.0/planner/plans/*", "503", times=1, retry_after=1)
    control.fault("GET /graph/v1.0/planner/plans/*", "429", times=1, retry_after=1)
    plan = run_graph(sb, lambda c: c.planner.plans.by_planner_plan_id(PLAN_ID).get())
    assert plan.title == "Audit Q4"
    counts = control.requests()
    assert counts["total"] == 3  # two injected failures, retried by the SDK, then the answer


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [("bad token", 401, "InvalidAuthenticationToken"), ("unknown task", 404, ""),
     ("unknown plan", 404, ""), ("bad percent", 400, "BadRequest")],
    ids=lambda v: v if isinstance(v, str) and v and v[0].islower() and " " in v else None,
)
def test_errors_surface_as_odata_errors(sb: Sandbox, case: str, status: int, code: str) -> None:
    async def scenario(client: GraphServiceClient) -> Any:
        if case in ("bad token", "unknown plan"):
            return await client.planner.plans.by_planner_plan_id("nope" if case == "unknown plan" else PLAN_ID).get()
        if case == "unknown task":
            return await client.planner.tasks.by_planner_task_id("nope").get()
        task = (await all_tasks(client, PLAN_ID))[0]
        return await client.planner.tasks.by_planner_task_id(task.id).patch(
            PlannerTask(percent_complete=150), request_configuration=if_match(etag_of(task)))

    with pytest.raises(ODataError) as raised:
        run_graph(sb, scenario, token="forged" if case == "bad token" else None)
    assert raised.value.response_status_code == status
    assert raised.value.error.code == code and raised.value.error.message


def test_wire_content_type_errors_and_query_options(sb: Sandbox) -> None:
    base = sb.info["planner"]["graph_url"]
    token = sb.tokens.issue("https://graph.microsoft.com/.default")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=10) as http:
        task = http.get(f"/planner/plans/{PLAN_ID}/tasks").json()["value"][0]
        for response in (http.get(f"/planner/tasks/{task['id']}"), http.get("/planner/tasks/nope"),
                         http.get("/planner/nothing"), http.get(f"/planner/plans/{PLAN_ID}/tasks?$filter=x")):
            assert response.headers["Content-Type"].startswith("application/json")
            assert response.headers["request-id"]
        assert http.get("/planner/nothing").json()["error"]["innerError"]["request-id"]
        assert http.get(f"/planner/plans/{PLAN_ID}/tasks?$filter=x").status_code == 400
        unknown = http.patch(f"/planner/tasks/{task['id']}", json={"colour": "red"},
                             headers={"If-Match": task["@odata.etag"]})
        assert unknown.status_code == 400 and "colour" in unknown.json()["error"]["message"]
        selected = http.get(f"/planner/plans/{PLAN_ID}/tasks?$select=title&$expand=details").json()["value"][0]
        assert set(selected) == {"@odata.etag", "id", "title", "details"}
        assert http.delete(f"/planner/tasks/{task['id']}").status_code == 412
        too_many = {f"item{n}": {"@odata.type": "microsoft.graph.plannerChecklistItem", "title": f"t{n}"}
                    for n in range(21)}
        details = http.get(f"/planner/tasks/{task['id']}/details").json()
        limit = http.patch(f"/planner/tasks/{task['id']}/details", json={"checklist": too_many},
                           headers={"If-Match": details["@odata.etag"]})
        assert limit.status_code == 403
    assert httpx.get(f"{base}/planner/plans/{PLAN_ID}", timeout=10).status_code == 401


def test_empty_fixture_has_one_okr_plan(make_sandbox: Any) -> None:
    sb = make_sandbox("empty", emulator_factories=FACTORIES)
    assert sb.info["planner"]["plan_id"] == EMPTY_PLAN_ID

    async def scenario(client: GraphServiceClient) -> tuple[Any, ...]:
        plan = client.planner.plans.by_planner_plan_id(EMPTY_PLAN_ID)
        return (await plan.get()), (await plan.tasks.get()), (await plan.buckets.get())

    plan, tasks, buckets = run_graph(sb, scenario)
    assert plan.title == "OKR" and tasks.value == [] and buckets.value == []
    assert json.loads(json.dumps(sb.emulators["planner"].snapshot()))["plans"][0]["id"] == EMPTY_PLAN_ID


def test_demo_fixture_pages_through_the_shared_sandbox(sandbox: Sandbox, control_of: Any) -> None:
    sandbox.reset()
    control = control_of(sandbox)
    plan_id = sandbox.info["planner"]["plan_id"]
    control.reset_requests()
    tasks = run_graph(sandbox, lambda c: all_tasks(c, plan_id, top=20))
    pages = control.count("GET /graph/v1.0/planner/plans/{plan_id}/tasks")
    size = sandbox.emulators["planner"].page_size
    assert len(tasks) >= 41 and pages == -(-len(tasks) // size)  # the server's page size, not $top=20
    assert len({t.id for t in tasks}) == len(tasks)
    assert all(etag_of(t).startswith('W/"') for t in tasks)
    details = run_graph(sandbox, lambda c: c.planner.plans.by_planner_plan_id(plan_id).details.get())
    assert details.category_descriptions.category1


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", f"/planner/plans/{PLAN_ID}/tasks?$skiptoken=!!", {}, 400, "BadRequest"),
        ("GET", f"/planner/plans/{PLAN_ID}/tasks?$orderby=title", {}, 400, "BadRequest"),
        ("POST", "/planner/tasks", {"content": b"{", "headers": {"Content-Type": "application/json"}}, 400,
         "BadRequest"),
        ("POST", "/planner/tasks", {"content": b"title=x", "headers": {"Content-Type": "text/plain"}}, 415,
         "UnsupportedMediaType"),
        ("POST", "/planner/tasks", {"json": {"title": "No plan"}}, 400, "BadRequest"),
        ("POST", "/planner/tasks", {"json": {"planId": PLAN_ID, "title": "x", "bucketId": "nope"}}, 400,
         "BadRequest"),
        ("POST", "/planner/tasks", {"json": {"planId": PLAN_ID, "title": "x",
                                             "appliedCategories": {"category26": True}}}, 400, "BadRequest"),
        ("POST", "/planner/tasks", {"json": {"planId": PLAN_ID, "title": "x" * 256}}, 400, "BadRequest"),
        ("POST", "/planner/tasks", {"json": {"planId": PLAN_ID, "title": "x", "details": {"description": "d"}}},
         400, "BadRequest"),
        ("PUT", f"/planner/plans/{PLAN_ID}", {"json": {}}, 405, "BadRequest"),
        ("GET", "/users/nobody@nowhere.example", {}, 404, "Request_ResourceNotFound"),
    ],
    ids=["bad-skiptoken", "orderby-refused", "broken-json", "not-json", "no-plan", "foreign-bucket",
         "category26", "long-title", "inline-details", "wrong-method", "unknown-user"],
)
def test_hostile_requests_get_graph_errors(sb: Sandbox, method: str, path: str, kwargs: dict[str, Any],
                                           status: int, code: str) -> None:
    token = sb.tokens.issue("https://graph.microsoft.com/.default")
    with httpx.Client(base_url=sb.info["planner"]["graph_url"], timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        response = http.request(method, path, **kwargs)
        assert response.status_code == status
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == code
    assert len(sb.emulators["planner"].snapshot()["tasks"]) == 8  # nothing was stored


def test_concurrent_patches_with_one_etag_let_exactly_one_win(sb: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = sb.tokens.issue("https://graph.microsoft.com/.default")
    with httpx.Client(base_url=sb.info["planner"]["graph_url"], timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        task = http.get(f"/planner/plans/{PLAN_ID}/tasks").json()["value"][1]

        def patch(n: int) -> int:
            return http.patch(f"/planner/tasks/{task['id']}", json={"priority": n},
                              headers={"If-Match": task["@odata.etag"]}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = sorted(pool.map(patch, range(8)))
    assert statuses == [204] + [412] * 7
