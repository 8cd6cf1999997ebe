"""Running ``okr-sync doctor`` / ``setup`` against a sandbox, as an admin would (CLI, config file, env)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from okr_sync.cli.demo import demo_config_path, demo_environment
from okr_sync.cli.main import app


def demo_config(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The demo configuration with text replacements applied, written under ``tmp_path``."""
    text = demo_config_path().read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the demo configuration no longer contains {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "okr-sync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(args: list[str], sandbox: Any, **env: str) -> tuple[int, str]:
    """Run the CLI with the sandbox's ``SANDBOX_*`` variables (``env`` overrides them)."""
    environ = {**demo_environment(sandbox.info), **env, "COLUMNS": "200"}
    result = CliRunner().invoke(app, args, env=environ, catch_exceptions=False)
    return result.exit_code, result.output


def doctor_json(config: Path, sandbox: Any, *trackers: str, **env: str) -> tuple[int, list[dict[str, str]]]:
    """``okr-sync doctor --json`` → (exit code, checks)."""
    args = ["doctor", "--config", str(config), "--json"]
    for tracker in trackers:
        args += ["--tracker", tracker]
    code, output = invoke(args, sandbox, **env)
    return code, json.loads(output)["checks"]


def failures(checks: list[dict[str, str]]) -> list[dict[str, str]]:
    """The failing checks."""
    return [c for c in checks if c["level"] == "fail"]
