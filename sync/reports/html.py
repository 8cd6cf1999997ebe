"""``okr-sync report``: what managers read — objectives → KRs, burn-up charts, planned vs executed, findings.

:func:`build_report` gathers everything from the domain, the state store and one :class:`Computed`;
:func:`render_html` makes one self-contained HTML page (inline SVG and CSS, no script, no network; readable
on a phone and printable), :func:`render_markdown` and :func:`report_json` the other formats.

Burn-up charts show three things per KR and objective: the expected pace (linear, or the KR's milestones),
the actual progress, and the forecast at cycle end. Actual progress is the recorded history (one point per
sync that changed it) plus a weekly line *reconstructed* from today's items — work done after a week's end
counted as not done then, the owner's manual value as it stood then — so a new installation shows its
past weeks too. The reconstruction cannot know items created later or values edited since; the chart's
legend says which line is which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from okr_sync.cli.views import STATUS_WORDS, pct
from okr_sync.engine.acks import acknowledged_fingerprints, suppressed_count, without_acknowledged
from okr_sync.mapping import (
    Cycle,
    Finding,
    KeyResult,
    KrStatus,
    ObjectiveStatus,
    StatusCategory,
    WeekExecution,
    WorkItem,
    cycle_end_utc,
    cycle_start_utc,
    elapsed_share,
    expected_progress,
    iso_week,
    kr_progress,
    week_end_utc,
    weeks_execution,
)

Point = tuple[datetime, float]


@dataclass(frozen=True)
class Burnup:
    """One chart: expected pace, reconstructed weekly progress, recorded history and the forecast."""

    subject: str
    start: datetime
    end: datetime
    now: datetime
    expected: tuple[Point, ...]
    weekly: tuple[Point, ...]
    recorded: tuple[Point, ...]
    current: float
    forecast: float | None


@dataclass(frozen=True)
class KrEntry:
    """A KR as the report shows it."""

    kr: KeyResult
    status: KrStatus
    burnup: Burnup


@dataclass(frozen=True)
class ObjectiveEntry:
    """An objective with its KRs."""

    id: str
    title: str
    why: str
    owner: str | None
    status: ObjectiveStatus
    key_results: tuple[KrEntry, ...]
    burnup: Burnup


@dataclass(frozen=True)
class Report:
    """Everything one report shows."""

    at: datetime
    objectives: tuple[ObjectiveEntry, ...]
    weeks: tuple[str, ...]
    execution: dict[str, tuple[WeekExecution, ...]]
    """KR owner → planned vs executed per week of ``weeks`` (their KRs' items, each item once)."""
    findings: tuple[Finding, ...]
    acknowledged_hidden: int = 0
    unknown_krs: tuple[Finding, ...] = field(default_factory=tuple)


# -- building ---------------------------------------------------------------------------------------------


def _items_of(domain: Any, store: Any) -> dict[str, list[WorkItem]]:
    by_kr = store.items_by_kr(list(domain.key_results))
    return {kr_id: [i for i in by_kr.get(kr_id, []) if domain.source_tracker.get(kr_id, i.tracker) == i.tracker]
            for kr_id in domain.key_results}


def _as_of(item: WorkItem, moment: datetime) -> WorkItem:
    """The item as it stood at ``moment`` as far as today's copy tells: done later means not done then."""
    finished = item.completed or item.updated
    if item.status is StatusCategory.DONE and (finished is None or finished > moment):
        return replace(item, status=StatusCategory.IN_PROGRESS, numbers={}, completed=None)
    return item


def _samples(cycle: Cycle, now: datetime) -> list[datetime]:
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    moments, week = [start], iso_week(cycle.start)
    while (moment := week_end_utc(week)) < min(now, end):
        moments.append(moment)
        week = iso_week(moment.date())
    if start < now:
        moments.append(min(now, end))
    return moments


def _kr_burnup(kr: KeyResult, cycle: Cycle, status: KrStatus, items: Sequence[WorkItem], manual: Sequence[Any],
               recorded: Sequence[Any], now: datetime) -> Burnup:
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    weekly: list[Point] = []
    for moment in _samples(cycle, now):
        value = [m for m in manual if m.at <= moment]
        progress = kr_progress(kr, [_as_of(i, moment) for i in items], value[-1] if value else None).progress
        weekly.append((moment, progress))
    if weekly:
        weekly[-1] = (weekly[-1][0], status.progress)  # today's point is the status itself
    expected = [(m, expected_progress(cycle, m, kr.milestones)) for m in _samples(cycle, end)]
    return Burnup(kr.id, start, end, now, tuple(expected), tuple(weekly),
                  tuple((p.at, p.progress) for p in recorded if start <= p.at <= end), status.progress,
                  status.forecast)


def _objective_burnup(oid: str, cycle: Cycle, status: ObjectiveStatus, krs: Sequence[KrEntry],
                      recorded: Sequence[Any], now: datetime) -> Burnup:
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    weights = [max(k.kr.weight, 0.0) for k in krs]
    total = sum(weights) or float(len(krs)) or 1.0
    if not sum(weights):
        weights = [1.0] * len(krs)
    weekly: list[Point] = []
    if krs:
        for index, (moment, _) in enumerate(krs[0].burnup.weekly):
            value = sum(w * k.burnup.weekly[index][1] for w, k in zip(weights, krs, strict=True)
                        if index < len(k.burnup.weekly))
            weekly.append((moment, value / total))
        if weekly:
            weekly[-1] = (weekly[-1][0], status.progress)
    forecasts = [k.status.forecast for k in krs]
    forecast = (sum(w * f for w, f in zip(weights, forecasts, strict=True) if f is not None) / total
                if krs and all(f is not None for f in forecasts) else None)
    expected = [(m, elapsed_share(cycle, m)) for m in _samples(cycle, end)]
    return Burnup(oid, start, end, now, tuple(expected), tuple(weekly),
                  tuple((p.at, p.progress) for p in recorded if start <= p.at <= end), status.progress, forecast)


def _owner_execution(domain: Any, items: dict[str, list[WorkItem]],
                     weeks: Sequence[str]) -> dict[str, tuple[WeekExecution, ...]]:
    owners: dict[str, dict[tuple[str, str], WorkItem]] = {}
    for kr in domain.key_results.values():
        mine = owners.setdefault(kr.owner or "(no owner)", {})
        mine.update({(i.tracker, i.key): i for i in items.get(kr.id, [])})
    return {owner: weeks_execution(list(found.values()), weeks) for owner, found in sorted(owners.items())}


def build_report(domain: Any, store: Any, computed: Any, now: datetime) -> Report:
    """The report's content from the configuration's domain, the state store and computed statuses."""
    acked = acknowledged_fingerprints(store, [*domain.key_results, *domain.objectives])
    hidden = suppressed_count(computed, acked)
    computed = without_acknowledged(computed, acked)
    items = _items_of(domain, store)
    entries: dict[str, KrEntry] = {}
    for kr in domain.key_results.values():
        status = computed.key_results[kr.id]
        burnup = _kr_burnup(kr, domain.cycle_of(kr.id), status, items[kr.id], store.manual_history(kr.id),
                            store.progress_history(kr.id), now)
        entries[kr.id] = KrEntry(kr, status, burnup)
    objectives = []
    for objective in domain.objectives.values():
        status = computed.objectives[objective.id]
        own = tuple(entries[k] for k in status.kr_ids if k in entries)
        burnup = _objective_burnup(objective.id, domain.cycles[objective.cycle], status, own,
                                   store.progress_history(objective.id), now)
        objectives.append(ObjectiveEntry(objective.id, objective.title, objective.why, objective.owner, status,
                                         own, burnup))
    cycles = list(domain.cycles.values())
    weeks: list[str] = []
    if cycles:
        day = min(c.start for c in cycles)
        day -= timedelta(days=day.weekday())
        last = min(max(c.end for c in cycles), now.date())
        while day <= last:
            weeks.append(iso_week(day))
            day += timedelta(days=7)
    findings = tuple(f for o in objectives for f in (*o.status.findings,
                                                      *(g for k in o.key_results for g in k.status.findings)))
    return Report(now, tuple(objectives), tuple(weeks), _owner_execution(domain, items, weeks),
                  tuple(dict.fromkeys(findings)), hidden, tuple(computed.unknown_krs))


def write_html_report(path: Path, engine: Any, computed: Any, now: datetime) -> None:
    """Write the HTML report of ``computed`` (from ``engine``'s domain and store) to ``path``."""
    report = build_report(engine.domain, engine.store, computed, now)
    path.write_text(render_html(report), encoding="utf-8")


# -- Markdown and JSON --------------------------------------------------------------------------------------


def _bar(progress: float, width: int = 10) -> str:
    filled = max(0, min(width, round(progress * width)))
    return "█" * filled + "░" * (width - filled)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown (charts become bars and numbers)."""
    out = [f"# OKR report — {report.at:%Y-%m-%d %H:%M} UTC", ""]
    for obj in report.objectives:
        s = obj.status
        cross = " · cross-sector" if s.cross_sector else ""
        out += [f"## {obj.id} {_md(obj.title)}{cross}", "", f"_Why:_ {_md(obj.why)}", "",
                f"Owner {obj.owner or '–'} · departments {', '.join(s.departments) or '–'} · "
                f"progress `{_bar(s.progress)}` {pct(s.progress)} · score {s.band.value} · "
                f"{STATUS_WORDS[s.status.value]} (expected {pct(s.expected)}) · forecast {pct(obj.burnup.forecast)}",
                "", "| KR | owner | department | progress | score | status | forecast |",
                "|---|---|---|---|---|---|---|"]
        for entry in obj.key_results:
            k, st = entry.kr, entry.status
            out.append(f"| {k.id} {_md(k.title)} | {k.owner or '–'} | {_md(k.department or '–')} | "
                       f"`{_bar(st.progress)}` {pct(st.progress)} | {st.band.value} | "
                       f"{STATUS_WORDS[st.status.value]} | {pct(st.forecast)} |")
        out.append("")
    out += ["## Planned vs executed (done / planned per week)", "",
            "| owner | " + " | ".join(w[5:] for w in report.weeks) + " |",
            "|---|" + "---|" * len(report.weeks)]
    for owner, weeks in report.execution.items():
        out.append(f"| {owner} | " + " | ".join(f"{w.executed}/{w.planned}" for w in weeks) + " |")
    out += ["", "## Companion findings", ""]
    out += [f"- **{f.subject}** [{f.severity.value}] {_md(f.reason)} — {_md(f.action)}"
            for f in (*report.findings, *report.unknown_krs)] or ["- none"]
    if report.acknowledged_hidden:
        out.append(f"- ({report.acknowledged_hidden} acknowledged finding(s) hidden until their facts change)")
    return "\n".join(out) + "\n"


def _series(points: Sequence[Point]) -> list[list[Any]]:
    return [[t.isoformat(), round(v, 4)] for t, v in points]


def _burnup_json(b: Burnup) -> dict[str, Any]:
    return {"expected": _series(b.expected), "weekly_reconstructed": _series(b.weekly),
            "recorded": _series(b.recorded), "forecast_at_end": None if b.forecast is None else round(b.forecast, 4)}


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"subject": f.subject, "rule": f.rule, "severity": f.severity.value, "reason": f.reason,
            "action": f.action, "fingerprint": f.fingerprint}


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON (fractions, ISO times)."""
    return {
        "at": report.at.isoformat(),
        "objectives": [{
            "id": o.id, "title": o.title, "why": o.why, "owner": o.owner, "departments": list(o.status.departments),
            "cross_sector": o.status.cross_sector, "progress": round(o.status.progress, 4),
            "score": o.status.band.value, "status": o.status.status.value, "expected": round(o.status.expected, 4),
            "burnup": _burnup_json(o.burnup),
            "key_results": [{
                "id": e.kr.id, "title": e.kr.title, "owner": e.kr.owner, "department": e.kr.department,
                "kind": e.kr.kind.value, "progress": round(e.status.progress, 4), "score": e.status.band.value,
                "status": e.status.status.value, "expected": round(e.status.expected, 4),
                "forecast": None if e.status.forecast is None else round(e.status.forecast, 4),
                "current": e.status.current, "unit": e.status.unit, "burnup": _burnup_json(e.burnup),
                "findings": [_finding_json(f) for f in e.status.findings],
            } for e in o.key_results],
        } for o in report.objectives],
        "planned_vs_executed": {
            "weeks": list(report.weeks),
            "by_owner": {owner: [{"week": w.week, "planned": w.planned, "executed": w.executed, "rate": w.rate}
                                 for w in weeks] for owner, weeks in report.execution.items()}},
        "findings": [_finding_json(f) for f in (*report.findings, *report.unknown_krs)],
        "acknowledged_hidden": report.acknowledged_hidden,
    }


# -- HTML and SVG -------------------------------------------------------------------------------------------

_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 360, 190, 34, 12, 12, 28
_CSS = """
:root{--ink:#1d2430;--muted:#5b6472;--line:#d9dee6;--green:#1f8a4c;--yellow:#b58100;--red:#c0392b;
--blue:#1f5fbf;--bg:#f6f7f9}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:16px}h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.25rem;margin:0}
h3{font-size:1rem;margin:0 0 .3em}.muted{color:var(--muted)}.why{font-style:italic;color:var(--muted)}
section.objective{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px;margin:18px 0}
.head{display:grid;grid-template-columns:minmax(0,1fr) minmax(260px,380px);gap:16px;align-items:start}
.krs{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px;margin-top:12px}
article.kr{border:1px solid var(--line);border-radius:8px;padding:10px;background:#fff;break-inside:avoid}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:.8rem;border:1px solid var(--line)}
.cross{background:#eef3ff;border-color:#b9c9f2}.bar{height:10px;background:#e8ebf0;border-radius:5px;overflow:hidden;
margin:4px 0}.bar span{display:block;height:100%}.green{background:var(--green)}.yellow{background:var(--yellow)}
.red{background:var(--red)}.st-on_track,.st-done{color:var(--green)}.st-at_risk{color:var(--yellow)}
.st-off_track{color:var(--red)}.st-not_started{color:var(--muted)}dl{display:grid;grid-template-columns:auto 1fr;
gap:0 10px;margin:6px 0}dt{color:var(--muted)}dd{margin:0}
figure.burnup{margin:6px 0}figure.burnup svg{width:100%;height:auto;display:block}
figcaption{font-size:.78rem;color:var(--muted)}.legend i{display:inline-block;width:18px;height:0;
vertical-align:middle;margin:0 4px 0 8px;border-top:2px solid}
.l-exp{border-color:#8a94a3!important;border-top-style:dashed!important}.l-act{border-color:var(--blue)!important}
.l-fc{border-color:var(--blue)!important;border-top-style:dotted!important}
ul.findings{padding-left:18px;margin:6px 0}ul.findings li{margin:2px 0}
.sev-critical{color:var(--red)}.sev-warning{color:var(--yellow)}.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;background:#fff}th,td{border:1px solid var(--line);padding:3px 6px;
text-align:center;white-space:nowrap}th:first-child,td:first-child{text-align:left}
.r-good{background:#e3f4ea}.r-mid{background:#fff4d6}.r-low{background:#fbe1de}
@media (max-width:640px){main{padding:8px}.head{grid-template-columns:1fr}.krs{grid-template-columns:1fr}
body{font-size:14px}}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
section.objective{break-inside:avoid-page;border-color:#999}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit;text-decoration:none}
.scroll{overflow:visible}}
"""


def _e(text: object) -> str:
    from html import escape

    return escape(str(text), quote=True)


def _chart(b: Burnup, title: str) -> str:
    """An inline SVG burn-up chart (no script; ``<title>`` for screen readers)."""
    top = max(1.0, *(v for _, v in (*b.weekly, *b.recorded)), b.forecast or 0.0)
    top = min(top, 2.0)
    span = (b.end - b.start).total_seconds() or 1.0
    width, height = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(t: datetime) -> float:
        return round(_LEFT + width * min(max((t - b.start).total_seconds() / span, 0.0), 1.0), 1)

    def y(v: float) -> float:
        return round(_TOP + height * (1 - min(max(v, 0.0), top) / top), 1)

    def line(points: Sequence[Point]) -> str:
        return " ".join(f"{x(t)},{y(v)}" for t, v in points)

    parts = [f'<svg viewBox="0 0 {_W} {_H}" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-labelledby="t-{_e(b.subject)}"><title id="t-{_e(b.subject)}">{_e(title)}</title>']
    for level, label in ((0.0, "0"), (0.5, "50%"), (0.7, "70%"), (1.0, "100%")):
        cls = ' stroke-dasharray="2 3"' if level == 0.7 else ""
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(level)}" y2="{y(level)}" stroke="#d9dee6"{cls}/>'
                     f'<text x="{_LEFT - 4}" y="{y(level) + 3}" font-size="9" text-anchor="end" fill="#5b6472">'
                     f'{label}</text>')
    month = b.start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month < b.end:
        if month >= b.start:
            parts.append(f'<text x="{x(month)}" y="{_H - 10}" font-size="9" fill="#5b6472">{month:%b}</text>')
        month = (month + timedelta(days=32)).replace(day=1)
    if b.start < b.now < b.end:
        parts.append(f'<line x1="{x(b.now)}" x2="{x(b.now)}" y1="{_TOP}" y2="{_TOP + height}" stroke="#8a94a3" '
                     f'stroke-width="0.8"/><text x="{x(b.now) + 2}" y="{_TOP + 8}" font-size="8" '
                     f'fill="#5b6472">today</text>')
    parts.append(f'<polyline class="expected" points="{line(b.expected)}" fill="none" stroke="#8a94a3" '
                 f'stroke-width="1.5" stroke-dasharray="5 4"/>')
    if b.weekly:
        parts.append(f'<polyline class="actual" points="{line(b.weekly)}" fill="none" stroke="#1f5fbf" '
                     f'stroke-width="2.2"/>')
        if b.forecast is not None and b.now < b.end:
            last = b.weekly[-1]
            parts.append(f'<line class="forecast" x1="{x(last[0])}" y1="{y(last[1])}" x2="{x(b.end)}" '
                         f'y2="{y(b.forecast)}" stroke="#1f5fbf" stroke-width="1.8" stroke-dasharray="1.5 3"/>')
    parts += [f'<circle class="recorded" cx="{x(t)}" cy="{y(v)}" r="2.6" fill="#fff" stroke="#1f5fbf"/>'
              for t, v in b.recorded]
    parts.append("</svg>")
    forecast = "needs two recorded syncs" if b.forecast is None else pct(b.forecast)
    legend = ('<span class="legend"><i class="l-exp"></i>expected pace<i class="l-act"></i>actual '
              '(weekly, reconstructed; ○ recorded)<i class="l-fc"></i>forecast ' + _e(forecast) + "</span>")
    return (f'<figure class="chart burnup" data-subject="{_e(b.subject)}">{"".join(parts)}'
            f"<figcaption>{legend}</figcaption></figure>")


