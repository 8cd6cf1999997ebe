"""Reads work items from the JSON file and writes each KR's status and progress onto its home there."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from okr_filetracker.settings import FileTrackerSettings
from okr_sync.config.errors import AuthError, ConfigurationError, SyncError
from okr_sync.connectors.admin import Check, SetupStep, StepResult, fail, ok
from okr_sync.connectors.base import DesiredHome, HomeState, PullResult, PullSpec, Write, WriteResult
from okr_sync.mapping import HomeItem, StatusCategory, WorkItem
from okr_sync.mapping.links import LinkFacts, LinkRules


class FileConnector:
    """One JSON file as a tracker; also its own doctor (the Administers capability)."""

    kind: ClassVar[str] = "filetracker"
    page_size: ClassVar[int | None] = None

    def __init__(self, name: str, settings: FileTrackerSettings) -> None:
        self.name, self.settings = name, settings
        self.path = Path(settings.path)
        self.rules = LinkRules.compile((rule.rule, getattr(rule, rule.rule)) for rule in settings.link)
        self.reads = 0

    @property
    def requests_made(self) -> int:
        """File reads and writes so far."""
        return self.reads

    def _load(self) -> dict[str, Any]:
        self.reads += 1
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SyncError(f"cannot read {self.path}: {exc}", tracker=self.name) from None
        if not isinstance(data, dict):
            raise SyncError(f"{self.path} holds no JSON object", tracker=self.name)
        wanted = data.get("token")
        given = self.settings.token.get_secret_value() if self.settings.token is not None else None
        if wanted is not None and given != wanted:
            raise AuthError(f"{self.path} refused the token; set trackers.{self.name}.token to the file's token",
                            tracker=self.name)
        return data

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Items changed since the watermark (each item carries the file's revision of its last change)."""
        data = self._load()
        everything = full or since is None
        items = []
        for raw in data.get("items", []):
            if not everything and int(raw.get("rev", 0)) <= int(str(since)):
                continue
            facts = LinkFacts(title=str(raw.get("title", "")), labels=[str(x) for x in raw.get("labels", [])])
            status = StatusCategory.DONE if raw.get("done") else StatusCategory.TODO
            items.append(WorkItem(self.name, str(raw["key"]), facts.title, status,
                                  self.rules.kr_ids(facts, known=spec.kr_ids)))
        return PullResult(items, watermark=str(data.get("rev", 0)), full=everything, scopes=(str(self.path),))

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Status and progress now on each home."""
        stored = self._load().get("homes", {})
        return {home: HomeState(home, home.key in stored, dict(stored.get(home.key) or {})) for home in homes}

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        """One write per home whose status or progress differs."""
        writes = []
        for want in desired:
            state = current.get(want.home)
            if state is None or not state.exists:
                continue
            new = {"status": want.status.status.value, "progress": round(want.status.progress * 100)}
            old = {k: state.values.get(k) for k in new}
            if old != new:
                writes.append(Write(want.home, "status", json.dumps(old), json.dumps(new), new))
        return writes

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Write every change in one atomic replace of the file."""
        data = self._load()
        for write in writes:
            data["homes"][write.home.key].update(write.payload)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(temporary, self.path)
        self.reads += 1
        return [WriteResult(write, True) for write in writes]

    def doctor(self, spec: PullSpec, homes: Mapping[str, HomeItem], people: Mapping[str, str]) -> list[Check]:
        """The file is readable and holds every configured home."""
        try:
            stored = self._load().get("homes", {})
        except SyncError as exc:
            return [fail(self.name, "file", exc.message, f"create {self.path} or correct trackers.{self.name}.path")]
        checks = [ok(self.name, "file", f"{self.path} readable")]
        for subject, home in homes.items():
            if home.tracker == self.name:
                checks.append(ok(self.name, f"home {home.key}", f"{subject}'s home found") if home.key in stored
                              else fail(self.name, f"home {home.key}", f"no home {home.key} in the file",
                                        f"add {home.key} under homes"))
        return checks

    def setup_plan(self, homes: Mapping[str, HomeItem] | None = None) -> list[SetupStep]:
        """Nothing to set up in a file."""
        return []

    def apply_setup(self, steps: Sequence[SetupStep]) -> list[StepResult]:
        """Nothing to create."""
        if steps:
            raise ConfigurationError("the file tracker has nothing to set up")
        return []

    def close(self) -> None:
        """Nothing to release."""
