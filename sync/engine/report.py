"""What one cycle did, per tracker: the machine-readable contract of ``okr-sync once --json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okr_sync.config.errors import AuthError, RetriableError, SyncError
from okr_sync.connectors.base import Write
from okr_sync.engine.compute import Computed

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG, EXIT_TRACKER = 0, 1, 2, 3


@dataclass
class TrackerOutcome:
    """One tracker's part of a cycle."""

    name: str
    calls: int = 0
    writes: int = 0
    items: int = 0
    problems: list[str] = field(default_factory=list)
    error: SyncError | None = None
    planned: list[Write] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No tracker-level error and no item-level problem."""
        return self.error is None and not self.problems

    def as_json(self) -> dict[str, Any]:
        """``{"calls", "writes", "items", "problems", "error"}``."""
        return {
            "calls": self.calls, "writes": self.writes, "items": self.items, "problems": list(self.problems),
            "error": None if self.error is None else {"disposition": self.error.disposition,
                                                      "message": str(self.error)},
            "planned_writes": [w.describe() for w in self.planned],
        }


@dataclass
class CycleReport:
    """The outcome of one cycle over every tracker."""

    started: datetime
    finished: datetime | None = None
    trackers: dict[str, TrackerOutcome] = field(default_factory=dict)
    computed: Computed | None = None
    dry_run: bool = False

    @property
    def writes(self) -> int:
        """Writes made (0 in a dry run)."""
        return sum(t.writes for t in self.trackers.values())

    @property
    def calls(self) -> int:
        """Tracker API requests made."""
        return sum(t.calls for t in self.trackers.values())

    @property
    def planned(self) -> list[Write]:
        """Every write planned (made, or to be made in a dry run)."""
        return [w for t in self.trackers.values() for w in t.planned]

    @property
    def problems(self) -> list[str]:
        """Every problem, prefixed with its tracker."""
        found = [f"{t.name}: {p}" for t in self.trackers.values() for p in t.problems]
        found += [str(t.error) for t in self.trackers.values() if t.error is not None]
        return found

    @property
    def exit_code(self) -> int:
        """3 a tracker unreachable or refusing access; 1 item-level problems; 0 ok."""
        errors = [t.error for t in self.trackers.values() if t.error is not None]
        if any(isinstance(e, AuthError | RetriableError) for e in errors):
            return EXIT_TRACKER
        if errors or any(t.problems for t in self.trackers.values()):
            return EXIT_PROBLEMS
        return EXIT_OK

    def as_json(self) -> dict[str, Any]:
        """The stable contract: ``{"writes", "calls", "trackers": {name: {...}}, "problems": [...]}``."""
        return {
            "writes": self.writes,
            "calls": self.calls,
            "dry_run": self.dry_run,
            "trackers": {name: t.as_json() for name, t in self.trackers.items()},
            "problems": self.problems,
            "planned_writes": [w.describe() for w in self.planned],
            "exit_code": self.exit_code,
        }
