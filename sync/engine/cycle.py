"""One sync cycle: pull → store → compute → diff → push.

For each tracker: pull items changed since the watermark and commit them with the new watermark in one
transaction (a crash before the commit re-pulls; after it, nothing is lost). The same transaction marks
the pulled home items as *pending* (``okr_sync.engine.pending``): the watermark never moves past a
person's edit on a home (okr-sync's field overwritten, its label removed, a manual value typed, an
acknowledgement left) unless the store also remembers that home must be read. Then read the home items
that may need writes — pending ones (changed in the tracker, by this cycle's pull or by one whose cycle
crashed), never written ones, or those whose desired state differs from what okr-sync last wrote —
recompute every KR and objective with ``mapping``, let each connector diff desired against current
state, and apply only what differs. A pending mark is settled only after its home was read and
reconciled (written, found equal, or found gone), so a kill between pull and write-back, or between two
trackers' pulls, costs a re-read, never an edit. A write is remembered (``store.record_written``) only
after it succeeded, so a crash replays it; markers make the replay find and edit the comment or block it
already wrote instead of duplicating it. One failing tracker never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime

from okr_sync.config.errors import AuthError
from okr_sync.config.models import Settings
from okr_sync.connectors.base import Connector, DesiredHome, HomeState, Write
from okr_sync.connectors.capabilities import Mentions
from okr_sync.connectors.redact import redact
from okr_sync.engine import ignored, inputs, unknown
from okr_sync.engine.acks import acknowledged_fingerprints, learn, without_acknowledged
from okr_sync.engine.clock import system_clock
from okr_sync.engine.compute import Computed, compute_from_store
from okr_sync.engine.domain import Domain, build_domain
from okr_sync.engine.pending import PendingHomes, home_keys
from okr_sync.engine.people import Directory
from okr_sync.engine.report import CycleReport, TrackerOutcome
from okr_sync.engine.steps import Deferrals, tracker_step
from okr_sync.mapping import (
    CheckIn,
    HomeItem,
    KrStatus,
    ManualValue,
    ObjectiveStatus,
    WorkItem,
    compose_checkin,
    render_checkin,
    render_status_block,
)
from okr_sync.store.bulk import AcknowledgedView, bulk

log = logging.getLogger("okr_sync.engine")
DESIRED = "desired"


class Engine:
    """Runs cycles for a configuration over a state store and a set of connectors."""

    def __init__(
        self,
        settings: Settings,
        store: object,
        connectors: Mapping[str, Connector],
        *,
        clock: Callable[[], datetime] | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.store = store  # okr_sync.store.state.StateStore (duck-typed to keep this module light)
        self.connectors = dict(connectors)
        self.clock = clock or system_clock()
        self.domain: Domain = build_domain(settings)
        self._configured = self.domain
        self._discovered = False
        self.secrets = list(secrets)
        self.deferrals = Deferrals(self.clock)
        """Trackers that asked for a longer pause than a cycle waits: not contacted before then."""

    # ----------------------------------------------------------------------------------------- cycle
    def cycle(
        self,
        *,
        only: set[str] | None = None,
        full: bool = False,
        dry_run: bool = False,
        checkin_week: str | None = None,
        checkin_krs: set[str] | None = None,
        on_tracker: Callable[[str], None] | None = None,
        may_write: Callable[[str], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> CycleReport:
        """Run one cycle over the trackers in ``only`` (all when None) and return what happened.

        ``checkin_week`` additionally upserts that week's 3P check-in on the home items of
        ``checkin_krs`` (all KRs when None). A dry run pulls and plans but writes nothing anywhere.
        ``may_write(tracker)`` is asked right before writing to a tracker (replica leases);
        ``should_stop()`` between home items, so a shutdown finishes the write in flight and stops.
        """
        self._may_write = may_write or (lambda _tracker: True)
        self._should_stop = should_stop or (lambda: False)
        self._reconciled: set[HomeItem] = set()
        self._wrote: set[HomeItem] = set()  # homes this cycle wrote to (their absorbing pull marks nothing)
        now = self.clock()
        report = CycleReport(started=now, dry_run=dry_run)
        names = [n for n in self.connectors if only is None or n in only]
        if not full and (edited := inputs.changed_trackers(self.store, self.settings, names)):
            log.info("configuration changed since %s was last read: reading everything once", ", ".join(edited))
            full = True
        overlay: dict[tuple[str, str], WorkItem] = {}
        changed: set[tuple[str, str]] = set()
        for name in names:
            report.trackers[name] = TrackerOutcome(name)
        self._discover(report, refresh=full)
        for name in names:
            if on_tracker is not None:
                on_tracker(name)
            held = self.deferrals.holding(name, now)
            if held is not None:
                report.trackers[name].error = held
                continue
            pulled = self._pull(name, full=full, dry_run=dry_run, overlay=overlay, changed=changed)
            pulled.problems[:0] = report.trackers[name].problems
            pulled.calls += report.trackers[name].calls
            report.trackers[name] = pulled

        healthy = {n for n in names if report.trackers[n].error is None}
        homes = {s: h for s, h in self.domain.homes().items() if h.tracker in healthy}
        self._written_now = self.store.written_all() if bulk(self.store) else None  # read once per cycle
        pending = PendingHomes(self.store, healthy)
        first = {h for h in homes.values()
                 if full or (h.tracker, h.key) in changed or h in pending or not self._written(h)}
        states = self._read_homes(first, report)
        manual = self._manual_values(states, dry_run=dry_run)

        computed = self._acknowledge(self._compute(now, overlay, manual), states, dry_run=dry_run)
        report.computed = computed
        self._report_ignored(report)
        for name, lines in unknown.by_tracker(computed).items():
            if name in report.trackers:
                report.trackers[name].problems.extend(lines)
        desired = self._desired(homes, computed, checkin_week, checkin_krs, now, overlay)
        stale = {d.home for d in desired if self._written(d.home).get(DESIRED) != fingerprint(d)}
        states.update(self._read_homes(stale - set(states), report))
        needing = [d for d in desired if d.home in states]
        self._push(needing, states, report, dry_run=dry_run)
        if not dry_run:
            pending.settle(self.store, self._reconciled, homes.values())
            self._absorb_own_writes(report)
            self._record_history(computed, now)
            inputs.record(self.store, self.settings, [n for n, o in report.trackers.items() if o.error is None])
            finished = self.clock()
            for name, outcome in report.trackers.items():
                self.store.record_outcome(name, now, finished, outcome.ok, outcome.calls, outcome.writes,  # type: ignore[attr-defined]
                                          outcome.problems + ([str(outcome.error)] if outcome.error else []))
        self._written_now = None
        report.finished = self.clock()
        return report

    def _discover(self, report: CycleReport, *, refresh: bool) -> None:
        """KRs defined in the trackers (``discover``): read at the first cycle and at each full reconcile."""
        if not self.settings.discover or (self._discovered and not refresh):
            return
        from okr_sync.engine.discovery import discover

        rules = {rule.tracker for rule in self.settings.discover}
        before = {name: self.connectors[name].requests_made for name in rules if name in self.connectors}
        self.domain, problems = discover(self._configured, self.settings, self.connectors)
        self._discovered = True
        for name, count in before.items():
            if name in report.trackers:
                report.trackers[name].calls += self.connectors[name].requests_made - count
                report.trackers[name].problems.extend(problems)

    # ------------------------------------------------------------------------------------------ pull
    def _pull(self, name: str, *, full: bool, dry_run: bool, overlay: dict[tuple[str, str], WorkItem],
              changed: set[tuple[str, str]], unmarked: frozenset[str] = frozenset()) -> TrackerOutcome:
        outcome = TrackerOutcome(name)
        connector = self.connectors[name]
        with self._step(outcome, "pull"):
            since = None if full else self.store.watermark(name)  # type: ignore[attr-defined]
            result = connector.pull(since, self.domain.pull_spec(name), full=full)
            if dry_run:
                overlay.update({(name, item.key): item for item in result.items})
            else:
                homes = home_keys(self.domain.homes().values(), name) - unmarked
                self.store.commit_pull(name, result.items, result.watermark, full=result.full,  # type: ignore[attr-defined]
                                       homes=homes)
            changed.update((name, item.key) for item in result.items)
            outcome.items = len(result.items)
            outcome.problems.extend(p.message for p in result.problems)
        return outcome

    def _step(self, outcome: TrackerOutcome, what: str) -> AbstractContextManager[None]:
        """The one error ladder around a step against ``outcome.name`` (:func:`engine.steps.tracker_step`)."""
        return tracker_step(outcome, self.connectors[outcome.name], what, secrets=self.secrets,
                            deferrals=self.deferrals)

    def _absorb_own_writes(self, report: CycleReport) -> None:
        """Pull once more where this cycle wrote, so okr-sync's own edits are not seen as changes later.

        Without it the next cycle would find the home items it just wrote "updated" and re-read them
        (hence no pending marks for those). Work items changed by people meanwhile are committed as usual
        and counted in the next compute; other home items people changed meanwhile are marked pending.
        """
        for name, outcome in report.trackers.items():
            if outcome.writes and outcome.error is None:
                wrote = frozenset(home.key for home in self._wrote if home.tracker == name)
                absorbed = self._pull(name, full=False, dry_run=False, overlay={}, changed=set(), unmarked=wrote)
                outcome.calls += absorbed.calls
                outcome.problems.extend(p for p in absorbed.problems if p not in outcome.problems)  # said once
                if absorbed.error is not None:
                    outcome.problems.append(f"re-reading after writes failed: {absorbed.error}")

    # ----------------------------------------------------------------------------------------- homes
    def _written(self, home: HomeItem) -> dict[str, str]:
        """What okr-sync last wrote on ``home`` as of this cycle's start (before its own writes)."""
        if getattr(self, "_written_now", None) is not None:
            return self._written_now.get((home.tracker, home.key), {})  # type: ignore[union-attr]
        return self.store.written(home.tracker, home.key)  # type: ignore[attr-defined,no-any-return]

    def _read_homes(self, homes: set[HomeItem], report: CycleReport) -> dict[HomeItem, HomeState]:
        states: dict[HomeItem, HomeState] = {}
        by_tracker: dict[str, list[HomeItem]] = defaultdict(list)
        for home in sorted(homes, key=lambda h: (h.tracker, h.key)):
            by_tracker[home.tracker].append(home)
        for name, group in by_tracker.items():
            outcome = report.trackers[name]
            connector = self.connectors[name]
            with self._step(outcome, "reading home items"):
                states.update(connector.read_homes(group, self.domain.pull_spec(name)))
            for home in group:
                state = states.get(home)
                if state is not None and not state.exists:
                    self._reconciled.add(home)  # read and gone: nothing to write, nothing pending
                    outcome.problems.append(f"home item {home.key} does not exist or is not visible; "
                                            "create it or fix the home in okr-sync.yaml")
                    states.pop(home)
        return states

    def _manual_values(self, states: Mapping[HomeItem, HomeState], *, dry_run: bool) -> dict[str, ManualValue]:
        directory = Directory(self.settings.people)
        self._ignored_now = ignored.sentences_read(self.domain, states, directory)  # typed values not counted
        if not dry_run:
            ignored.remember(self.store, self.domain, self._ignored_now)
        values: dict[str, ManualValue] = {}
        stored_values = self.store.latest_manual_values(self.domain.key_results) if bulk(self.store) else None
        for kr in self.domain.key_results.values():
            state = states.get(kr.home) if kr.home is not None else None
            if state is not None and state.manual is not None:
                values[kr.id] = state.manual
                if not dry_run:
                    self.store.record_manual_value(kr.id, state.manual)  # type: ignore[attr-defined]
            if kr.id not in values:
                stored = stored_values.get(kr.id) if stored_values is not None else \
                    self.store.manual_value(kr.id)  # type: ignore[attr-defined]
                if stored is not None:
                    values[kr.id] = stored
        return values

    def _report_ignored(self, report: CycleReport) -> None:
        """Every typed value that does not count is an item-level problem of its home's tracker, each cycle
        until it is fixed (the status block and ``status`` say the same)."""
        remembered = ignored.stored(self.store, self.domain, self._written_now)
        for name, lines in ignored.problems(self.domain, {**remembered, **self._ignored_now}).items():
            if name in report.trackers:
                report.trackers[name].problems.extend(lines)

    # --------------------------------------------------------------------------------------- compute
    def _compute(self, now: datetime, overlay: Mapping[tuple[str, str], WorkItem],
                 manual: Mapping[str, ManualValue]) -> Computed:
        return compute_from_store(self.domain, self.store, now=now, overlay=overlay, manual=manual,
                                  ignored=getattr(self, "_ignored_now", None))

    def _acknowledge(self, computed: Computed, states: Mapping[HomeItem, HomeState], *, dry_run: bool) -> Computed:
        """Learn acknowledgement signs people left on home items; drop the findings they acknowledge."""
        subject_of = {home: subject for subject, home in self.domain.homes().items()}
        signals = [replace(sign, subject=subject_of[home])
                   for home, state in states.items() if home in subject_of for sign in state.acks]
        if not signals or dry_run:
            return computed
        learn(self.store, computed, signals)
        subjects = [*self.domain.key_results, *self.domain.objectives]
        acks = AcknowledgedView(self.store.acknowledged_by_subject(subjects)) if bulk(self.store) else self.store
        return without_acknowledged(computed, acknowledged_fingerprints(acks, subjects))

    def _desired(self, homes: Mapping[str, HomeItem], computed: Computed, week: str | None,
                 krs: set[str] | None, now: datetime, overlay: Mapping[tuple[str, str], WorkItem]) -> list[DesiredHome]:
        desired = []
        for subject, home in homes.items():
            status = computed.status_of(subject)
            checkin = None
            if week is not None and isinstance(status, KrStatus) and (krs is None or subject in krs):
                checkin = self.checkin(subject, week, computed, now)
            title = (self.domain.key_results[subject].title if subject in self.domain.key_results
                     else self.domain.objectives[subject].title)
            mention = self._mention(subject, home) if checkin is not None else None
            desired.append(DesiredHome(home, subject, title, status, checkin, mention))
        return desired

    def _mention(self, kr_id: str, home: HomeItem) -> str | None:
        """The KR owner's mention in the home's tracker (people directory), or their name."""
        owner = self.domain.key_results[kr_id].owner
        person = self.settings.person(owner)
        if person is None:
            return owner
        identity = person.identities.get(home.tracker)
        connector = self.connectors.get(home.tracker)
        return connector.mention(identity, person.name) if isinstance(connector, Mentions) else person.name

    def checkin(self, kr_id: str, week: str, computed: Computed, now: datetime) -> CheckIn:
        """The 3P check-in of one KR for an ISO week."""
        from okr_sync.mapping import week_bounds

        kr = self.domain.key_results[kr_id]
        directory = Directory(self.settings.people)
        items = [replace(i, assignee=directory.display(i.tracker, i.assignee)) if i.assignee else i
                 for i in self.domain.linked_work(kr_id, self.store.items_by_kr([kr_id]).get(kr_id, []))]  # type: ignore[attr-defined]
        start = datetime.combine(week_bounds(week)[0], datetime.min.time(), UTC)
        previous = self.store.progress_at(kr_id, start)  # type: ignore[attr-defined]
        return compose_checkin(kr, computed.key_results[kr_id], items, week, now=now, previous_progress=previous)

    # ------------------------------------------------------------------------------------------ push
    def _push(self, desired: list[DesiredHome], states: Mapping[HomeItem, HomeState], report: CycleReport,
              *, dry_run: bool) -> None:
        by_tracker: dict[str, list[DesiredHome]] = defaultdict(list)
        for item in desired:
            by_tracker[item.home.tracker].append(item)
        for name, group in by_tracker.items():
            outcome = report.trackers[name]
            if outcome.error is not None:
                continue
            connector = self.connectors[name]
            with self._step(outcome, "write-back"):
                writes = connector.plan_writes(group, states)
                outcome.planned.extend(writes)
                if dry_run:
                    continue
                if not self._may_write(name):
                    outcome.problems.append("lease on this tracker lost before writing; another replica "
                                            "will write it")
                    continue
                failed, unreached = self._apply(connector, writes, outcome)
                for item in group:
                    if item.home not in failed and item.home not in unreached:
                        self.store.record_written(item.home.tracker, item.home.key, DESIRED, fingerprint(item))  # type: ignore[attr-defined]
                        self._reconciled.add(item.home)

    def _apply(self, connector: Connector, writes: list[Write],
               outcome: TrackerOutcome) -> tuple[set[HomeItem], set[HomeItem]]:
        """Apply writes home by home, stopping between homes on shutdown; (failed, not reached) homes."""
        failed: set[HomeItem] = set()
        by_home: dict[HomeItem, list[Write]] = defaultdict(list)
        for write in writes:
            by_home[write.home].append(write)
        order = sorted(by_home, key=lambda h: h.key)
        for index, home in enumerate(order):
            if self._should_stop():
                return failed, set(order[index:])
            self._apply_home(connector, by_home[home], outcome, failed)
        return failed, set()

    def _apply_home(self, connector: Connector, writes: list[Write], outcome: TrackerOutcome,
                    failed: set[HomeItem]) -> None:
        for result in connector.apply(writes):
            if result.ok:
                outcome.writes += 1
                self._wrote.add(result.write.home)
            else:
                failed.add(result.write.home)
                message = str(result.error) if result.error else "write failed"
                outcome.problems.append(
                    f"{result.write.home.key}: {result.write.target}: {redact(message, self.secrets)}")
                if isinstance(result.error, AuthError):
                    outcome.error = result.error

    def _record_history(self, computed: Computed, now: datetime) -> None:
        """Remember each KR's and objective's progress when it changed — except where it is not known yet.

        A KR whose home tracker has never completed a pull (no watermark: it failed since the first
        cycle) computes 0 % from no items; recording that would draw a jump from 0 to its real figure
        once the tracker answers, and the forecast would read a steep trend into it. Objectives of such
        KRs wait too.
        """
        unread = {name for name in self.connectors if self.store.watermark(name) is None}  # type: ignore[attr-defined]
        homes = self.domain.homes()
        unknown = {kr for kr in computed.key_results if kr in homes and homes[kr].tracker in unread}
        statuses: list[KrStatus | ObjectiveStatus] = [
            *(s for kr, s in computed.key_results.items() if kr not in unknown),
            *(s for s in computed.objectives.values() if not unknown & set(s.kr_ids))]
        subjects = [s.kr_id if isinstance(s, KrStatus) else s.objective_id for s in statuses]
        histories = self.store.progress_histories(subjects) if bulk(self.store) else None
        for status, subject in zip(statuses, subjects, strict=True):
            history = histories[subject] if histories is not None else \
                self.store.progress_history(subject)  # type: ignore[attr-defined]
            if not history or abs(history[-1].progress - status.progress) > 1e-9:
                self.store.record_progress(subject, now, status.progress, status.status.value)  # type: ignore[attr-defined]


def fingerprint(desired: DesiredHome) -> str:
    """A stable digest of everything a home item should show (what changes it, changes this)."""
    parts = [desired.home.tracker, desired.home.key, desired.subject_id, desired.title,
             render_status_block(desired.status, "markdown")]
    if desired.checkin is not None:
        parts.append(render_checkin(desired.checkin, "markdown"))
    if desired.owner_mention:
        parts.append(desired.owner_mention)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
