"""Issue 19: the daemon says at start which configuration file, which state store (password masked) and
which trackers it uses — an image or environment override of the file can no longer go unnoticed."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from okr_sync.config.load import load_config
from okr_sync.daemon.logs import JsonFormatter, log_what_runs, store_address

CONFIG = """\
state: {url: "postgresql+psycopg://okr_sync:s3cr3t-pw@db.example:5432/okr_sync"}
trackers:
  work: {kind: gitlab, url: "https://gitlab.example.gov", auth: {token: glpat-abcdefgh12345678},
         scope: {projects: [okr/work]}, link: [{label: "kr::{kr}"}]}
"""


def test_the_start_line_names_file_store_and_trackers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "okr-sync.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = load_config(path)
    with caplog.at_level(logging.INFO, logger="okr_sync.daemon"):
        log_what_runs(SimpleNamespace(loaded=loaded, settings=loaded.settings))
    [record] = [r for r in caplog.records if r.getMessage() == "okr-sync starting"]
    line = json.loads(JsonFormatter(["s3cr3t-pw"]).format(record))
    assert line["config"] == str(path)
    assert record.store == "postgresql+psycopg://okr_sync:***@db.example:5432/okr_sync"  # type: ignore[attr-defined]
    assert line["store"].endswith("@db.example:5432/okr_sync") and "s3cr3t" not in line["store"]
    assert line["trackers"] == {"work": "gitlab"}
    assert "s3cr3t-pw" not in json.dumps(vars(record), default=str)


def test_store_address_masks_only_the_password() -> None:
    assert store_address("sqlite:///okr-sync.db") == "sqlite:///okr-sync.db"
    assert store_address("nonsense") == "(not a database URL)"
