"""``okr-sync checkin`` end to end: usage errors, printing from the store, posting twice (issue 10)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from okr_sync.cli.demo import demo_config_path, demo_environment
from okr_sync.cli.main import app
from okr_sync.mapping import checkin_marker
from okr_sync.sandbox.fixtures import demo_story
from okr_sync.sandbox.server import Sandbox
from tests.checkin.demo_support import checkin_counts
from tests.conftest import SandboxControl


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, ["checkin", *args], env=env)


@pytest.mark.parametrize(("args", "message"), [
    (["--week", "2026-48"], "is not an ISO week; write it as YYYY-Www"),
    (["--week", "2025-W53"], "ISO year 2025 has weeks 01..52"),
    (["--week", "2026-W48", "--format", "pdf"], "is not one of text, md, json"),
], ids=["shape", "no-week-53-in-2025", "format"])
def test_usage_errors_exit_2_with_a_reason(args: list[str], message: str) -> None:
    result = invoke(args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.fixture(scope="module")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str, dict[str, str]]]:
    """A demo sandbox and a configuration file pointing at it with a state store of its own."""
    tmp = tmp_path_factory.mktemp("cli")
    text = demo_config_path().read_text(encoding="utf-8")
    config = tmp / "okr-sync.yaml"
    config.write_text(text.replace("sqlite:///okr-sync-demo.db", f"sqlite:///{tmp / 'state.db'}"), encoding="utf-8")
    with Sandbox("demo") as sb:
        yield sb, str(config), {**demo_environment(sb.info), "OKRSYNC_NOW": demo_story.AS_OF.isoformat()}


def test_post_twice_then_print_without_touching_the_trackers(demo_cli: tuple[Sandbox, str, dict[str, str]]) -> None:
    sb, config, env = demo_cli
    control = SandboxControl(sb.control_url)
    args = ["--week", "2026-W47", "--kr", "OBJ1-KR3", "--kr", "OBJ2-KR2", "--config", config]
    first = invoke([*args, "--post", "--format", "json"], env)
    posted = json.loads(first.stdout)
    # the demo story links one item to a KR it does not define: a problem of the cycle (exit 1), nothing else
    assert [p for p in posted["posted"]["problems"] if demo_story.UNKNOWN_KR not in p] == [], first.output
    assert first.exit_code in (0, 1), first.output
    assert [o["owner"] for o in posted["owners"]] == ["rui.alves", "carlos.dias"]
    assert sum("check-in 2026-W47" in w for w in posted["posted"]["planned_writes"]) == 2

    second = invoke([*args, "--post"], env)
    assert second.exit_code in (0, 1) and "problem: jira" in second.stderr, second.output  # the unknown KR
    assert "0 check-in write(s)" in second.stdout

    state = control.state()
    assert checkin_counts(state, checkin_marker("OBJ1-KR3", "2026-W47")) == {"jira": 0, "gitlab": 1, "planner": 0}
    assert checkin_counts(state, checkin_marker("OBJ2-KR2", "2026-W47")) == {"jira": 0, "gitlab": 0, "planner": 1}
    assert checkin_counts(state, checkin_marker("OBJ1-KR1", "2026-W47"))["jira"] == 0  # not selected

    control.reset_requests()
    printed = invoke(["--week", "2026-W47", "--owner", "rui.alves", "--config", config], env)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.startswith("rui.alves — 2026-W47 (1 KR)\n")
    assert "Weekly check-in 2026-W47 — OBJ1-KR3 Publish the debt-settlement portal" in printed.stdout
    assert "- Done this week: Settlement simulator: step 11\n" in printed.stdout
    assert "- Plans for 2026-W48:\n  * Rui Alves: [OBJ1-KR3] Settlement simulator: step 12\n" in printed.stdout
    assert "- Planned vs executed: W45 1/1 done · W46 1/1 done · W47 1/1 done · W48 running" in printed.stdout
    assert control.requests()["total"] == 0  # composed from the state store only

    nobody = invoke(["--week", "2026-W47", "--owner", "nobody", "--config", config], env)
    assert nobody.exit_code == 2 and "'nobody' owns none of the selected KRs" in nobody.stderr
    unknown = invoke(["--week", "2026-W47", "--kr", "OBJ7-KR9", "--config", config], env)
    assert unknown.exit_code == 2 and "unknown KR OBJ7-KR9" in unknown.stderr


def test_missing_configuration_exits_2(tmp_path: Path) -> None:
    result = invoke(["--week", "2026-W47", "--config", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
