"""``okr-sync doctor``: is every configured tracker ready for okr-sync? One table, a fix for each problem.

Per tracker the connector's own ``doctor(spec, homes, people)`` runs (see :mod:`connectors.admin`):
reachability, credentials, permissions (read-only accounts found without writing), fields, options,
labels or categories, KR home items, webhook secret, TLS, and the identity of every person mapped to
that tracker. Nothing is written. Exit code: 0 when no check failed (warnings allowed), 3 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from okr_sync.cli.app import EXIT_OK, EXIT_TRACKER
from okr_sync.config.errors import ConfigurationError, SyncError
from okr_sync.config.models import Settings
from okr_sync.connectors.admin import Check, fail, warn
from okr_sync.engine.domain import build_domain

STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}


@dataclass
class DoctorReport:
    """Every check of one doctor run, in tracker order."""

    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        """Checks that failed."""
        return [c for c in self.checks if c.level == "fail"]

    @property
    def warnings(self) -> list[Check]:
        """Checks that warn."""
        return [c for c in self.checks if c.level == "warn"]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 3 otherwise."""
        return EXIT_TRACKER if self.failures else EXIT_OK

    def summary(self) -> str:
        """One line: how many checks, failures and warnings."""
        if not self.failures:
            head = "all green" if not self.warnings else "no failures"
        else:
            head = f"{len(self.failures)} problem(s) to fix"
        return f"{head}: {len(self.checks)} check(s), {len(self.failures)} failed, {len(self.warnings)} warning(s)"

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (``okr-sync doctor --json``)."""
        return {"ok": not self.failures, "exit_code": self.exit_code,
                "checks": [c.as_dict() for c in self.checks]}


def identities(settings: Settings, tracker: str) -> dict[str, str]:
    """Person id → their identity on ``tracker`` (people mapped to it only)."""
    return {p.id: p.identities[tracker] for p in settings.people if tracker in p.identities}


def run_doctor(settings: Settings, *, only: set[str] | None = None,
               connect: Callable[[str, Any], Any] | None = None) -> DoctorReport:
    """Run every tracker's checks (``only`` restricts to tracker names). Never raises for tracker trouble."""
    from okr_sync.connectors.registry import connector_class

    domain = build_domain(settings)
    homes = domain.homes()
    report = DoctorReport()
    for name, tracker in settings.trackers.items():
        if only is not None and name not in only:
            continue
        try:
            connector = (connect or (lambda n, t: connector_class(t.kind)(n, t)))(name, tracker)
        except ConfigurationError as exc:
            report.checks.append(fail(name, "connector", exc.message, "install the connector's extra, e.g. "
                                                                      f"pip install 'okr-sync[{tracker.kind}]'"))
            continue
        try:
            report.checks += _tracker_checks(connector, name, domain.pull_spec(name), homes,
                                             identities(settings, name))
        finally:
            connector.close()
        report.checks += manual_owner_checks(settings, name)
    report.checks += home_link_checks(settings, domain, only)
    return report


def home_link_checks(settings: Settings, domain: Any, only: set[str] | None) -> list[Check]:
    """A KR home that a link rule ties to its own KR (its bucket, label or title prefix), as the last sync
    saw it in the state store: not counted as work (``Domain.linked_work``), but it reads as if it were.
    Nothing is created: without a store yet (no sync so far) there is nothing to say."""
    from okr_sync.store.state import StateStore

    url = settings.state.url
    if url.startswith("sqlite") and not Path(url.split(":///", 1)[-1]).is_file():
        return []
    try:
        store = StateStore(url)
        try:
            if store.revision() is None:
                return []
            items = {(i.tracker, i.key): i for i in store.items()}
        finally:
            store.close()
    except Exception:  # an unreachable store is the store check's business, not this one's
        return []
    checks = []
    for kr in domain.key_results.values():
        home = kr.home
        item = items.get((home.tracker, home.key)) if home is not None else None
        if home is None or item is None or kr.id not in item.kr_ids or (only is not None and home.tracker not in only):
            continue
        checks.append(warn(home.tracker, f"KR {kr.id} home", f"the home of KR {kr.id} ('{item.title}') matches a link "
                           "rule of that KR, as if it were one of its work items; okr-sync does not count it",
                           "move it out of the KR's bucket, or remove the KR's label or title prefix from it"))
    return checks


