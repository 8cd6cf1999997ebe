"""``okr-sync report`` as one self-contained HTML page: no script, no network, readable on a phone, A4 print.

Top to bottom: a summary (counts by status, per objective, per agency), one KR table (most urgent first,
other orders by anchor), the KRs by agency, each objective with its KR cards and burn-up charts, planned
vs executed per owner, and the companion's findings grouped by rule with each advice once. Every KR,
objective and item links to its tracker. Status shows as icon, word and colour (``reports.statuses``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from okr_sync.mapping import Finding, MetricMeasure, WeekExecution, iso_week
from okr_sync.reports.charts import burnup_svg, number
from okr_sync.reports.markdown import render_markdown, report_json
from okr_sync.reports.model import Burnup, KrEntry, ObjectiveEntry, Report, build_report
from okr_sync.reports.statuses import STATUS_ORDER, STATUSES, pct
from okr_sync.reports.styles import CSS

__all__ = ["Report", "build_report", "render_html", "render_markdown", "report_json", "write_html_report"]


_SCROLL = '<div class="scroll" tabindex="0" role="region" aria-label="{label}">'
"""A table that may scroll sideways on a phone: focusable, so keyboards can scroll it too."""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _a(text: str, url: str | None) -> str:
    safe = url if url and url.startswith(("https://", "http://")) else None
    return f'<a href="{_e(safe)}">{_e(text)}</a>' if safe else _e(text)


def badge(status: str) -> str:
    """The status as a coloured badge carrying its icon and word."""
    look = STATUSES[status]
    return f'<span class="st st-{status}"><span aria-hidden="true">{look.icon}</span> {_e(look.word)}</span>'


def _bar(progress: float, status: str, label: str) -> str:
    width = max(0.0, min(progress, 1.0)) * 100
    return (f'<div class="bar" role="progressbar" aria-label="{_e(label)}" aria-valuenow="{progress * 100:.0f}" '
            f'aria-valuemin="0" aria-valuemax="100" aria-valuetext="{pct(progress)}">'
            f'<span class="f-{status}" style="width:{width:.1f}%"></span></div>')


def _measure(entry: KrEntry) -> MetricMeasure | None:
    return entry.kr.measure if isinstance(entry.kr.measure, MetricMeasure) else None


def units_line(entry: KrEntry) -> str:
    """Progress in the KR's own units: ``baseline 150 → now 120 → target 60 days (stretch 45)``."""
    m, s = _measure(entry), entry.status
    if m is None:
        return f"{pct(s.progress)} of the linked work done"
    unit = f" {m.unit}" if m.unit else ""
    now = "not entered yet" if s.current is None else number(s.current)
    stretch = f" (stretch {number(m.stretch)})" if m.stretch is not None else ""
    return f"baseline {number(m.baseline)} → now {now} → target {number(m.target)}{unit}{stretch} · {pct(s.progress)}"


def _forecast(b: Burnup) -> str:
    if b.forecast is None:
        return "not known yet"
    return pct(b.forecast) + (" (reconstructed from item dates)" if b.forecast_reconstructed else "")


def _chart(b: Burnup, title: str, measure: MetricMeasure | None) -> str:
    unit = f" in {measure.unit}" if measure is not None and measure.unit else ""
    legend = ('<span class="legend"><i class="l-exp"></i>expected pace<i class="l-act"></i>actual (weekly, '
              'reconstructed; ○ recorded syncs)<i class="l-fc"></i>forecast</span>')
    return (f'<figure class="chart burnup" data-subject="{_e(b.subject)}">{burnup_svg(b, title, measure)}'
            f"<figcaption>{legend}{_e(unit)}</figcaption></figure>")


# -- summary ------------------------------------------------------------------------------------------------


def _counts(entries: Sequence[KrEntry]) -> str:
    found = Counter(e.status.status.value for e in entries)
    return " ".join(f'{badge(v)} {found[v]}' for v in STATUS_ORDER if found[v])


