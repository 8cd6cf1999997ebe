"""What the terminal shows at 80 and 160 columns (issue 20): titles whole when wide and cut when narrow,
advice once per rule, doctor in one block per check when narrow, check-in text wrapped with hanging indents."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from okr_sync.cli.demo import DemoRun, run_demo
from okr_sync.cli.doctor import DoctorReport, doctor_table
from okr_sync.cli.views import status_table, wrap_text
from okr_sync.connectors.admin import fail, ok, warn


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("views"))


def shown(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 160])
def test_status_fits_the_terminal_and_gives_each_advice_once(demo: DemoRun, width: int) -> None:
    lines = shown(status_table(demo.domain, demo.computed, width=width), width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    rules = {_top(s) for s in demo.computed.key_results.values() if s.findings}
    advice = [line for line in lines if line.lstrip().startswith("→")]
    assert len(advice) == len(rules) >= 2  # one advice per rule, however many KRs it concerns
    longest = max(demo.domain.key_results.values(), key=lambda k: len(k.title))
    if width >= 160:
        assert longest.title in text.replace("\n", " ")  # whole titles on a wide terminal
    else:
        assert "…" in text and longest.title not in text  # cut, with an ellipsis, on a narrow one
        assert sum(longest.id in line for line in lines) >= 1
    assert "score" not in lines[2]  # the score band is the end-of-cycle grade, not a status column


def _top(status: object) -> str:
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(status.findings, key=lambda f: order.get(str(f.severity), 3))[0].rule  # type: ignore[attr-defined]


def doctor_report() -> DoctorReport:
    return DoctorReport([
        ok("jira", "reachability", "Jira answered in 40 ms"),
        warn("jira", "webhook secret", "no webhook secret is configured, so webhooks are refused",
             "set trackers.jira.webhook_secret to a long random string"),
        fail("gitlab", "label okr-status::at-risk", "the label is missing in group transparency",
             "run okr-sync setup gitlab --apply, or create the label by hand"),
        ok("planner", "credentials", "token issued for the app"),
    ])


def test_doctor_at_80_columns_prints_one_block_per_problem() -> None:
    lines = shown(doctor_table(doctor_report()), 80)
    assert all(len(line) <= 80 for line in lines)
    assert "FAIL gitlab · label okr-status::at-risk" in lines and "WARN jira · webhook secret" in lines
    assert any(line.startswith("  fix: run okr-sync setup gitlab --apply") for line in lines)
    assert lines[-1] == "passed: jira 1 check(s), planner 1 check(s)"
    assert not any("│" in line or "┃" in line for line in lines)  # no 3-character table columns


def test_doctor_at_160_columns_is_a_table() -> None:
    lines = shown(doctor_table(doctor_report()), 160)
    assert any("│" in line for line in lines) and any("Jira answered in 40 ms" in line for line in lines)
    assert len(lines) <= 12


def test_wrap_text_hangs_under_the_bullet_and_never_breaks_words() -> None:
    text = ("- Problems:\n  * Past due: Register settlement payment batch 1, Register settlement payment batch 3 → "
            "Finish, re-plan (new due date or week) or cancel each overdue item.\n")
    lines = wrap_text(text, 60).splitlines()
    assert lines[0] == "- Problems:" and lines[1].startswith("  * Past due:")
    assert all(line.startswith("    ") for line in lines[2:]) and all(len(line) <= 60 for line in lines)
    words = text.split()
    assert " ".join(" ".join(lines).split()) == " ".join(words)


def test_checkin_command_wraps_to_the_terminal(demo: DemoRun, tmp_path: Path) -> None:
    lines = wrap_text(demo.checkin_text, 80).splitlines()
    assert all(len(line) <= 80 for line in lines) and len(lines) <= 15, "\n".join(lines)
