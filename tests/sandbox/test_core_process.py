"""``python -m okr_sync.sandbox`` as a process: banner, info file once ready, clean stop on SIGTERM / SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    info_path = tmp_path / "sandbox-info.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--info", str(info_path), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 15
    while not info_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"sandbox did not write its info file; exit {process.returncode}\n{out}\n{err}")
        time.sleep(0.05)
    return process, json.loads(info_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_module_entry_serves_writes_info_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    process, info = start(tmp_path, "--fixture", "empty", "--jira-deployment", "server")
    try:
        assert info["fixture"] == "empty"
        assert info["jira"]["deployment"] == "Server"  # type: ignore[index]
        with urllib.request.urlopen(f"{info['control']}/requests", timeout=5) as response:
            assert json.loads(response.read())["total"] == 0
        with urllib.request.urlopen(f"{info['jira']['url']}/rest/api/2/serverInfo", timeout=5) as response:  # type: ignore[index]
            assert json.loads(response.read())["deploymentType"] == "Server"
        ca_cert = Path(info["planner"]["ca_cert"])  # type: ignore[index]
        assert ca_cert.is_file()
    finally:
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert info["jira"]["url"] in out and info["planner"]["ca_cert"] in out  # type: ignore[index]
    assert "sandbox-planner-secret" in out and "sandbox-jira-token" in out
    assert not (tmp_path / "sandbox-info.json").exists()
    assert not ca_cert.exists()


def test_module_entry_reports_a_bad_fixture_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0", "--fixture", "nope.yaml"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "fixture 'nope.yaml' is neither 'empty', 'demo' nor an existing JSON/YAML file" in result.stderr


def test_importing_the_server_has_no_side_effects() -> None:
    code = ("import threading, sandbox.server, sandbox.__main__; "
            "import sys; assert threading.active_count() == 1; "
            "assert 'okr_sync.sandbox.jira' not in sys.modules and 'trustme' not in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.stdout.strip() == "ok", result.stderr