def _summary(report: Report) -> str:
    krs = report.key_results
    objectives = "".join(
        f'<tr><td><a href="#{_e(o.id)}">{_e(o.title)}</a></td><td>{badge(o.status.status.value)}</td>'
        f'<td class="num">{pct(o.status.progress)}</td><td>{_counts(o.key_results)}</td></tr>'
        for o in report.objectives)
    agencies: dict[str, list[KrEntry]] = {}
    for entry in krs:
        agencies.setdefault(entry.agency, []).append(entry)
    rows = "".join(f'<tr><td><a href="#agency-{n}">{_e(name)}</a></td><td class="num">{len(found)}</td>'
                   f"<td>{_counts(found)}</td></tr>" for n, (name, found) in enumerate(sorted(agencies.items())))
    totals = Counter(e.status.status.value for e in krs)
    chips = "".join(f"<li>{badge(v)} {totals[v]} KR{'s' if totals[v] != 1 else ''}</li>"
                    for v in STATUS_ORDER if totals[v])
    return (f'<section class="panel" id="summary"><h2>Summary</h2><ul class="counts">{chips}</ul>'
            f'<div class="summary">{_SCROLL.format(label="Objectives")}<table>'
            '<caption class="note">By objective</caption>'
            '<thead><tr><th>objective</th><th>status</th><th class="num">progress</th><th>KRs by status</th>'
            f'</tr></thead><tbody>{objectives}</tbody></table></div>{_SCROLL.format(label="Agencies")}<table>'
            '<caption class="note">By agency or department</caption><thead><tr><th>agency</th>'
            '<th class="num">KRs</th><th>KRs by status</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></div></section>")


# -- the KR table in several orders -------------------------------------------------------------------------

ORDERS: dict[str, tuple[str, Callable[[KrEntry], Any], Callable[[KrEntry], str] | None]] = {
    "by-status": ("status, most urgent first", lambda e: (STATUSES[e.status.status.value].urgency, -e.status.gap),
                  None),
    "by-owner": ("owner", lambda e: (e.owner_name.casefold(), e.kr.id), lambda e: e.owner_name),
    "by-agency": ("agency", lambda e: (e.agency.casefold(), e.kr.id), lambda e: e.agency),
    "by-objective": ("objective", lambda e: (e.objective_id, e.kr.id), lambda e: e.objective_id),
}


def _kr_row(e: KrEntry) -> str:
    s = e.status
    return (f'<tr><td class="c-status">{badge(s.status.value)}</td><td class="c-title">{_a(e.kr.title, e.home_url)} '
            f'<span class="muted small">{_e(e.kr.id)}</span></td><td data-label="owner">{_e(e.owner_name)}</td>'
            f'<td class="wide" data-label="agency">{_e(e.agency)}</td><td class="c-progress">'
            f'{_bar(s.progress, s.status.value, f"Progress of {e.kr.id}")}<span class="small">{_e(units_line(e))}'
            f'</span></td><td class="num wide" data-label="expected">{pct(s.expected)}</td>'
            f'<td class="num" data-label="forecast">{pct(s.forecast)}</td><td class="num" data-label="items">'
            f'<a href="#kr-{_e(e.kr.id)}">{len(e.items)}</a></td></tr>')


def _kr_table(report: Report) -> str:
    head = ('<thead><tr><th>status</th><th>key result</th><th>owner</th><th class="wide">agency</th>'
            '<th>progress</th><th class="num wide">expected</th><th class="num">forecast</th>'
            '<th class="num">items</th></tr></thead>')
    links = " · ".join(f'<a href="#{anchor}">{label}</a>' for anchor, (label, _, _) in ORDERS.items())
    tables = []
    for n, (anchor, (label, key, group)) in enumerate(ORDERS.items()):
        rows: list[str] = []
        last = None
        for entry in sorted(report.key_results, key=key):
            if group is not None and group(entry) != last:
                last = group(entry)
                rows.append(f'<tr class="group"><th colspan="8" scope="colgroup">{_e(last)}</th></tr>')
            rows.append(_kr_row(entry))
        tables.append(f'<div class="ordering{" default" if n == 0 else ""}" id="{anchor}"><p class="note">'
                      f"Sorted by {label}.</p>{_SCROLL.format(label='Key results by ' + label)}"
                      f'<table class="kr-table">{head}'
                      f"<tbody>{''.join(rows)}"
                      "</tbody></table></div></div>")
    return (f'<section class="panel" id="krs"><h2>Key results</h2><p class="note sorts">Sort by: {links}</p>'
            f'<div class="orderings">{"".join(tables)}</div></section>')


def _agencies(report: Report) -> str:
    agencies: dict[str, list[KrEntry]] = {}
    for entry in report.key_results:
        agencies.setdefault(entry.agency, []).append(entry)
    cards = []
    for n, (name, found) in enumerate(sorted(agencies.items())):
        rows = "".join(f"<li>{badge(e.status.status.value)} {_a(e.kr.title, e.home_url)} "
                       f'<span class="muted small">{_e(e.owner_name)} · {pct(e.status.progress)}</span></li>'
                       for e in sorted(found, key=ORDERS["by-status"][1]))
        cards.append(f'<div class="agency" id="agency-{n}"><h3>{_e(name)}</h3><ul>{rows}</ul></div>')
    return (f'<section class="panel" id="agencies"><h2>By agency</h2><div class="agencies">{"".join(cards)}</div>'
            "</section>")


# -- objectives and KR cards --------------------------------------------------------------------------------


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    rows = "".join(f"<li><b>{_e(f.rule.replace('_', ' '))}</b>: {_e(f.reason)}</li>" for f in findings)
    return f'<ul class="findings">{rows}</ul><p class="note"><a href="#findings">What to do: see Findings</a></p>'


def _items(entry: KrEntry) -> str:
    if not entry.items:
        return '<p class="note">No linked items.</p>'
    rows = "".join(f"<li>{_a(i.title, i.url)} <span class=\"muted small\">{_e(i.key)} · "
                   f"{_e(i.status.value.replace('_', ' '))}</span></li>" for i in entry.items)
    return f"<details><summary>{len(entry.items)} linked items</summary><ul>{rows}</ul></details>"


def _kr_card(entry: KrEntry) -> str:
    k, s = entry.kr, entry.status
    confidence = "" if entry.confidence is None else f"<dt>owner's confidence</dt><dd>{entry.confidence}/10</dd>"
    if entry.note:
        confidence += f"<dt>owner's note</dt><dd>{_e(entry.note)}</dd>"
    if entry.burnup.now >= entry.burnup.end:  # the score band is the end-of-cycle grade, shown only then
        confidence += f"<dt>grade</dt><dd>{_e(s.band.value)} ({pct(s.progress)}; 70 % is success)</dd>"
    return (f'<article class="kr" id="kr-{_e(k.id)}"><h3>{_a(k.title, entry.home_url)}</h3>'
            f'<div>{badge(s.status.value)} <span class="muted small">{_e(k.id)} · {_e(entry.owner_name)} · '
            f"{_e(entry.agency)}</span></div>{_bar(s.progress, s.status.value, f'Progress of {k.id}')}"
            f"<p class=\"small\">{_e(units_line(entry))}</p><dl><dt>expected now</dt><dd>{pct(s.expected)}</dd>"
            f"<dt>forecast</dt><dd>{_e(_forecast(entry.burnup))}</dd>{confidence}</dl>"
            f"{_chart(entry.burnup, f'Burn-up of {k.id} {k.title}', _measure(entry))}"
            f"{_findings(s.findings)}{_items(entry)}</article>")


def _objective(obj: ObjectiveEntry) -> str:
    s = obj.status
    cross = ' <span class="muted small">cross-sector</span>' if s.cross_sector else ""
    return (f'<section class="panel objective" id="{_e(obj.id)}"><div class="objective-head"><div>'
            f"<h2>{_a(obj.title, obj.home_url)}{cross}</h2><p class=\"why\">{_e(obj.why)}</p>"
            f'<div>{badge(s.status.value)} <span class="muted small">{_e(obj.id)} · owner {_e(obj.owner_name)} · '
            f'{_e(", ".join(s.departments) or "no department")}</span></div>'
            f"{_bar(s.progress, s.status.value, f'Progress of objective {obj.id}')}<dl><dt>progress</dt>"
            f"<dd>{pct(s.progress)}</dd><dt>expected now</dt><dd>{pct(s.expected)}</dd><dt>forecast</dt>"
            f"<dd>{_e(_forecast(obj.burnup))}</dd></dl>{_findings(s.findings)}</div>"
            f"{_chart(obj.burnup, f'Burn-up of objective {obj.id} {obj.title}', None)}</div>"
            f'<div class="krs">{"".join(_kr_card(e) for e in obj.key_results)}</div></section>')


# -- planned vs executed and findings ----------------------------------------------------------------------


def _rate_class(week: WeekExecution) -> str:
    if week.rate is None:
        return ""
    return ' class="num r-good"' if week.rate >= 0.8 else ' class="num r-mid"' if week.rate >= 0.6 else \
        ' class="num r-low"'


def _execution(report: Report) -> str:
    running = iso_week(report.at.date())
    head = "".join(f'<th class="num" scope="col">{_e(w[5:])}{" (running)" if w == running else ""}</th>'
                   for w in report.weeks)
    rows = "".join(f'<tr><th scope="row">{_e(owner)}</th>' + "".join(
        f'<td{_rate_class(w) or " class=num"} title="{_e(w.week)}">{w.executed}/{w.planned}</td>' for w in weeks)
        + "</tr>" for owner, weeks in report.execution.items())
    return (f'<section class="panel" id="execution"><h2>Planned vs executed</h2><p class="note">Items of each '
            "KR owner's KRs: done by the week's end / planned for the week. The running week is not over yet."
            f'</p>{_SCROLL.format(label="Planned vs executed")}<table><thead><tr><th>owner</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody>"
            "</table></div></section>")


def _all_findings(report: Report, anchors: set[str]) -> str:
    """The findings grouped by rule: the subjects (linked to their cards) and the advice, once per rule."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in (*report.findings, *report.unknown_krs):
        by_rule.setdefault(finding.rule, []).append(finding)
    blocks = []
    for rule, found in by_rule.items():
        subjects = ", ".join(
            (f'<a href="#{"kr-" if f"kr-{f.subject}" in anchors else ""}{_e(f.subject)}">{_e(f.subject)}</a>'
             if f"kr-{f.subject}" in anchors or f.subject in anchors else _e(f.subject))
            for f in dict.fromkeys(found))
        reasons = "" if len(found) > 1 else f": {_e(found[0].reason)}"
        blocks.append(f"<h3>{_e(rule.replace('_', ' ').capitalize())} ({len(found)})</h3><p>{subjects}{reasons}</p>"
                      f'<p class="advice muted">→ {_e(found[0].action)}</p>')
    hidden = (f'<p class="note">{report.acknowledged_hidden} acknowledged finding(s) hidden until their facts '
              "change.</p>" if report.acknowledged_hidden else "")
    return (f'<section class="panel" id="findings"><h2>Companion findings</h2><p class="note">Each rule once, with '
            f'its advice; the reasons are on the cards.</p>{hidden}{"".join(blocks) or "<p>None.</p>"}</section>')


def render_html(report: Report) -> str:
    """One self-contained, script-free HTML page of the report."""
    krs = len(report.key_results)
    toc = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("summary", "Summary"), ("krs", "Key results"), ("agencies", "By agency"),
        (report.objectives[0].id if report.objectives else "summary", "Objectives"),
        ("execution", "Planned vs executed"), ("findings", "Findings")))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>OKR report {report.at:%Y-%m-%d}</title><style>{CSS}</style></head><body><main>"
        f'<h1>OKR report</h1><p class="muted">As of {report.at:%Y-%m-%d %H:%M} UTC · '
        f"{len(report.objectives)} objective(s), {krs} key result(s)</p>"
        f'<nav class="toc" aria-label="Sections">{toc}</nav>'
        + _summary(report) + _kr_table(report) + _agencies(report)
        + "".join(_objective(o) for o in report.objectives) + _execution(report)
        + _all_findings(report, {f"kr-{e.kr.id}" for e in report.key_results} | {o.id for o in report.objectives})
        + "</main></body></html>\n"
    )


def write_html_report(path: Path, engine: Any, computed: Any, now: Any) -> None:
    """Write the HTML report of ``computed`` (from ``engine``'s domain, store and settings) to ``path``."""
    report = build_report(engine.domain, engine.store, computed, now, settings=getattr(engine, "settings", None))
    path.write_text(render_html(report), encoding="utf-8")
