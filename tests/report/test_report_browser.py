"""The HTML report in headless Chromium (issue 10, acceptance 2; issue 20, acceptance 1 and 2): loads cleanly,
one chart per KR and objective, no serious or critical axe-core violation, and the screenshots of
``docs/screenshots/`` regenerate (into a temporary folder; ``python -m tests.report.screenshots`` updates them)
without a console error.

Chromium comes from Debian's ``chromium`` package (``make test`` installs it when missing and it can: root or
password-less sudo, and apt-get; otherwise ``make`` goes on and this test says how to install it); Playwright drives
it through ``executable_path``. In CI (``CI=true``) a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okr_sync.cli.demo import DemoRun, run_demo
from tests.checkin.demo_support import DemoSync, synced_demo
from tests.report.screenshots import ARGS, CHROMIUM, shoot


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: install Debian's chromium package as root "
               "(`apt-get update && apt-get install -y --no-install-recommends chromium`, or with sudo); "
               "`make test` does it when it runs as root or with password-less sudo")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSync]:
    with synced_demo(tmp_path_factory.mktemp("shots"), checkin_week="2026-W47") as run:
        yield run


@pytest.mark.browser
@pytest.mark.parametrize(("device", "width"), [("desktop", 1280), ("phone", 390)])
def test_report_opens_in_chromium_without_errors(demo: DemoRun, device: str, width: int) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    assert demo.html_path is not None
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(demo.html_path.as_uri(), wait_until="load")
            charts = page.locator("figure.burnup svg")
            subjects: list[Any] = page.eval_on_selector_all("figure.burnup", "els => els.map(e => e.dataset.subject)")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            first_box = charts.first.bounding_box()
            smallest = page.evaluate(SMALLEST_TEXT)
            page.goto(demo.html_path.as_uri() + "#by-owner", wait_until="load")
            orders = page.evaluate("[...document.querySelectorAll('.ordering')].map(e => e.offsetHeight > 0)")
        finally:
            browser.close()
    assert problems == []
    assert set(requests) == {demo.html_path.as_uri()}  # self-contained: nothing else fetched
    assert sorted(subjects) == sorted([*demo.domain.key_results, *demo.domain.objectives])
    assert overflow <= 0, "the page scrolls sideways"
    assert first_box is not None and 200 <= first_box["width"] <= width
    assert smallest >= 12, f"text rendered at {smallest:.1f} px"
    assert orders == [False, True, False, False]  # the anchor shows the table sorted by owner, and only it


SMALLEST_TEXT = """(() => { let least = 99;
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const r = el.getBoundingClientRect(); if (!r.width) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) { size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; }
    least = Math.min(least, size); }
  return least; })()"""


@pytest.mark.browser
def test_axe_core_finds_no_serious_or_critical_violation(demo: DemoRun) -> None:
    require_chromium()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    assert demo.html_path is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            found = {}
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(demo.html_path.as_uri(), wait_until="load")
                found[width] = Axe().run(page).response
        finally:
            browser.close()
    for width, result in found.items():
        assert result["passes"], "axe-core did not run"
        bad = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        assert bad == [], (width, bad)


@pytest.mark.browser
def test_screenshots_regenerate_without_console_errors(synced: DemoSync, tmp_path: Path) -> None:
    require_chromium()
    problems = shoot(tmp_path, synced, synced.control.state())
    assert problems == []
    for name in ("report-1280", "report-390", "report-print", "jira-home", "gitlab-home", "planner-task"):
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000, name
    from pypdf import PdfReader

    pages = [page.extract_text() or "" for page in PdfReader(tmp_path / "report-print.pdf").pages]
    assert 1 <= len(pages) <= 12, len(pages)
    assert pages[0].startswith("OKR report")  # page 1 is not wasted
    assert all(len(text.strip()) > 300 for text in pages), [len(t) for t in pages]  # no empty page on A4