def manual_owner_checks(settings: Settings, tracker: str) -> list[Check]:
    """A KR whose value its owner types on ``tracker`` needs an owner okr-sync can recognise there: without
    one, every value typed is shown as "not used" (issue 19)."""
    checks = []
    for _objective, kr in settings.key_results():
        measure = kr.measure
        if kr.home is None or kr.home.tracker != tracker or getattr(measure, "source", None) != "manual":
            continue
        if not kr.owners:
            checks.append(warn(tracker, f"KR {kr.id} owner", f"KR {kr.id} takes a value typed by its owner, but "
                               "names no owner: no typed value counts", f"add owner: <person id> to KR {kr.id}"))
            continue
        for owner in kr.owners:  # co-owners: each one's value counts, so each one needs an identity
            person = settings.person(owner)
            if settings.people and (person is None or tracker not in person.identities):
                name = person.name if person is not None else owner
                checks.append(warn(tracker, f"KR {kr.id} owner", f"{name}, owner of KR {kr.id}, has no {tracker} "
                                   "identity in the people directory: values they type on the KR's home are not "
                                   f"used", f"add identities: {{{tracker}: <their {tracker} identity>}} to person "
                                   f"{owner} (okr-sync people import proposes them)"))
    return checks


def _tracker_checks(connector: Any, name: str, spec: Any, homes: Mapping[str, Any],
                    people: Mapping[str, str]) -> list[Check]:
    from okr_sync.connectors.admin import admin_of

    admin = admin_of(connector)
    if admin is None:
        return [warn(name, "doctor", f"the {connector.kind} connector has no doctor checks yet",
                     "run okr-sync plan and read its problems instead")]
    try:
        return list(admin.doctor(spec, homes, people))
    except SyncError as exc:  # a connector bug or an unexpected answer must not hide other trackers
        return [fail(name, "doctor", exc.message, "fix the problem named and run okr-sync doctor again")]


NARROW = 100
"""Below this many columns the doctor prints one block per check instead of a table."""


class DoctorView:
    """The doctor's checks sized to the terminal: a table when wide, one block per check when narrow.

    Passing checks are counted per tracker rather than listed when narrow, so what needs fixing stands out.
    """

    def __init__(self, report: DoctorReport) -> None:
        self.report = report

    def __rich_console__(self, console: Any, options: Any) -> Any:
        """Rich's rendering hook: chooses the layout by the width available."""
        if options.max_width >= NARROW:
            yield _table(self.report)
            return
        yield from _blocks(self.report)


def _table(report: DoctorReport) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="okr-sync doctor", show_lines=False, expand=True)
    table.add_column("tracker", no_wrap=True)
    table.add_column("check", overflow="fold", ratio=1)
    table.add_column("", no_wrap=True)
    table.add_column("detail", overflow="fold", ratio=3)
    table.add_column("fix", overflow="fold", ratio=3)
    for check in report.checks:
        table.add_row(check.tracker, check.topic, Text(MARK[check.level], style=STYLE[check.level]),
                      Text(check.detail), Text(check.fix))
    return table


def _blocks(report: DoctorReport) -> Any:
    from rich.padding import Padding
    from rich.text import Text

    yield Text("okr-sync doctor", style="bold")
    passed: dict[str, int] = {}
    for check in report.checks:
        if check.level == "ok":
            passed[check.tracker] = passed.get(check.tracker, 0) + 1
            continue
        yield Text("")
        yield Text.assemble((MARK[check.level], STYLE[check.level]), f" {check.tracker} · {check.topic}")
        yield Padding(Text(check.detail), (0, 0, 0, 2))
        if check.fix:
            yield Padding(Text(f"fix: {check.fix}"), (0, 0, 0, 2))
    if passed:
        yield Text("")
        yield Text("passed: " + ", ".join(f"{tracker} {count} check(s)" for tracker, count in passed.items()),
                   style=STYLE["ok"])


def doctor_table(report: DoctorReport) -> Any:
    """The doctor's report for the terminal (a table when wide, blocks per check at 80 columns)."""
    return DoctorView(report)
