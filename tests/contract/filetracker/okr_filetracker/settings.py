"""``trackers.<name>`` with ``kind: filetracker``, and a home (``item``). Imports pydantic and okr-sync's
configuration types only, so ``okr-sync validate`` reads it cheaply."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from okr_sync.config.plugins import HomeKeys
from okr_sync.config.trackers import TrackerSettings


class FileTrackerSettings(TrackerSettings):
    """A JSON file holding work items and KR home items."""

    kind: Literal["filetracker"]
    path: str = Field(description="The JSON file: {items: [...], homes: {key: {...}}}.")
    token: SecretStr | None = Field(None, description="A secret, to show it is redacted like any other.")


class FileHome(HomeKeys):
    """A home in the file: the key under ``homes``."""

    item: str = Field(description="Key of the home item in the file.")

    def item_key(self) -> str:
        """The key itself."""
        return self.item
