"""Per-owner companion findings in ``okr-sync plan-week`` (text, JSON) and in the check-in digest."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from okr_sync.cli.demo import demo_config_path
from okr_sync.cli.main import app
from okr_sync.engine.checkin import AckAwareEngine, composed, digests, digests_json, render_digests
from okr_sync.engine.compute import compute_from_store
from okr_sync.engine.people import owner_findings, week_eve
from okr_sync.engine.runtime import secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.sync.test_plan_week import synced_demo  # noqa: F401  (the fixture)


def test_plan_week_shows_owner_findings(synced_demo: Any) -> None:  # noqa: F811
    runner = CliRunner()
    far = runner.invoke(app, ["plan-week", "--week", "2026-W52", "--config", str(demo_config_path()), "--json"])
    assert far.exit_code == 0, far.output
    plans = json.loads(far.stdout)["plans"]
    rules = {p["owner"]: {f["rule"] for f in p["findings"]} for p in plans}
    # nothing in the demo is planned for the last week of the cycle: every owner with an open KR is told once
    flagged = [o for o, r in rules.items() if "owner_without_plan" in r]
    assert flagged and all(sum(f["rule"] == "owner_without_plan" for f in p["findings"]) <= 1 for p in plans)
    text = runner.invoke(app, ["plan-week", "--week", "2026-W52", "--owner", flagged[0],
                               "--config", str(demo_config_path())])
    assert text.exit_code == 0 and "! owner_without_plan: no item is planned for 2026-W52" in text.output


def test_checkin_digest_carries_owner_findings(synced_demo: Any) -> None:  # noqa: F811
    settings = synced_demo
    store = StateStore.open(settings.state.url)
    try:
        engine = AckAwareEngine(settings, store, {}, clock=lambda: AS_OF, secrets=secrets_of(settings))
        domain = engine.domain
        eve = week_eve("2026-W52")
        found = owner_findings(domain, settings, store.items(), store.items_by_kr(), now=eve)
        computed = compute_from_store(domain, store, now=AS_OF)
        groups = digests(domain, composed(engine, list(domain.key_results), "2026-W47", computed, AS_OF), found)
    finally:
        store.close()
    flagged = [g for g in groups if g.findings]
    assert flagged and all(tuple(found[g.owner]) == g.findings for g in flagged)
    text = render_digests(domain, groups, "text")
    assert f"! owner_without_plan: no item is planned for 2026-W52 on any of {flagged[0].owner}'s" in text
    assert "- **owner_without_plan**" in render_digests(domain, groups, "md")
    owners = {o["owner"]: o for o in digests_json(domain, groups)["owners"]}
    assert owners[flagged[0].owner]["findings"][0]["rule"] == "owner_without_plan"
    assert digests(domain, composed(engine, [], "2026-W47", computed, AS_OF)) == []
