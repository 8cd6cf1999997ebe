"""The report as Markdown (charts become bars and numbers) and as JSON (fractions, ISO times)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from okr_sync.mapping import Finding
from okr_sync.reports.model import Burnup, Point, Report
from okr_sync.reports.statuses import STATUSES, pct


def _bar(progress: float, width: int = 10) -> str:
    filled = max(0, min(width, round(progress * width)))
    return "█" * filled + "░" * (width - filled)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("[", "\\[").replace("]", "\\]")


def _status(value: str) -> str:
    look = STATUSES[value]
    return f"{look.icon} {look.word}"


def render_markdown(report: Report) -> str:
    """The report as Markdown: objectives with their KR tables, planned vs executed, findings."""
    out = [f"# OKR report — {report.at:%Y-%m-%d %H:%M} UTC", ""]
    for obj in report.objectives:
        s = obj.status
        cross = " · cross-sector" if s.cross_sector else ""
        out += [f"## {obj.id} {_md(obj.title)}{cross}", "", f"_Why:_ {_md(obj.why)}", "",
                f"{_status(s.status.value)} · progress `{_bar(s.progress)}` {pct(s.progress)} "
                f"(expected {pct(s.expected)}) · forecast {pct(obj.burnup.forecast)} · owner {_md(obj.owner_name)} · "
                f"departments {_md(', '.join(s.departments) or '–')}",
                "", "| KR | status | progress | forecast | owner | department |", "|---|---|---|---|---|---|"]
        for entry in obj.key_results:
            k, st = entry.kr, entry.status
            url = (entry.home_url or "").replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            linked = url.startswith(("https://", "http://"))
            title = f"[{_md(k.id)} {_md(k.title)}]({url})" if linked else f"{k.id} {_md(k.title)}"
            out.append(f"| {title} | {_status(st.status.value)} | `{_bar(st.progress)}` {pct(st.progress)} | "
                       f"{pct(st.forecast)} | {_md(entry.owner_name)} | {_md(k.department or '–')} |")
        out.append("")
    out += ["## Planned vs executed (done / planned per week)", "",
            "| owner | " + " | ".join(w[5:] for w in report.weeks) + " |",
            "|---|" + "---|" * len(report.weeks)]
    for owner, weeks in report.execution.items():
        out.append(f"| {_md(owner)} | " + " | ".join(f"{w.executed}/{w.planned}" for w in weeks) + " |")
    out += ["", "## Companion findings", ""]
    out += [f"- **{f.subject}** [{f.severity.value}] {_md(f.reason)} — {_md(f.action)}"
            for f in (*report.findings, *report.unknown_krs)] or ["- none"]
    if report.acknowledged_hidden:
        out.append(f"- ({report.acknowledged_hidden} acknowledged finding(s) hidden until their facts change)")
    return "\n".join(out) + "\n"


def _series(points: Sequence[Point] | Sequence[tuple[Any, float | None]]) -> list[list[Any]]:
    return [[t.isoformat(), None if v is None else round(v, 4)] for t, v in points]


def _burnup_json(b: Burnup) -> dict[str, Any]:
    return {"expected": _series(b.expected), "weekly_reconstructed": _series(b.weekly),
            "recorded": _series(b.recorded), "forecast_at_end": None if b.forecast is None else round(b.forecast, 4),
            "forecast_reconstructed": b.forecast_reconstructed}


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"subject": f.subject, "rule": f.rule, "severity": f.severity.value, "reason": f.reason,
            "action": f.action, "fingerprint": f.fingerprint}


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON (fractions, ISO times)."""
    return {
        "at": report.at.isoformat(),
        "objectives": [{
            "id": o.id, "title": o.title, "why": o.why, "owner": o.owner, "owner_name": o.owner_name,
            "url": o.home_url, "departments": list(o.status.departments),
            "cross_sector": o.status.cross_sector, "progress": round(o.status.progress, 4),
            "score": o.status.band.value, "status": o.status.status.value, "expected": round(o.status.expected, 4),
            "burnup": _burnup_json(o.burnup),
            "key_results": [{
                "id": e.kr.id, "title": e.kr.title, "owner": e.kr.owner, "owner_name": e.owner_name,
                "department": e.kr.department, "url": e.home_url,
                "kind": e.kr.kind.value, "progress": round(e.status.progress, 4), "score": e.status.band.value,
                "status": e.status.status.value, "expected": round(e.status.expected, 4),
                "forecast": None if e.status.forecast is None else round(e.status.forecast, 4),
                "current": e.status.current, "unit": e.status.unit, "burnup": _burnup_json(e.burnup),
                "items": [{"key": i.key, "title": i.title, "status": i.status.value, "url": i.url} for i in e.items],
                "confidence": e.confidence, "note": e.note,
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
