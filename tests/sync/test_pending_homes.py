"""Pending homes in the engine and the daemon (issue 26), in process against the demo's GitLab.

A cycle "killed" right after its pull was committed — :class:`Killed`, a ``BaseException`` raised where the
homes would be read, so nothing after it runs, exactly as after SIGKILL — leaves the edited homes pending
in the store. The daemon's webhook-triggered cycle (``Daemon._run`` with ``triggered_at``, what a
debounced delivery runs) then reads them: the removed label is back, the owner's manual value and an
acknowledgement left on a home are learned. A mark stays while its home's write fails and a dry run
settles nothing. The process-level SIGKILL scenarios are in ``test_crash_home_edits.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest

from okr_sync.config.load import load_config
from okr_sync.connectors.base import WriteResult
from okr_sync.daemon.service import Daemon
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.sync.crash_harness import environment, write_config
from tests.sync.home_edits import GITLAB_PROJECT, Person

HOMES = {1: "OBJ1-KR3", 2: "OBJ3-KR1", 3: "OBJ3-KR2"}


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the engine catches it, nothing after it runs."""


class World:
    """The demo's GitLab, an okr-sync configuration for it, its store, and a person."""

    def __init__(self, sandbox: Sandbox, tmp: Path) -> None:
        config = write_config(tmp / "okr-sync.yaml", trackers={"gitlab"}, state_url=f"sqlite:///{tmp / 'state.db'}")
        self.sandbox = sandbox
        self.settings = load_config(config, environ=environment(sandbox.info)).settings
        self.store = StateStore.open(self.settings.state.url)
        self.person = Person(sandbox.info)
        self.lab = gitlab.Gitlab(sandbox.info["gitlab"]["url"], private_token=sandbox.info["gitlab"]["token"])
        self.opened: list[Any] = []

    def engine(self) -> Engine:
        """A new engine with new connectors, as a new ``okr-sync once`` process has."""
        connectors = open_connectors(self.settings)
        self.opened.extend(connectors.values())
        return Engine(self.settings, self.store, connectors, clock=lambda: AS_OF, secrets=secrets_of(self.settings))

    def killed_after_pull(self) -> None:
        """A cycle whose pull is committed and which dies before reading any home item."""
        engine = self.engine()

        def die(*_args: Any, **_kwargs: Any) -> Any:
            raise Killed

        engine.connectors["gitlab"].read_homes = die  # type: ignore[method-assign]
        with pytest.raises(Killed):
            engine.cycle()

    def pending(self) -> set[str]:
        return {key for _tracker, key in self.store.pending_homes(["gitlab"])}

    def issue(self, iid: int) -> Any:
        return self.lab.projects.get(GITLAB_PROJECT).issues.get(iid)

    def close(self) -> None:
        for connector in self.opened:
            connector.close()
        self.store.close()


@pytest.fixture
def world(make_sandbox: Any, tmp_path: Path) -> Iterator[World]:
    """A demo GitLab synced once by okr-sync, then edited by people: #2's status label removed, a new
    manual value on #3 (OBJ3-KR2's owner), an acknowledgement of #1's finding by its owner."""
    made = World(make_sandbox("demo"), tmp_path)
    first = made.engine().cycle()
    assert first.writes > 0 and not first.problems, first.problems
    made.person.edit("gitlab", "status")
    made.person.edit("gitlab", "manual")
    ack = gitlab.Gitlab(made.sandbox.info["gitlab"]["url"], private_token="sandbox-gitlab-user-rui.alves")
    ack.projects.get(GITLAB_PROJECT).issues.get(1).notes.create({"body": "Seen.\nokr-ack: deliverable_kr"})
    yield made
    made.close()


def test_a_webhook_triggered_daemon_cycle_settles_what_a_killed_cycle_pulled(world: World) -> None:
    world.killed_after_pull()
    assert world.pending() == {f"{GITLAB_PROJECT}#{iid}" for iid in HOMES}  # the pull was committed
    assert "okr-status::at-risk" not in world.issue(2).labels

    connectors = open_connectors(world.settings)
    world.opened.extend(connectors.values())
    daemon = Daemon(world.settings, world.store, connectors, secrets=secrets_of(world.settings),
                    clock=lambda: AS_OF)
    try:
        daemon.held = daemon.dealer.tick(sorted(daemon.connectors))  # the loop takes its leases first
        daemon._run({"gitlab"} & daemon.held, triggered_at={"gitlab": time.monotonic()})  # a debounced webhook
    finally:
        daemon.dealer.close()
    assert daemon.cycles_done == 1
    assert "okr-status::at-risk" in world.issue(2).labels
    manual = world.store.manual_value("OBJ3-KR2")
    assert manual is not None and (manual.value, manual.author) == (80.0, "bruno.matos")
    assert "Progress: 67 %" in world.issue(3).description  # (120 - 80) / (120 - 60)
    assert "shaped as a deliverable" not in world.issue(1).description
    assert world.store.acknowledged("OBJ1-KR3")
    assert world.pending() == set()  # settled; okr-sync's own writes did not mark them again


def test_a_home_whose_write_fails_stays_pending_and_a_dry_run_settles_nothing(world: World) -> None:
    world.killed_after_pull()
    dry = world.engine().cycle(dry_run=True)
    assert any(w.home.key.endswith("#2") for w in dry.trackers["gitlab"].planned)  # pending homes were read
    assert len(world.pending()) == len(HOMES)

    failing = world.engine()
    connector = failing.connectors["gitlab"]
    real_apply = connector.apply

    def refuse_issue_2(writes: Any) -> list[WriteResult]:
        done = real_apply([w for w in writes if not w.home.key.endswith("#2")])
        return done + [WriteResult(w, ok=False) for w in writes if w.home.key.endswith("#2")]

    connector.apply = refuse_issue_2  # type: ignore[method-assign]
    failing.cycle()
    assert world.pending() == {f"{GITLAB_PROJECT}#2"}
    assert "okr-status::at-risk" not in world.issue(2).labels

    world.engine().cycle()
    assert world.pending() == set()
    assert "okr-status::at-risk" in world.issue(2).labels


def test_a_home_edited_while_okr_sync_writes_another_is_read_by_the_next_cycle(world: World) -> None:
    """The pull that absorbs okr-sync's own writes marks the other homes people changed meanwhile: a label
    removed from #2 while okr-sync writes #1 is restored by the next cycle, not by the daily reconcile."""
    world.engine().cycle()  # the fixture's edits are settled
    world.person.edit("gitlab", "own")  # #1 needs a write in the next cycle
    engine = world.engine()
    real_apply = engine.connectors["gitlab"].apply
    edited: list[str] = []

    def apply_then_person_edits(writes: Any) -> Any:
        done = real_apply(writes)
        if not edited:
            edited.append(world.person.edit("gitlab", "status"))  # after okr-sync's write, before its re-read
        return done

    engine.connectors["gitlab"].apply = apply_then_person_edits  # type: ignore[method-assign]
    report = engine.cycle()
    assert edited and report.writes > 0 and {w.home.key for w in report.trackers["gitlab"].planned} == \
        {f"{GITLAB_PROJECT}#1"}
    assert world.pending() == {f"{GITLAB_PROJECT}#2"}
    world.engine().cycle()
    assert "okr-status::at-risk" in world.issue(2).labels
    assert world.pending() == set()
