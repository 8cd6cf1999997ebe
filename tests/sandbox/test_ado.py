"""The Azure DevOps emulator is as unkind as the service documents: the WIQL size cap, the rev test, comment
continuation tokens, the preview flag, day precision without timePrecision, the 200-id batch limit, throttling
headers, the sign-in page for browsers and service-hook deliveries with basic credentials.

Everything goes through HTTP with plain ``requests``, as a client would."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests

from tests.contract.harness_azure_devops import PROJECT, Client

PATCH = {"Content-Type": "application/json-patch+json"}


def _session(sb: Any) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.auth = ("", sb.info["azure_devops"]["pat"])
    return session, sb.info["azure_devops"]["url"]


def _wiql(session: requests.Session, url: str, query: str, **params: str) -> requests.Response:
    return session.post(f"{url}/{PROJECT}/_apis/wit/wiql", params={"api-version": "7.1", **params},
                        json={"query": query})


def test_wiql_over_20000_ids_is_refused_with_vs402337(make_sandbox: Callable[..., Any]) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [{"title": f"Item {n}", "changed": (start + timedelta(seconds=10 * n)).isoformat()} for n in range(20_001)]
    sb = make_sandbox({"azure_devops": {"work_items": rows}})
    session, url = _session(sb)
    everything = "SELECT [System.Id] FROM workitems WHERE [System.TeamProject] = @project"
    answer = _wiql(session, url, everything)
    assert answer.status_code == 400
    body = answer.json()
    assert body["message"].startswith("VS402337: The number of work items returned exceeds the size limit of 20000")
    assert body["typeKey"] == "WorkItemTrackingQueryResultSizeLimitExceededException"
    half = _wiql(session, url, everything + " AND [System.ChangedDate] < '2026-01-06T00:00:00Z'", timePrecision="true")
    assert half.status_code == 200 and 0 < len(half.json()["workItems"]) <= 20_000


def test_rev_test_conflict_is_412_tf26071_and_applies_nothing(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    client = Client(sb)
    item = client.create("Home", kind="Epic")
    client.update(item, **{"System.Title": "Home (edited by a person)"})  # rev 2
    session, url = _session(sb)
    ops = [{"op": "test", "path": "/rev", "value": 1}, {"op": "add", "path": "/fields/System.Tags", "value": "x"}]
    answer = session.patch(f"{url}/_apis/wit/workitems/{item}", params={"api-version": "7.1"},
                           data=json.dumps(ops), headers=PATCH)
    assert answer.status_code == 412
    assert answer.json()["message"].startswith("TF26071: This work item has been changed by someone else")
    assert answer.json()["typeKey"] == "WorkItemRevisionMismatchException"
    assert "System.Tags" not in client.get(item)["fields"] and client.get(item)["rev"] == 2
    ops[0]["value"] = 2
    assert session.patch(f"{url}/_apis/wit/workitems/{item}", params={"api-version": "7.1"}, data=json.dumps(ops),
                         headers=PATCH).json()["rev"] == 3
    plain_json = session.patch(f"{url}/_apis/wit/workitems/{item}", params={"api-version": "7.1"}, json=ops)
    assert plain_json.status_code == 415, "JSON Patch only with application/json-patch+json"


def test_comments_page_with_continuation_tokens_and_need_the_preview_flag(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"comments_page": 2}})
    client = Client(sb)
    item = client.create("Home", kind="Epic")
    for n in range(5):
        client.comment(item, f"note {n}")
    session, url = _session(sb)
    first = session.get(f"{url}/{PROJECT}/_apis/wit/workItems/{item}/comments",
                        params={"api-version": "7.1-preview.4"})
    body = first.json()
    assert body["totalCount"] == 5 and body["count"] == 2
    assert body["continuationToken"] == first.headers["x-ms-continuationtoken"]
    assert [c["text"] for c in client.comments(item)] == [f"note {n}" for n in range(5)]
    released = session.get(f"{url}/{PROJECT}/_apis/wit/workItems/{item}/comments", params={"api-version": "7.1"})
    assert released.status_code == 400 and released.json()["message"].startswith("VS800060")
    assert client.get(item)["rev"] == 6, "every comment is a revision of the work item"


def test_dates_compare_by_day_unless_time_precision(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"work_items": [{"title": "Old", "changed": "2026-03-02T08:00:00Z"}]}})
    session, url = _session(sb)
    query = "SELECT [System.Id] FROM workitems WHERE [System.ChangedDate] > '2026-03-02T09:00:00Z'"
    assert _wiql(session, url, query).json()["workItems"] == [], "same day, not after it"
    assert _wiql(session, url, query.replace(">", ">=")).json()["workItems"] != [], "the day itself matches"
    assert _wiql(session, url, query.replace(">", ">="), timePrecision="true").json()["workItems"] == []


def test_batch_takes_at_most_200_ids_and_only_the_fields_asked(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"work_items": [{"title": f"I{n}", "points": n} for n in range(3)]}})
    session, url = _session(sb)
    too_many = session.post(f"{url}/_apis/wit/workitemsbatch", params={"api-version": "7.1"},
                            json={"ids": list(range(1, 202))})
    assert too_many.status_code == 400 and "200" in too_many.json()["message"]
    answer = session.post(f"{url}/_apis/wit/workitemsbatch", params={"api-version": "7.1"},
                          json={"ids": [1, 99], "fields": ["System.Title"], "errorPolicy": "omit"}).json()
    assert answer["value"][0]["fields"] == {"System.Title": "I0"} and answer["value"][1] is None


def test_throttling_answers_429_with_retry_after_and_rate_limit_headers(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox({"azure_devops": {"rate_limit": {"requests": 2, "per_seconds": 30}}})
    session, url = _session(sb)
    answers = [session.get(f"{url}/_apis/connectionData") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    headers = answers[2].headers
    assert int(headers["Retry-After"]) >= 1
    for name in ("X-RateLimit-Resource", "X-RateLimit-Delay", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                 "X-RateLimit-Reset"):
        assert name in headers


def test_sign_in_page_without_credentials_and_401_for_a_wrong_pat(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty")
    url = sb.info["azure_devops"]["url"]
    browser = requests.get(f"{url}/_apis/connectionData")
    assert browser.status_code == 203 and "Sign In" in browser.text
    assert requests.get(f"{url}/_apis/connectionData", headers={"X-TFS-FedAuthRedirect": "Suppress"}).status_code == 401
    assert requests.get(f"{url}/_apis/connectionData", auth=("", "wrong")).status_code == 401


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], dict[str, Any]]]]]:
    got: list[tuple[dict[str, str], dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/ado", got
    server.shutdown()
    server.server_close()


def test_service_hooks_deliver_with_basic_credentials(make_sandbox: Callable[..., Any], receiver: Any) -> None:
    url_to, got = receiver
    sb = make_sandbox("empty")
    session, url = _session(sb)
    for event in ("workitem.created", "workitem.updated", "workitem.commented"):
        answer = session.post(f"{url}/_apis/hooks/subscriptions", params={"api-version": "7.1"}, json={
            "publisherId": "tfs", "eventType": event, "consumerId": "webHooks", "consumerActionId": "httpRequest",
            "consumerInputs": {"url": url_to, "basicAuthUsername": "hook", "basicAuthPassword": "s3cret"}})
        assert answer.status_code == 200
    client = Client(sb)
    item = client.create("Work")
    client.update(item, **{"System.Title": "Work (edited)"})
    client.comment(item, "a comment")
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while len(got) < 3 and datetime.now(UTC) < deadline:
        threading.Event().wait(0.05)
    events = {body["eventType"]: (headers, body) for headers, body in got}
    assert set(events) == {"workitem.created", "workitem.updated", "workitem.commented"}
    headers, body = events["workitem.updated"]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    assert body["resource"]["workItemId"] == item
    assert events["workitem.created"][1]["resource"]["id"] == item
