"""``okr-sync demo`` / ``make demo``: the whole story on a laptop, with no tracker account.

Starts the sandbox with the seeded public-sector fixture, syncs once through Jira, GitLab and Planner,
prints the KR status table and one weekly check-in, writes the HTML report, and stops the sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

DEMO_CONFIG = "demo-okr-sync.yaml"


def demo_config_path() -> Path:
    """The packaged demo configuration (``sandbox/fixtures/demo-okr-sync.yaml``)."""
    return Path(str(resources.files("okr_sync.sandbox.fixtures").joinpath(DEMO_CONFIG)))


def demo_environment(info: Mapping[str, Any]) -> dict[str, str]:
    """The ``${SANDBOX_*}`` variables the demo configuration reads, from a running sandbox's info."""
    jira, gitlab, planner = info["jira"], info["gitlab"], info["planner"]
    return {
        **_every_entry(info),
        "SANDBOX_JIRA_URL": jira["url"], "SANDBOX_JIRA_TOKEN": jira["token"],
        "SANDBOX_JIRA_EMAIL": jira.get("email") or f"{jira['user']}@sandbox.example",
        "SANDBOX_GITLAB_URL": gitlab["url"], "SANDBOX_GITLAB_TOKEN": gitlab["token"],
        "SANDBOX_GRAPH_URL": planner["graph_url"], "SANDBOX_AUTHORITY": planner["authority"],
        "SANDBOX_CA_CERT": planner["ca_cert"], "SANDBOX_PLANNER_SECRET": planner["client_secret"],
        "SANDBOX_PLAN_ID": str(planner["plan_id"]),
    }


def _every_entry(info: Mapping[str, Any]) -> dict[str, str]:
    """``SANDBOX_<EMULATOR>_<KEY>`` for every text entry of every emulator in the info, so an emulator added
    to the sandbox reaches the demo configuration without a line here (``SANDBOX_AZURE_DEVOPS_URL``)."""
    return {f"SANDBOX_{name}_{key}".upper(): value for name, entry in info.items() if isinstance(entry, Mapping)
            for key, value in entry.items() if isinstance(value, str)}


def demo_now() -> datetime:
    """The demo story's "today" (Wednesday of 2026-W48): the seeded plans are relative to it, so the demo
    tells the same story whatever the real date is."""
    from okr_sync.sandbox.fixtures.demo_story import AS_OF

    return AS_OF


@dataclass
class DemoRun:
    """Everything a demo produced."""

    report: Any
    computed: Any
    domain: Any
    checkin_text: str
    checkin_kr: str
    week: str
    state_path: Path
    html_path: Path | None
    settings: Any = None
    """The demo's loaded configuration (people's names, the sandbox trackers' addresses)."""


def run_demo(out_dir: Path, *, on_step: Callable[[str], None] = lambda s: None,
             sandbox_ready: Callable[[Any], None] | None = None) -> DemoRun:
    """Run the demo into ``out_dir`` (state store, report); the sandbox is always stopped at the end."""
    from okr_sync.config.load import load_config
    from okr_sync.engine.cycle import Engine
    from okr_sync.engine.runtime import open_connectors, secrets_of
    from okr_sync.mapping import iso_week, previous_week, render_checkin
    from okr_sync.sandbox.server import Sandbox
    from okr_sync.store.state import StateStore

    out_dir.mkdir(parents=True, exist_ok=True)
    state_path = out_dir / "okr-sync-demo.db"
    for stale in out_dir.glob("okr-sync-demo.db*"):
        stale.unlink()
    on_step("starting the sandbox (Jira, GitLab, Microsoft Graph, Azure DevOps) with the public-sector demo…")
    with Sandbox("demo") as sandbox:
        if sandbox_ready is not None:
            sandbox_ready(sandbox)
        environ = {**os.environ, **demo_environment(sandbox.info)}
        loaded = load_config(demo_config_path(), environ=environ)
        settings = loaded.settings.model_copy(
            update={"state": loaded.settings.state.model_copy(update={"url": f"sqlite:///{state_path}"})})
        now = demo_now()
        store = StateStore.open(settings.state.url)
        connectors = open_connectors(settings)
        try:
            engine = Engine(settings, store, connectors, clock=lambda: now, secrets=secrets_of(settings))
            week = previous_week(iso_week(now.date()))
            on_step(f"syncing once through {', '.join(connectors)}…")
            report = engine.cycle(checkin_week=week)
            computed = report.computed
            if computed is None:  # the cycle stopped before computing: its problems say why
                raise RuntimeError("the demo's sync computed no status: " + "; ".join(report.problems))
            kr_id = next(iter(engine.domain.key_results))
            checkin = engine.checkin(kr_id, week, computed, now)
            text = render_checkin(checkin, "text", links=False, title=f"Weekly check-in {week} — {kr_id} "
                                                         f"{engine.domain.key_results[kr_id].title}")
            # the bracketed marker line lets okr-sync find the posted copy; a reader needs none of it
            text = "\n".join(line for line in text.splitlines() if not line.startswith("[okr-sync:"))
            html_path = _write_report(out_dir, engine, computed, now)
        finally:
            for connector in connectors.values():
                connector.close()
            store.close()
    return DemoRun(report, computed, engine.domain, text, kr_id, week, state_path, html_path, settings)


def _write_report(out_dir: Path, engine: Any, computed: Any, now: datetime) -> Path | None:
    try:
        from okr_sync.reports.html import write_html_report
    except ImportError:
        return None
    path = out_dir / "okr-report.html"
    write_html_report(path, engine, computed, now)
    return path
