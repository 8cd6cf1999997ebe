"""Fuzzing with hypothesis (issue 12): the config loader, the marker parser and the webhook parsers never
raise anything but their documented errors.

- ``config.load.load_text`` → a :class:`LoadedConfig` or :class:`ConfigurationError` (every message a
  rendered problem), for arbitrary text, for random YAML documents and for the base configuration with
  random values spliced in at random keys;
- ``mapping.parse_marker`` → a :class:`Marker` or None for any text; a marker of any id round-trips;
- ``connector.parse_webhook`` (Jira, GitLab, Planner) → a :class:`WebhookEvent` or
  :class:`WebhookRejected` with status 400, 401 or 413, for random headers and bodies (random bytes and
  random JSON), signed correctly or not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text
from okr_sync.connectors.base import WebhookEvent, WebhookRejected
from okr_sync.connectors.registry import connector_class
from okr_sync.mapping import Marker, checkin_marker, parse_marker, status_marker
from tests.reliability.figures import Figures

pytestmark = pytest.mark.reliability

BASE = (Path(__file__).resolve().parents[1] / "config" / "base.yaml").read_text(encoding="utf-8")
BASE_DATA = yaml.safe_load(BASE)
FUZZ = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
COUNTS: dict[str, int] = {}

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
                    st.sampled_from(["${X}", "${}", "$${A}", "${UNSET_FUZZ}", "5m", "-1s", "2026-13-01", "\u202e",
                                     "kr:{kr}", "{kr}", "sqlite:///x.db", "token", "jira", "gitlab", "planner"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


def _load(text: str) -> None:
    try:
        load_text(text, environ={"X": "value"})
    except ConfigurationError as exc:
        assert exc.problems and all(p.render() for p in exc.problems)


@FUZZ
@given(st.text(max_size=400))
def test_config_loader_on_arbitrary_text(text: str) -> None:
    _count("config loader: arbitrary text")
    _load(text)


@FUZZ
@given(values)
def test_config_loader_on_random_yaml_documents(document: Any) -> None:
    _count("config loader: random YAML documents")
    _load(yaml.safe_dump(document, allow_unicode=True))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = [p for p in _paths(BASE_DATA) if p]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_config_loader_on_the_base_config_with_random_values(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    _count("config loader: base config with random values")
    data = json.loads(json.dumps(BASE_DATA, default=str))
    for path, value in edits:
        node = data
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _load(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.text(max_size=300))
def test_marker_parser_never_raises(text: str) -> None:
    _count("marker parser: arbitrary text")
    found = parse_marker(text)
    assert found is None or isinstance(found, Marker)


@FUZZ
@given(st.text(min_size=1, max_size=60), st.text(max_size=80), st.text(max_size=80),
       st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=52))
def test_marker_round_trips_inside_any_text(subject: str, before: str, after: str, year: int, week: int) -> None:
    _count("marker parser: round trip of any id")
    iso = f"{year}-W{week:02d}"
    clean_before = before.replace("okr-sync", "")  # text that carries no marker of its own
    assert parse_marker(f"{clean_before} {status_marker(subject)} {after}") == Marker("status", subject)
    assert parse_marker(f"{clean_before} {checkin_marker(subject, iso)} {after}") == Marker("checkin", subject, iso)


SECRET = "fuzz-webhook-secret"


@pytest.fixture(scope="module")
def webhook_connectors() -> Any:
    loaded = load_text(BASE, environ={}).settings
    trackers = dict(loaded.trackers)
    trackers["jira"] = trackers["jira"].model_copy(update={"webhook_secret": SecretStr(SECRET)})
    trackers["gitlab"] = trackers["gitlab"].model_copy(update={"webhook_secret": SecretStr(SECRET)})
    trackers["planner"] = trackers["planner"].model_copy(update={"webhook_client_state": SecretStr(SECRET)})
    made = {name: connector_class(t.kind)(name, t) for name, t in trackers.items()}
    yield made
    for connector in made.values():
        connector.close()


header_values = st.one_of(st.text(max_size=80).map(lambda t: t.encode("latin-1", "replace").decode("latin-1")),
                          st.sampled_from(["Issue Hook", "Note Hook", SECRET, "sha256=", "sha256=00"]))
headers = st.dictionaries(st.sampled_from(["X-Hub-Signature", "X-Gitlab-Token", "X-Gitlab-Event", "Content-Type",
                                           "x-hub-signature", "X-GITLAB-TOKEN"]), header_values, max_size=4)
bodies = st.one_of(st.binary(max_size=600),
                   values.map(lambda v: json.dumps(v, default=str).encode()),
                   st.fixed_dictionaries({"webhookEvent": st.sampled_from(["jira:issue_updated", "x"]),
                                          "issue": values}).map(lambda v: json.dumps(v).encode()),
                   st.fixed_dictionaries({"value": st.lists(values, max_size=3)}).map(lambda v: json.dumps(v).encode()))


@FUZZ
@given(tracker=st.sampled_from(["jira", "gitlab", "planner"]), given_headers=headers, body=bodies,
       sign=st.booleans(), limit=st.sampled_from([64, 4096]))
def test_webhook_parsers_only_accept_or_reject(webhook_connectors: Any, tracker: str, given_headers: dict[str, str],
                                               body: bytes, sign: bool, limit: int) -> None:
    _count("webhook parsers: random deliveries")
    delivered = dict(given_headers)
    if sign:
        delivered["X-Hub-Signature"] = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        delivered["X-Gitlab-Token"] = SECRET
    try:
        event = webhook_connectors[tracker].parse_webhook(delivered, body, max_bytes=limit)
    except WebhookRejected as exc:
        assert exc.status in (400, 401, 413)
        assert SECRET not in str(exc)
    else:
        assert isinstance(event, WebhookEvent)
        assert len(body) <= limit
        def given(name: str) -> set[str]:
            return {v for k, v in delivered.items() if k.lower() == name}
        if tracker == "jira":
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert expected in {v.strip().lower() for v in given("x-hub-signature")}, "accepted unsigned"
        if tracker == "gitlab":
            assert SECRET in given("x-gitlab-token"), "accepted without the token"


def test_record_fuzz_counts(figures: Figures) -> None:
    """Runs last in this module: the number of generated inputs per target, for docs/reliability.md."""
    assert sum(COUNTS.values()) >= 5 * 100 or not COUNTS, COUNTS
    for name, count in COUNTS.items():
        figures.add("fuzz", name, count)
