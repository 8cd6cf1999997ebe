"""Reliability-suite fixtures: the session's :class:`~tests.reliability.figures.Figures` and the hook
that writes ``docs/reliability.md`` from them when the session ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.figures import Figures, write_report

FIGURES = Figures()
_STARTED = time.monotonic()
_OUTCOMES = {"passed": 0, "failed": 0}


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    """Counters that end up in ``docs/reliability.md``."""
    yield FIGURES


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count this suite's outcomes for the report's run line."""
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        key = "passed" if report.outcome == "passed" else "failed" if report.outcome == "failed" else None
        if key:
            _OUTCOMES[key] += 1


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this session ran all of ``tests/reliability`` (for its markers), not a hand-picked part:
    only then are its counts the suite's figures. Other sessions may run single files meanwhile."""
    if config.getoption("keyword", "") or config.getoption("lf", False) or config.getoption("deselect", None):
        return False
    here = Path(__file__).resolve().parent
    args = [a.split("::")[0] for a in config.args] or ["."]
    return all(here == Path(a).resolve() or Path(a).resolve() in here.parents for a in args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Render the report when the whole reliability suite ran and recorded figures."""
    if not FIGURES.sections or not _whole_suite(session.config):
        return
    markexpr = str(session.config.getoption("markexpr", "") or "")
    soak = "soak" in markexpr and "not soak" not in markexpr
    write_report(FIGURES, seconds=time.monotonic() - _STARTED, soak=soak, **_OUTCOMES)
