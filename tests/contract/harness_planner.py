"""Contract-suite harness for the Planner connector (see tests/contract/README.md).

Also the shared helpers of tests/connectors/test_planner_*.py: settings against a sandbox, a desired KR
status, and :class:`PlannerPeople` — a second, independent Graph client (the real msgraph-sdk with the
real ClientSecretCredential) that arranges tasks and plays the people editing them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import warnings
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.connectors.planner.settings import PlannerTracker
from okr_sync.mapping import HomeItem, KrStatus, KrStatusValue, Provenance, ScoreBand

CLIENT_STATE = "planner-client-state-7c1e"
STATUS_LABELS = {"category1": "Not started", "category2": "On track", "category3": "At risk",
                 "category4": "Off track", "category5": "Done", "category6": "Blocked"}
NO_SLEEP: Callable[[float], None] = lambda seconds: None  # noqa: E731

with warnings.catch_warnings():  # msgraph's generated builders warn about themselves when loaded
    warnings.simplefilter("ignore", DeprecationWarning)
    from azure.identity import ClientSecretCredential
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
    from msgraph.generated.models.planner_bucket import PlannerBucket
    from msgraph.generated.models.planner_category_descriptions import PlannerCategoryDescriptions
    from msgraph.generated.models.planner_checklist_items import PlannerChecklistItems
    from msgraph.generated.models.planner_plan_details import PlannerPlanDetails
    from msgraph.generated.models.planner_task import PlannerTask
    from msgraph.generated.models.planner_task_details import PlannerTaskDetails
    from msgraph.generated.planner.tasks.item import planner_task_item_request_builder  # noqa: F401
    from msgraph.generated.planner.tasks.item.details import details_request_builder as _td  # noqa: F401
    from msgraph_core import GraphClientFactory
    from msgraph_core.authentication import AzureIdentityAuthenticationProvider


def settings_for(sb: Any, *, secret: str | None = None, **overrides: Any) -> PlannerTracker:
    """A Planner tracker configuration pointing at the sandbox's Graph emulator and identity endpoint."""
    info = sb.info["planner"]
    data: dict[str, Any] = {
        "kind": "planner", "tenant_id": info["tenant_id"], "client_id": info["client_id"],
        "auth": {"client_secret": secret or info["client_secret"]}, "graph_url": info["graph_url"],
        "authority": info["authority"], "ca_cert": info["ca_cert"], "scope": {"plans": [info["plan_id"]]},
        "link": [{"title_prefix": "[{kr}]"}], "timeout": 5, "max_retry_time": "20s",
        "webhook_client_state": CLIENT_STATE,
    }
    data.update(overrides)
    return PlannerTracker.model_validate(data)


def kr_status(kr_id: str, progress: float, status: KrStatusValue = KrStatusValue.ON_TRACK) -> KrStatus:
    """A desired KR status as mapping would produce it."""
    return KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW, status=status,
                    expected=0.4, gap=0.4 - progress, forecast=None,
                    provenance=Provenance(rule="completion (count)", item_keys=("task-1",)))


def desired(home: HomeItem, kr_id: str, progress: float,
            status: KrStatusValue = KrStatusValue.ON_TRACK) -> DesiredHome:
    """The desired status of a KR home task."""
    return DesiredHome(home=home, subject_id=kr_id, title=f"KR {kr_id}", status=kr_status(kr_id, progress, status))


def _quiet(method: Callable[..., Any]) -> Callable[..., Any]:
    """Silence msgraph's notices about its own deprecated builder classes while ``method`` navigates."""
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return method(*args, **kwargs)
    return wrapper


