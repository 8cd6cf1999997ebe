"""Issue 19: the Azure SDK's own logging stays quiet — no header dumps or ``get_token succeeded`` at INFO,
and a wrong Planner secret no longer leaks a raw ``ClientSecretCredential.get_token failed`` line to
stderr (Python's last-resort handler printed it even where nothing configured logging, as in ``once``)."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.sandbox.server import Sandbox
from tests.contract.harness_planner import NO_SLEEP, settings_for

ROOT = Path(__file__).resolve().parents[2]
WRONG_SECRET = """
import sys
sys.path.insert(0, {root!r})
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.sandbox.server import Sandbox
from tests.contract.harness_planner import NO_SLEEP, settings_for
sb = Sandbox("demo").start()
try:
    connector = PlannerConnector("planner", settings_for(sb, secret="wrong-secret"), sleep=NO_SLEEP)
    try:
        connector.pull(None, PullSpec())
    except Exception as exc:
        print(type(exc).__name__)
    connector.close()
finally:
    sb.stop()
"""


def test_sdk_loggers_are_quiet_at_info(make_sandbox: Callable[..., Sandbox]) -> None:
    connector = PlannerConnector("planner", settings_for(make_sandbox("demo")), sleep=NO_SLEEP)
    try:
        assert not logging.getLogger("azure.core.pipeline.policies.http_logging_policy").isEnabledFor(logging.INFO)
        assert not logging.getLogger("azure.identity").isEnabledFor(logging.WARNING)
    finally:
        connector.close()


def test_a_wrong_secret_is_one_auth_error_and_no_raw_sdk_line_on_stderr(tmp_path: Any) -> None:
    script = tmp_path / "wrong_secret.py"
    script.write_text(WRONG_SECRET.format(root=str(ROOT)), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.stdout.strip() == "AuthError", done.stderr[-2000:]
    assert "get_token failed" not in done.stderr and "AADSTS" not in done.stderr, done.stderr[-2000:]
