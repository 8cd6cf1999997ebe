"""``okr-sync setup <tracker or kind>``: what a tracker needs for okr-sync, shown or (``--apply``) created.

Each connector's admin path (:func:`okr_sync.connectors.admin.admin_of`) says what that is — custom fields
and select options, scoped labels, category names. ``setup_plan()`` lists only what is missing, and
``apply_setup(steps)`` only creates — nothing is ever deleted or renamed — so a second run plans nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.models import Settings
from okr_sync.connectors.admin import SetupStep, StepResult, admin_of


@dataclass
class SetupRun:
    """Planned steps per tracker and, after ``--apply``, what happened to them."""

    planned: dict[str, list[SetupStep]] = field(default_factory=dict)
    results: dict[str, list[StepResult]] = field(default_factory=dict)

    @property
    def failed(self) -> list[StepResult]:
        """Steps that were tried and failed."""
        return [r for rs in self.results.values() for r in rs if not r.ok]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        def step(s: SetupStep) -> dict[str, Any]:
            return {"action": s.action, "target": s.target, "detail": s.detail, "manual": s.manual}
        return {"planned": {t: [step(s) for s in steps] for t, steps in self.planned.items()},
                "results": {t: [{**step(r.step), "ok": r.ok, "message": r.message} for r in rs]
                            for t, rs in self.results.items()}}


def trackers_for(settings: Settings, which: str) -> list[str]:
    """Tracker names matching ``which`` (a configured tracker name, or a kind naming all trackers of it)."""
    if which in settings.trackers:
        return [which]
    found = [name for name, t in settings.trackers.items() if t.kind == which]
    if not found:
        known = ", ".join(f"{n} ({t.kind})" for n, t in settings.trackers.items()) or "none"
        raise ConfigurationError(f"no tracker of kind or name '{which}' is configured; configured: {known}")
    return found


def run_setup(settings: Settings, which: str, *, apply: bool,
              connect: Callable[[str, Any], Any] | None = None) -> SetupRun:
    """Plan (and with ``apply`` perform) the set-up of every tracker ``which`` names."""
    from okr_sync.connectors.registry import connector_class
    from okr_sync.engine.domain import build_domain

    domain = build_domain(settings)
    homes = domain.homes()
    run = SetupRun()
    for name in trackers_for(settings, which):
        tracker = settings.trackers[name]
        connector = (connect or (lambda n, t: connector_class(t.kind)(n, t)))(name, tracker)
        try:
            admin = admin_of(connector)
            if admin is None:
                raise ConfigurationError(f"the {tracker.kind} connector offers no set-up yet; create what "
                                         "docs/admin-guide.md lists by hand")
            takes_spec = "spec" in inspect.signature(admin.setup_plan).parameters  # the KR measures' fields
            run.planned[name] = list(admin.setup_plan(homes, spec=domain.pull_spec(name)) if takes_spec
                                     else admin.setup_plan(homes))
            if apply and run.planned[name]:
                run.results[name] = list(admin.apply_setup(run.planned[name]))
        finally:
            connector.close()
    return run
