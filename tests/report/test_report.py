"""``okr-sync report`` on the demo: contents checked against the story, and the three formats (issue 10)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from okr_sync.cli.demo import DemoRun, demo_config_path, run_demo
from okr_sync.cli.main import app
from okr_sync.mapping import ProgressPoint, forecast
from okr_sync.reports.html import Report, build_report, render_html, render_markdown, report_json
from okr_sync.reports.statuses import STATUSES
from okr_sync.sandbox.fixtures import demo_story
from okr_sync.store.state import StateStore

W47_START = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``okr-sync demo`` as the README runs it: one sync at the story's today, HTML report written."""
    return run_demo(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(demo: DemoRun) -> Iterator[Report]:
    store = StateStore.open(f"sqlite:///{demo.state_path}")
    try:
        yield build_report(demo.domain, store, demo.computed, demo_story.AS_OF, settings=demo.settings)
    finally:
        store.close()


def story_points_done_before(kr_id: str, moment: datetime) -> float:
    """Share of the KR's story points done before ``moment``, straight from the story."""
    mine = [i for i in demo_story.build_items() if i.kr == kr_id]
    return sum(i.points for i in mine if i.status == "done" and i.updated < moment) / sum(i.points for i in mine)


def test_objectives_krs_owners_departments_and_cross_sector(report: Report) -> None:
    assert [o.id for o in report.objectives] == ["OBJ1", "OBJ2", "OBJ3", "OBJ4"]
    assert [o.status.cross_sector for o in report.objectives] == [True, False, True, False]
    assert report.objectives[2].status.departments == ("Audit Court", "Health Surveillance Agency")
    assert [(e.kr.id, e.kr.owner) for e in report.objectives[0].key_results] == [
        ("OBJ1-KR1", "joao.lima"), ("OBJ1-KR2", "ana.costa"), ("OBJ1-KR3", "rui.alves"), ("OBJ1-KR4", "lucia.ferraz")]
    assert sum(len(o.key_results) for o in report.objectives) == 11


def test_burnup_of_a_kr_follows_the_story_week_by_week(report: Report) -> None:
    kr3 = next(e for o in report.objectives for e in o.key_results if e.kr.id == "OBJ1-KR3")
    weekly = dict(kr3.burnup.weekly)
    assert weekly[W47_START] == pytest.approx(story_points_done_before("OBJ1-KR3", W47_START))
    assert kr3.burnup.weekly[-1] == (demo_story.AS_OF, kr3.status.progress)
    assert kr3.burnup.expected[0][1] == 0.0 and kr3.burnup.expected[-1][1] == pytest.approx(1.0)
    assert [t for t, _ in kr3.burnup.recorded] == [demo_story.AS_OF]  # one sync so far
    # one recorded point: the forecast fits the weekly reconstruction from item dates, and says so
    reconstructed = [ProgressPoint(t, v) for t, v in kr3.burnup.weekly[:-1] if v is not None]
    points = [*reconstructed, ProgressPoint(demo_story.AS_OF, kr3.status.progress)]
    assert kr3.burnup.forecast_reconstructed and kr3.status.forecast_reconstructed
    assert kr3.burnup.forecast == pytest.approx(forecast(points, kr3.burnup.end, min_days=1.0))
    values = [v for _, v in kr3.burnup.weekly]
    assert values == sorted(values)  # completion only grows when nothing is reopened


def test_objective_burnup_is_the_weighted_mean_of_its_krs(report: Report) -> None:
    obj2 = report.objectives[1]
    for index, (moment, value) in enumerate(obj2.burnup.weekly[:-1]):
        krs = [e.burnup.weekly[index][1] for e in obj2.key_results]
        if None in krs:  # a KR without a figure then (a manual metric before its first value): a gap
            assert value is None, moment
            continue
        assert value == pytest.approx(sum(k for k in krs if k is not None) / len(krs)), moment
    assert obj2.burnup.weekly[-1][1] == pytest.approx(obj2.status.progress)


def test_planned_vs_executed_per_owner_and_week(report: Report) -> None:
    assert report.weeks[0] == "2026-W40" and report.weeks[-1] == "2026-W48"
    rui = {w.week: (w.executed, w.planned) for w in report.execution["Rui Alves"]}
    carlos = {w.week: (w.executed, w.planned) for w in report.execution["Carlos Dias"]}
    assert rui["2026-W47"] == (1, 1)  # step 11, done on Nov 18
    assert carlos["2026-W47"] == (1, 2)  # batch 11 done, district 10 still in progress


def test_findings_and_unknown_kr_ids_are_listed(report: Report) -> None:
    rules = {(f.subject, f.rule) for f in report.findings}
    assert ("OBJ1-KR2", "no_plan_next_week") in rules  # the story stops planning OBJ1-KR2 after W48
    assert ("OBJ1-KR3", "deliverable_kr") in rules
    assert demo_story.UNKNOWN_KR in {f.subject for f in report.unknown_krs}


def test_html_is_self_contained_with_one_chart_per_kr_and_objective(demo: DemoRun, report: Report) -> None:
    assert demo.html_path is not None and demo.html_path.exists()
    page = demo.html_path.read_text(encoding="utf-8")
    assert page == render_html(report)  # the demo's own report: the same content, names and links
    assert page.count('<figure class="chart burnup"') == 11 + 4
    for subject in [*demo.domain.key_results, *demo.domain.objectives]:
        assert f'data-subject="{subject}"' in page
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|url\(", page)
    for entry in report.key_results:  # every KR's home and every linked item is a link
        assert entry.home_url and f'href="{entry.home_url}"' in page, entry.kr.id
        assert all(f'href="{item.url}"' in page for item in entry.items if item.url), entry.kr.id
    assert "https://tasks.office.com/" in page  # Planner homes too
    assert '<meta name="viewport"' in page and "@media print" in page and "@media (max-width:640px)" in page
    assert "cross-sector" in page and "Planned vs executed" in page and "Companion findings" in page
    assert "@page{size:A4" in page and 'id="summary"' in page and 'id="agencies"' in page
    assert page.count('role="progressbar" aria-label=') == page.count('role="progressbar"')


def test_kr_table_is_pre_sorted_by_urgency_with_other_orders_by_anchor(report: Report) -> None:
    page = render_html(report)
    default = page.split('id="by-status"')[1].split('id="by-owner"')[0]
    shown = re.findall(r'<span class="st st-(\w+)">', default)
    urgency = [STATUSES[value].urgency for value in shown]
    assert urgency == sorted(urgency) and len(shown) == 11
    for anchor in ("by-owner", "by-agency", "by-objective"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page


def test_metric_krs_show_their_own_units_and_gaps_stay_gaps(report: Report) -> None:
    page = render_html(report)
    kr2 = next(e for e in report.key_results if e.kr.id == "OBJ3-KR2")  # turnaround 120 → 60 days
    assert "baseline 120 → now" in page and "→ target 60 days" in page
    assert kr2.burnup.weekly  # drawn in days: its axis says 120 at 0 % and 60 at 100 %
    manual = [e for e in report.key_results if e.status.current is None and e.status.unit]
    for entry in manual:  # a manual metric before its first value: no figure, never a zero
        assert all(value is None for _, value in entry.burnup.weekly[:-1]), entry.kr.id


def test_markdown_and_json(report: Report) -> None:
    md = render_markdown(report)
    assert md.startswith("# OKR report — 2026-11-25 10:00 UTC")
    assert "## OBJ1 Recover tax debt faster without new lawsuits · cross-sector" in md
    assert "| Rui Alves | " in md and "OBJ1-KR3 Publish the debt-settlement portal](http" in md
    data = json.loads(json.dumps(report_json(report)))
    assert [o["id"] for o in data["objectives"]] == ["OBJ1", "OBJ2", "OBJ3", "OBJ4"]
    kr3 = data["objectives"][0]["key_results"][2]
    assert kr3["id"] == "OBJ1-KR3" and kr3["kind"] == "deliverable"
    assert kr3["burnup"]["expected"][0] == ["2026-10-01T00:00:00+00:00", 0.0]
    assert data["planned_vs_executed"]["weeks"][-1] == "2026-W48"


def fake_environment(tmp: Path) -> dict[str, str]:
    """``${SANDBOX_*}`` values for a report run: it opens no tracker, so nothing needs to answer."""
    cert = tmp / "ca.pem"
    cert.write_text("unused\n", encoding="utf-8")
    return {"SANDBOX_JIRA_URL": "http://127.0.0.1:9/jira", "SANDBOX_JIRA_TOKEN": "x",
            "SANDBOX_JIRA_EMAIL": "x@example.gov",
            "SANDBOX_GITLAB_URL": "http://127.0.0.1:9/gitlab", "SANDBOX_GITLAB_TOKEN": "x",
            "SANDBOX_GRAPH_URL": "https://127.0.0.1:9/graph/v1.0", "SANDBOX_AUTHORITY": "https://127.0.0.1:9/login",
            "SANDBOX_CA_CERT": str(cert), "SANDBOX_PLANNER_SECRET": "x", "SANDBOX_PLAN_ID": "plan",
            "SANDBOX_AZURE_DEVOPS_URL": "http://127.0.0.1:9/ado/okr", "SANDBOX_AZURE_DEVOPS_PAT": "x"}


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_cli_report_writes_each_format(demo: DemoRun, tmp_path: Path, fmt: str) -> None:
    config = tmp_path / "okr-sync.yaml"
    config.write_text(demo_config_path().read_text(encoding="utf-8").replace(
        "sqlite:///okr-sync-demo.db", f"sqlite:///{demo.state_path}"), encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(app, ["report", "--format", fmt, "--out", str(out), "--config", str(config)],
                                env=fake_environment(tmp_path))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    checks: dict[str, Any] = {
        "html": lambda: text.count('<figure class="chart burnup"') == 15,  # 11 KRs + 4 objectives
        "md": lambda: text.count("\n## OBJ") == 4,
        "json": lambda: len(json.loads(text)["objectives"]) == 4,
    }
    assert checks[fmt]()


def test_cli_report_rejects_unknown_format() -> None:
    result = CliRunner().invoke(app, ["report", "--format", "pdf"])
    assert result.exit_code == 2 and "is not one of html, md, json" in result.stderr


def test_the_owners_confidence_and_note_show_on_the_kr_card(demo: DemoRun) -> None:
    store = StateStore.open(f"sqlite:///{demo.state_path}")
    try:
        report = build_report(demo.domain, store, demo.computed, demo_story.AS_OF, settings=demo.settings,
                              voices={"OBJ1-KR3": (6, "waiting for the court's data")})
    finally:
        store.close()
    card = render_html(report).split('id="kr-OBJ1-KR3"')[1].split("</article>")[0]
    assert "<dt>owner's confidence</dt><dd>6/10</dd>" in card
    assert "waiting for the court&#x27;s data" in card
    kr3 = next(k for k in report_json(report)["objectives"][0]["key_results"] if k["id"] == "OBJ1-KR3")
    assert (kr3["confidence"], kr3["note"]) == (6, "waiting for the court's data")
    assert "grade" not in card  # the score band is the end-of-cycle grade; the cycle is running