def _progress(progress: float, band: str) -> str:
    width = max(0.0, min(progress, 1.0)) * 100
    return (f'<div class="bar" role="progressbar" aria-valuenow="{progress * 100:.0f}" aria-valuemin="0" '
            f'aria-valuemax="100"><span class="{_e(band)}" style="width:{width:.1f}%"></span></div>')


def _findings_html(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    rows = "".join(f'<li class="sev-{_e(f.severity.value)}"><b>{_e(f.rule.replace("_", " "))}</b>: '
                   f'{_e(f.reason)} <span class="muted">→ {_e(f.action)}</span></li>' for f in findings)
    return f'<ul class="findings">{rows}</ul>'


def _kr_html(entry: KrEntry) -> str:
    k, s = entry.kr, entry.status
    current = "" if s.current is None else f"<dt>value</dt><dd>{s.current:g} {_e(s.unit or '')}</dd>"
    return (f'<article class="kr" id="{_e(k.id)}"><h3>{_e(k.id)} {_e(k.title)}</h3>'
            f'<div class="muted">{_e(k.owner or "no owner")} · {_e(k.department or "–")} · {_e(k.kind.value)}</div>'
            f'{_progress(s.progress, s.band.value)}<dl><dt>progress</dt><dd>{pct(s.progress)} '
            f'(score {_e(s.band.value)})</dd><dt>status</dt><dd class="st-{_e(s.status.value)}">'
            f'{_e(STATUS_WORDS[s.status.value])}, expected {pct(s.expected)}</dd><dt>forecast</dt>'
            f'<dd>{pct(s.forecast)}</dd>{current}</dl>'
            f'{_chart(entry.burnup, f"Burn-up of {k.id}")}{_findings_html(s.findings)}</article>')


def _objective_html(obj: ObjectiveEntry) -> str:
    s = obj.status
    cross = ' <span class="tag cross">cross-sector</span>' if s.cross_sector else ""
    return (f'<section class="objective" id="{_e(obj.id)}"><div class="head"><div>'
            f'<h2>{_e(obj.id)} {_e(obj.title)}{cross}</h2><p class="why">{_e(obj.why)}</p>'
            f'<div class="muted">owner {_e(obj.owner or "–")} · {_e(", ".join(s.departments) or "–")}</div>'
            f'{_progress(s.progress, s.band.value)}<dl><dt>progress</dt><dd>{pct(s.progress)} '
            f'(score {_e(s.band.value)})</dd><dt>status</dt><dd class="st-{_e(s.status.value)}">'
            f'{_e(STATUS_WORDS[s.status.value])}, expected {pct(s.expected)}</dd><dt>forecast</dt>'
            f'<dd>{pct(obj.burnup.forecast)}</dd></dl>{_findings_html(s.findings)}</div>'
            f'{_chart(obj.burnup, f"Burn-up of objective {obj.id}")}</div>'
            f'<div class="krs">{"".join(_kr_html(e) for e in obj.key_results)}</div></section>')


def _rate_class(week: WeekExecution) -> str:
    if week.rate is None:
        return ""
    return ' class="r-good"' if week.rate >= 0.8 else ' class="r-mid"' if week.rate >= 0.6 else ' class="r-low"'


def _execution_html(report: Report) -> str:
    head = "".join(f"<th>{_e(w[5:])}</th>" for w in report.weeks)
    rows = "".join(f"<tr><td>{_e(owner)}</td>" + "".join(
        f'<td{_rate_class(w)} title="{_e(w.week)}">{w.executed}/{w.planned}</td>' for w in weeks) + "</tr>"
        for owner, weeks in report.execution.items())
    return (f'<section class="objective" id="execution"><h2>Planned vs executed</h2><p class="muted">Items of '
            f"each KR owner's KRs: done by the week's end / planned for the week.</p><div class=\"scroll\">"
            f"<table><thead><tr><th>owner</th>{head}</tr></thead><tbody>{rows}</tbody></table></div></section>")


def render_html(report: Report) -> str:
    """One self-contained, script-free HTML page of the report."""
    hidden = (f'<p class="muted">{report.acknowledged_hidden} acknowledged finding(s) hidden until their facts '
              f"change.</p>" if report.acknowledged_hidden else "")
    everything = (*report.findings, *report.unknown_krs)
    findings = "".join(f'<li class="sev-{_e(f.severity.value)}"><b>{_e(f.subject)}</b> '
                       f'{_e(f.rule.replace("_", " "))}: {_e(f.reason)} <span class="muted">→ {_e(f.action)}'
                       f"</span></li>" for f in everything) or "<li>none</li>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>OKR report {report.at:%Y-%m-%d}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>OKR report</h1><p class="muted">as of {report.at:%Y-%m-%d %H:%M} UTC · '
        f"{len(report.objectives)} objective(s), {sum(len(o.key_results) for o in report.objectives)} KR(s)</p>"
        + "".join(_objective_html(o) for o in report.objectives) + _execution_html(report)
        + f'<section class="objective" id="findings"><h2>Companion findings</h2>{hidden}'
        f'<ul class="findings">{findings}</ul></section></main></body></html>\n'
    )
