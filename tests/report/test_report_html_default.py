"""Issue 19: ``okr-sync report`` (HTML, no ``--out``) writes a file and prints where, instead of 50 KB of
HTML on the terminal; ``--out -`` still streams it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from okr_sync.cli.main import app

CONFIG = """\
state: {url: "sqlite:///state.db"}
cycles: [{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}]
objectives:
  - id: OBJ1
    cycle: 2026-Q4
    title: Permits without queues
    why: Citizens wait less
    owner: ana
    key_results:
      - {id: OBJ1-KR1, title: Permits in 5 days, owner: ana, measure: {type: completion}}
"""


def test_html_without_out_is_a_dated_file_and_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_NOW", "2026-11-25T12:00:00Z")
    (tmp_path / "okr-sync.yaml").write_text(CONFIG, encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--config", "okr-sync.yaml"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "okr-report-2026-11-25.html"
    assert written.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert result.stdout == f"report written to {written.resolve()}\n"
    streamed = CliRunner().invoke(app, ["report", "--config", "okr-sync.yaml", "--out", "-"])
    assert streamed.exit_code == 0 and streamed.stdout.lstrip().lower().startswith("<!doctype html")
