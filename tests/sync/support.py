"""Building an engine over a demo (or other) sandbox, as the product does, for sync tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from okr_sync.cli.demo import demo_config_path, demo_environment
from okr_sync.config.load import load_config
from okr_sync.config.models import Settings
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore


def demo_settings(sandbox: Any, state_url: str) -> Settings:
    """The demo configuration pointed at ``sandbox`` and at a state store of the test's own."""
    loaded = load_config(demo_config_path(), environ={**os.environ, **demo_environment(sandbox.info)})
    state = loaded.settings.state.model_copy(update={"url": state_url})
    return loaded.settings.model_copy(update={"state": state})


def sqlite_url(tmp_path: Path, name: str = "state.db") -> str:
    """A fresh SQLite state store under the test's directory."""
    return f"sqlite:///{tmp_path / name}"


def engine_for(settings: Settings, store: StateStore, *, clock: Callable[[], datetime] = lambda: AS_OF) -> Engine:
    """A new engine with new connectors (as a new ``okr-sync once`` process would have)."""
    return Engine(settings, store, open_connectors(settings), clock=clock, secrets=secrets_of(settings))