class PlannerPeople:
    """People (and admins) working in Planner through their own Graph client, independent of okr-sync."""

    def __init__(self, sb: Any) -> None:
        info = sb.info["planner"]
        self.plan_id: str = info["plan_id"]
        self.loop = asyncio.new_event_loop()
        self.credential = ClientSecretCredential(
            info["tenant_id"], info["client_id"], info["client_secret"], authority=info["authority"],
            disable_instance_discovery=True, connection_verify=info["ca_cert"])
        auth = AzureIdentityAuthenticationProvider(
            self.credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=["127.0.0.1"])
        self.http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient())
        adapter = GraphRequestAdapter(auth, client=self.http)
        adapter.base_url = info["graph_url"]
        self.client = GraphServiceClient(request_adapter=adapter)
        weakref.finalize(self, _release, self.loop, self.http, self.credential)

    def run(self, make: Callable[[], Any]) -> Any:
        """Run one SDK call on this client's own loop."""
        async def go() -> Any:
            return await make()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.loop.run_until_complete(go())

    def close(self) -> None:
        """Release the loop, connections and credential."""
        _release(self.loop, self.http, self.credential)

    @_quiet
    def create_task(self, title: str, *, bucket_id: str | None = None, percent: int = 0,
                    categories: tuple[str, ...] = (), due: str | None = None) -> str:
        """A new task in the plan; returns its id."""
        body = PlannerTask(plan_id=self.plan_id, title=title, bucket_id=bucket_id)
        if categories:
            body.applied_categories = PlannerAppliedCategories(additional_data=dict.fromkeys(categories, True))
        task = self.run(lambda: self.client.planner.tasks.post(body))
        if percent or due:
            self.patch_task(task.id, percent_complete=percent or None, due_date_time=due)
        return str(task.id)

    @_quiet
    def etag(self, task_id: str, *, details: bool = False) -> str:
        """The current ETag of a task (or its details)."""
        item = self.client.planner.tasks.by_planner_task_id(task_id)
        entity = self.run(lambda: (item.details if details else item).get())
        return str(entity.additional_data["@odata.etag"])

    @_quiet
    def patch_task(self, task_id: str, **fields: Any) -> None:
        """PATCH task fields (with a fresh If-Match), as a person editing in Planner would."""
        if "due_date_time" in fields and isinstance(fields["due_date_time"], str):
            fields["due_date_time"] = datetime.fromisoformat(fields["due_date_time"].replace("Z", "+00:00"))
        body = PlannerTask(**{k: v for k, v in fields.items() if v is not None})
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("If-Match", self.etag(task_id))
        self.run(lambda: self.client.planner.tasks.by_planner_task_id(task_id).patch(body, config))

    @_quiet
    def patch_details(self, task_id: str, description: str) -> None:
        """PATCH a task's description (with a fresh If-Match)."""
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("If-Match", self.etag(task_id, details=True))
        body = PlannerTaskDetails(description=description)
        self.run(lambda: self.client.planner.tasks.by_planner_task_id(task_id).details.patch(body, config))

    @_quiet
    def add_checklist_item(self, task_id: str, title: str, *, checked: bool = False) -> None:
        """Add a checklist item (with a fresh If-Match), as a KR owner typing a value would."""
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("If-Match", self.etag(task_id, details=True))
        items = PlannerChecklistItems(additional_data={
            "5f0e4c1a-0000-4000-8000-000000000099": {"@odata.type": "#microsoft.graph.plannerChecklistItem",
                                                     "title": title, "isChecked": checked}})
        body = PlannerTaskDetails(checklist=items)
        self.run(lambda: self.client.planner.tasks.by_planner_task_id(task_id).details.patch(body, config))

    @_quiet
    def task(self, task_id: str) -> PlannerTask:
        """A task as Graph returns it."""
        return self.run(lambda: self.client.planner.tasks.by_planner_task_id(task_id).get())

    @_quiet
    def description(self, task_id: str) -> str:
        """A task's details description."""
        return str(self.run(lambda: self.client.planner.tasks.by_planner_task_id(task_id).details.get()).description
                   or "")

    @_quiet
    def create_bucket(self, name: str) -> str:
        """A new bucket in the plan; returns its id."""
        bucket = self.run(lambda: self.client.planner.buckets.post(PlannerBucket(name=name, plan_id=self.plan_id)))
        return str(bucket.id)

    @_quiet
    def name_categories(self, names: dict[str, str]) -> None:
        """Name plan categories (``{"category1": "On track"}``)."""
        details = self.client.planner.plans.by_planner_plan_id(self.plan_id).details
        etag = self.run(lambda: details.get()).additional_data["@odata.etag"]
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("If-Match", etag)
        body = PlannerPlanDetails(category_descriptions=PlannerCategoryDescriptions(**names))
        self.run(lambda: details.patch(body, config))


class Harness:
    """The contract suite's view of Planner: an empty sandbox with the plan ``OKR``."""

    kind = "planner"

    def __init__(self, make_sandbox: Callable[..., Any], control_of: Callable[..., Any]) -> None:
        self.sb = make_sandbox("empty")
        self.control = control_of(self.sb)
        self.people = PlannerPeople(self.sb)
        self.people.name_categories(STATUS_LABELS)  # the admin names the plan's labels once

    def connector(self, *, token: str | None = None) -> PlannerConnector:
        """A connector on the sandbox (``token`` replaces the client secret)."""
        return PlannerConnector("planner", settings_for(self.sb, secret=token), sleep=NO_SLEEP)

    def secrets(self) -> list[str]:
        """Every secret configured."""
        return [self.sb.info["planner"]["client_secret"], CLIENT_STATE]

    def create_home(self, kr_id: str) -> HomeItem:
        """A KR home task (not linked to its own KR: no title prefix)."""
        return HomeItem("planner", self.people.create_task(f"KR {kr_id} home"))

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        """A task with the title prefix ``[KR]``; 100 % complete when ``done``."""
        return self.people.create_task(f"[{kr_id}] Work for {kr_id}", percent=100 if done else 0)

    def touch(self, key: str) -> None:
        """Change a task's title."""
        self.people.patch_task(key, title=str(self.people.task(key).title) + " (edited)")

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        """The pull spec for these KR homes."""
        return PullSpec(kr_homes=homes)

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        """A Graph change notification naming the tasks, with the configured clientState."""
        notes = [{"subscriptionId": "sub-1", "clientState": CLIENT_STATE, "changeType": "updated",
                  "resource": f"planner/tasks/{key}", "tenantId": self.sb.info["planner"]["tenant_id"],
                  "resourceData": {"@odata.type": "#Microsoft.Graph.plannerTask", "id": key}} for key in keys]
        return {"Content-Type": "application/json"}, json.dumps({"value": notes}).encode()

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        """The desired status of a KR home task."""
        return desired(home, kr_id, progress)


def _release(loop: asyncio.AbstractEventLoop, http: Any, credential: Any) -> None:
    if not loop.is_closed() and asyncio._get_running_loop() is not None:  # collected inside another loop
        worker = threading.Thread(target=_release, args=(loop, http, credential))
        worker.start()
        worker.join()
    if not loop.is_closed():
        loop.run_until_complete(http.aclose())
        loop.close()
        credential.close()
