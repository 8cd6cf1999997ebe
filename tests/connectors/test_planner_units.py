"""The Planner connector's pure parts: link rules, status, watermark, write-back diff, webhook parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.trackers import LinkRule
from okr_sync.connectors.base import WebhookRejected
from okr_sync.connectors.planner.items import (
    LinkMatcher,
    TaskFacts,
    read_watermark,
    status_of,
    work_item,
    write_watermark,
)
from okr_sync.connectors.planner.webhook import parse_notification
from okr_sync.connectors.planner.writeback import category_patch, current_block, desired_percent, with_block
from okr_sync.mapping import (
    KrStatus,
    KrStatusValue,
    Provenance,
    ScoreBand,
    StatusCategory,
    render_status_block,
    status_marker,
)


def facts(title: str = "Task", *, bucket: str | None = None, categories: tuple[str, ...] = (),
          percent: int = 0, due: datetime | None = None) -> TaskFacts:
    return TaskFacts(id="T1", plan_id="P1", title=title, percent=percent, bucket=bucket, categories=categories,
                     category_keys=(), due=due, completed=None, assignees=("u2", "u1"), etag='W/"1"')


def matcher(*rules: dict[str, str]) -> LinkMatcher:
    return LinkMatcher([LinkRule.model_validate(rule) for rule in rules], tracker="planner")


@pytest.mark.parametrize(("rules", "task", "expected"), [
    ([{"title_prefix": "[{kr}]"}], facts("[OBJ1-KR1] Draft forms"), ("OBJ1-KR1",)),
    ([{"title_prefix": "[{kr}]"}], facts("[OBJ1-KR1][OBJ2-KR3] Shared work"), ("OBJ1-KR1", "OBJ2-KR3")),
    ([{"title_prefix": "[{kr}]"}], facts("Draft [OBJ1-KR1] forms"), ()),
    ([{"bucket": "{kr}"}], facts(bucket="OBJ2-KR1"), ("OBJ2-KR1",)),
    ([{"bucket": "KR {kr}"}], facts(bucket="KR OBJ2-KR1"), ("OBJ2-KR1",)),
    ([{"bucket": "{kr}"}], facts(bucket=None), ()),
    ([{"category": "kr:{kr}"}], facts(categories=("kr:OBJ1-KR2", "Blocked", "kr:NOPE-9")), ("OBJ1-KR2", "NOPE-9")),
    ([{"bucket": "{kr}"}, {"title_prefix": "[{kr}]"}], facts("[OBJ1-KR1] x", bucket="OBJ1-KR1"), ("OBJ1-KR1",)),
], ids=["prefix", "two-prefixes", "not-a-prefix", "bucket", "bucket-pattern", "no-bucket", "category-unknown-kept",
        "deduplicated"])
def test_link_rules(rules: list[dict[str, str]], task: TaskFacts, expected: tuple[str, ...]) -> None:
    assert matcher(*rules).kr_ids(task) == expected


def test_a_bare_kr_pattern_links_only_configured_krs() -> None:
    bare = matcher({"bucket": "{kr}"}, {"category": "{kr}"})
    known = frozenset({"OBJ2-KR1"})
    assert bare.kr_ids(facts(bucket="Backlog"), known) == ()
    assert bare.kr_ids(facts(bucket="OBJ2-KR1", categories=("Urgent", "OBJ2-KR1")), known) == ("OBJ2-KR1",)
    assert bare.kr_ids(facts(bucket="Backlog")) == ("Backlog",)  # no KR list given: every name counts
    assert matcher({"bucket": "KR {kr}"}).kr_ids(facts(bucket="KR NEW-1"), known) == ("NEW-1",)


def test_link_rules_planner_does_not_support_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="label"):
        matcher({"label": "kr:{kr}"})


@pytest.mark.parametrize(("percent", "status"), [(0, StatusCategory.TODO), (1, StatusCategory.IN_PROGRESS),
                                                 (50, StatusCategory.IN_PROGRESS), (99, StatusCategory.IN_PROGRESS),
                                                 (100, StatusCategory.DONE)])
def test_percent_complete_maps_to_status(percent: int, status: StatusCategory) -> None:
    assert status_of(percent) == status


def test_work_item_carries_due_week_blocked_and_assignee() -> None:
    due = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    item = work_item(facts("[K] x", categories=("blocked",), percent=50, due=due), tracker="planner",
                     kr_ids=("K",), blocked_category="Blocked", numbers={"cases": 3.0}, seen=None)
    assert (item.status, item.blocked, item.due.isoformat() if item.due else None, item.planned_week) == (
        StatusCategory.IN_PROGRESS, True, "2026-11-27", "2026-W48")
    assert item.assignee == "u2" and item.numbers == {"cases": 3.0} and item.kr_ids == ("K",)


def test_watermark_round_trips_and_garbage_means_full_read() -> None:
    etags = {"P1": {"T1": 'W/"a"', "T2": 'W/"b"'}}
    assert read_watermark(write_watermark(etags)) == etags
    for garbage in (None, "", "2026-11-25T10:00:00Z", "[]", '{"v": 99, "plans": {}}'):
        assert read_watermark(garbage) == {}


@pytest.mark.parametrize(("progress", "rounding", "percent"), [
    (0.0, "none", 0), (0.424, "none", 42), (0.996, "none", 99), (1.0, "none", 100), (1.3, "none", 100),
    (0.0, "planner", 0), (0.01, "planner", 50), (0.99, "planner", 50), (1.0, "planner", 100),
])
def test_desired_percent(progress: float, rounding: str, percent: int) -> None:
    assert desired_percent(progress, rounding) == percent


NAMES = {"category1": "Not started", "category2": "On track", "category3": "At risk", "category4": "Urgent",
         "category5": None}
STATUS_NAMES = ["Not started", "On track", "At risk", "Off track", "Done"]


def test_category_patch_sets_the_status_and_clears_other_status_categories_only() -> None:
    applied = {"category1": True, "category4": True}
    assert category_patch(applied, NAMES, "On track", STATUS_NAMES) == {"category2": True, "category1": False}
    assert category_patch({"category2": True, "category4": True}, NAMES, "on track", STATUS_NAMES) is None
    with pytest.raises(KeyError):
        category_patch({}, NAMES, "Off track", STATUS_NAMES)


def status(kr_id: str, progress: float) -> KrStatus:
    return KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW,
                    status=KrStatusValue.ON_TRACK, expected=0.4, gap=0.0, forecast=None,
                    provenance=Provenance(rule="completion (count)", item_keys=("T1",)))


def test_status_block_is_replaced_in_place_and_people_text_is_kept() -> None:
    marker = status_marker("OBJ1-KR1")
    first = render_status_block(status("OBJ1-KR1", 0.2), "text")
    second = render_status_block(status("OBJ1-KR1", 0.5), "text")
    human = "Owner notes:\n- keep this bullet\n"
    text = with_block(human, marker, first)
    assert text.startswith(human.rstrip() + "\n\n") and current_block(text, marker) == first.rstrip("\n")
    text = text + "\nWritten after the block.\n"
    updated = with_block(text, marker, second)
    assert current_block(updated, marker) == second.rstrip("\n")
    assert updated.startswith(human.rstrip()) and updated.endswith("\nWritten after the block.\n")
    assert "20 %" not in updated and updated.count(f"[{marker}]") == 1
    assert with_block(updated, marker, second) == updated


def notification(state: str | None = "s3cret-state", resource: str = "planner/tasks/T42") -> bytes:
    note = {"subscriptionId": "sub", "changeType": "updated", "resource": resource,
            "resourceData": {"@odata.type": "#Microsoft.Graph." + ("plannerTask" if "tasks" in resource else "group"),
                             "id": resource.rsplit("/", 1)[-1]}}
    if state is not None:
        note["clientState"] = state
    return json.dumps({"value": [note]}).encode()


def test_webhook_names_tasks_and_checks_client_state() -> None:
    event = parse_notification({}, notification(), max_bytes=10_000, tracker="planner", client_state="s3cret-state")
    assert event.keys == frozenset({"T42"}) and event.event == "updated" and not event.ignored
    ignored = parse_notification({}, notification(resource="groups/G1"), max_bytes=10_000, tracker="planner",
                                 client_state="s3cret-state")
    assert ignored.ignored and ignored.keys == frozenset()


@pytest.mark.parametrize(("body", "max_bytes", "status"), [
    (notification(state="wrong"), 10_000, 401), (notification(state=None), 10_000, 401),
    (b"not json", 10_000, 400), (b'{"items": []}', 10_000, 400), (notification(), 10, 413),
], ids=["wrong-state", "missing-state", "not-json", "not-a-notification", "too-big"])
def test_webhook_rejections(body: bytes, max_bytes: int, status: int) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_notification({}, body, max_bytes=max_bytes, tracker="planner", client_state="s3cret-state")
    assert caught.value.status == status and "s3cret-state" not in str(caught.value)
