"""``okr-sync --version`` (package metadata) and the one-line answer of ``sandbox``/``demo`` without the sandbox.

Issues 17 and 23. "Without the sandbox" is simulated the way Python sees a missing module: its entry in
``sys.modules`` set to ``None`` makes both ``import`` and ``importlib.util.find_spec`` fail, as they do in
the production image (no ``okr_sync.sandbox``) or after ``pip install okr-sync`` without the extra (no
``trustme``, no tracker libraries).
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okr_sync.cli.main import app

INSTALL = "pip install 'okr-sync[sandbox]'"


def test_version_comes_from_the_package_metadata() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"okr-sync {metadata.version('okr-sync')}\n"
    assert metadata.version("okr-sync")[0].isdigit()


def test_version_of_the_installed_command() -> None:
    script = Path(sys.executable).parent / "okr-sync"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"okr-sync {metadata.version('okr-sync')}\n"


@pytest.mark.parametrize("blocked", ["trustme", "okr_sync.sandbox", "okr_sync.sandbox.server"])
@pytest.mark.parametrize(("command", "argv"), [("sandbox", ["sandbox", "--port", "0"]), ("demo", ["demo"])])
def test_without_the_sandbox_one_line_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, blocked: str, command: str, argv: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"okr-sync {command} needs the sandbox")
    assert blocked in lines[0] and INSTALL in lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not list(tmp_path.iterdir())  # nothing started, nothing written


@pytest.mark.parametrize("blocked", ["jira", "gitlab", "msgraph"])
def test_demo_without_a_tracker_library_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, blocked: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo-out")])
    assert result.exit_code == 2
    assert not (tmp_path / "demo-out").exists()
    assert result.output.count("\n") == 1 and INSTALL in result.output and blocked in result.output


def test_the_sandbox_extra_provides_what_the_commands_check() -> None:
    """The modules checked come with ``okr-sync[sandbox]``: its requirements name trustme and the tracker extras."""
    extra = [r for r in metadata.requires("okr-sync") or [] if 'extra == "sandbox"' in r]
    names = " ".join(extra)
    assert "trustme" in names, extra
    assert all(kind in names for kind in ("jira", "gitlab", "planner")), extra
