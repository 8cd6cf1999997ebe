"""okr-filetracker running okr-sync's published contract suite, as any third-party connector would.

Run with the distribution installed (``tests/contract/test_fourth_connector.py`` does, in a subprocess):
``pytest contract_suite.py``. Not named ``test_*``: the main suite runs it only through that test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from okr_sync.connectors.base import DesiredHome, PullSpec
from okr_sync.mapping import HomeItem, KrStatus, KrStatusValue, Provenance, ScoreBand
from okr_sync.testing import ConnectorContract

TOKEN = "file-token-7d02"


class FileHarness:
    """The JSON file is the tracker; its "API" is editing the file."""

    kind = "filetracker"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "tracker.json"
        self._save({"rev": 0, "token": TOKEN, "items": [], "homes": {}})

    def _load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def _save(self, data: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def connector(self, *, token: str | None = None) -> Any:
        from okr_filetracker.connector import FileConnector
        from okr_filetracker.settings import FileTrackerSettings

        settings = FileTrackerSettings(kind="filetracker", path=str(self.path), token=token or TOKEN,
                                       link=[{"label": "kr:{kr}"}])  # type: ignore[list-item]
        return FileConnector("files", settings)

    def secrets(self) -> list[str]:
        return [TOKEN]

    def create_home(self, kr_id: str) -> HomeItem:
        data = self._load()
        key = f"H-{len(data['homes']) + 1}"
        data["homes"][key] = {"title": f"KR {kr_id}", "status": None, "progress": None}
        self._save(data)
        return HomeItem("files", key)

    def create_item(self, kr_id: str, *, done: bool = False) -> str:
        data = self._load()
        data["rev"] += 1
        key = f"F-{len(data['items']) + 1}"
        data["items"].append({"key": key, "title": f"Work for {kr_id}", "labels": [f"kr:{kr_id}"], "done": done,
                              "rev": data["rev"]})
        self._save(data)
        return key

    def touch(self, key: str) -> None:
        data = self._load()
        data["rev"] += 1
        item = next(i for i in data["items"] if i["key"] == key)
        item.update(title=item["title"] + " (edited)", rev=data["rev"])
        self._save(data)

    def spec(self, homes: dict[str, HomeItem]) -> PullSpec:
        return PullSpec(kr_homes=homes, kr_ids=frozenset(homes))

    def webhook(self, keys: list[str]) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError("the file tracker takes no webhooks")

    def desired(self, home: HomeItem, kr_id: str, progress: float) -> DesiredHome:
        status = KrStatus(kr_id=kr_id, progress=progress, current=None, band=ScoreBand.YELLOW,
                          status=KrStatusValue.ON_TRACK, expected=0.4, gap=0.4 - progress, forecast=None,
                          provenance=Provenance(rule="completion (count)", item_keys=()))
        return DesiredHome(home=home, subject_id=kr_id, title=f"KR {kr_id}", status=status)


class TestFileTracker(ConnectorContract):
    """Every contract test on the file tracker."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> FileHarness:
        return FileHarness(tmp_path)
