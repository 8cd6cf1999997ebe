"""What people read in the terminal: the cycle summary and the KR status table (rich), and their JSON."""

from __future__ import annotations

from typing import Any

from okr_sync.engine.compute import Computed
from okr_sync.engine.domain import Domain
from okr_sync.engine.report import CycleReport
from okr_sync.mapping import KrStatus, ObjectiveStatus

STATUS_WORDS = {"not_started": "not started", "on_track": "on track", "at_risk": "at risk",
                "off_track": "off track", "done": "done"}
STATUS_STYLE = {"not_started": "dim", "on_track": "green", "at_risk": "yellow", "off_track": "red", "done": "cyan"}


def pct(value: float | None) -> str:
    """0.423 → '42%'; None → '–'."""
    return "–" if value is None else f"{value * 100:.0f}%"


def provenance_text(status: KrStatus) -> str:
    """One line saying where the number came from."""
    prov = status.provenance
    if prov.manual_author:
        when = prov.manual_at.strftime("%Y-%m-%d %H:%M") if prov.manual_at else "?"
        return f"manual by {prov.manual_author} at {when}"
    keys = len(prov.item_keys)
    return f"{prov.rule} over {keys} item(s)" if keys else prov.rule


def status_json(domain: Domain, computed: Computed, *, objective: str | None = None,
                owner: str | None = None) -> dict[str, Any]:
    """The stable contract of ``okr-sync status --json`` (progress as a fraction)."""
    krs = _selected_krs(domain, computed, objective, owner)
    objectives = [o for o in domain.objectives.values() if objective is None or o.id == objective]
    if owner is not None:
        objectives = [o for o in objectives if o.owner == owner or any(objective_id(k, o.id, domain) for k in krs)]
    return {
        "at": computed.at.isoformat(),
        "objectives": [_objective_json(computed.objectives[o.id], domain) for o in objectives],
        "key_results": [_kr_json(computed.key_results[k], domain) for k in krs],
        "unknown_kr_ids": [f.subject for f in computed.unknown_krs],
    }


def objective_id(kr_id: str, objective: str, domain: Domain) -> bool:
    """Whether a KR serves an objective."""
    return objective in domain.key_results[kr_id].objective_ids


def _selected_krs(domain: Domain, computed: Computed, objective: str | None, owner: str | None) -> list[str]:
    return [k.id for k in domain.key_results.values()
            if (objective is None or objective in k.objective_ids) and (owner is None or k.owner == owner)
            and k.id in computed.key_results]


def _top_finding(status: KrStatus | ObjectiveStatus) -> dict[str, str] | None:
    if not status.findings:
        return None
    order = {"critical": 0, "warning": 1, "info": 2}
    top = sorted(status.findings, key=lambda f: order.get(str(f.severity), 3))[0]
    return {"rule": top.rule, "severity": str(top.severity), "reason": top.reason, "action": top.action}


def _objective_json(status: ObjectiveStatus, domain: Domain) -> dict[str, Any]:
    objective = domain.objectives[status.objective_id]
    return {"id": objective.id, "title": objective.title, "progress": round(status.progress, 4),
            "status": status.status.value, "score": status.band.value, "owner": objective.owner,
            "departments": list(status.departments), "cross_sector": status.cross_sector,
            "key_results": list(status.kr_ids), "top_finding": _top_finding(status)}


def _kr_json(status: KrStatus, domain: Domain) -> dict[str, Any]:
    kr = domain.key_results[status.kr_id]
    prov = status.provenance
    return {
        "id": kr.id, "title": kr.title, "objectives": list(kr.objective_ids),
        "progress": round(status.progress, 4), "score": status.band.value, "status": status.status.value,
        "expected": round(status.expected, 4),
        "forecast": None if status.forecast is None else round(status.forecast, 4),
        "current": status.current, "unit": status.unit, "owner": kr.owner, "department": kr.department,
        "kind": kr.kind.value,
        "provenance": {"rule": prov.rule, "items": list(prov.item_keys), "manual_author": prov.manual_author,
                       "manual_at": prov.manual_at.isoformat() if prov.manual_at else None,
                       "notes": list(prov.notes), "text": provenance_text(status)},
        "findings": [{"rule": f.rule, "severity": str(f.severity), "reason": f.reason, "action": f.action}
                     for f in status.findings],
        "top_finding": _top_finding(status),
    }


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_table(domain: Domain, computed: Computed, *, objective: str | None = None,
                 owner: str | None = None) -> Any:
    """A compact rich table (objectives with their KRs beneath), then the companion's top findings."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"OKR status at {computed.at:%Y-%m-%d %H:%M} UTC", expand=False, box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    # The KR column gives way (ellipsis) so the numbers always fit an 80-column terminal.
    table.add_column("objective / key result", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("owner", no_wrap=True, overflow="ellipsis", max_width=10)
    table.add_column("prog.", justify="right", no_wrap=True, min_width=4)
    table.add_column("score", no_wrap=True, min_width=6)
    table.add_column("status", no_wrap=True, min_width=11)
    table.add_column("fcst", justify="right", no_wrap=True, min_width=4)
    notes: list[Text] = []
    selected = set(_selected_krs(domain, computed, objective, owner))
    for obj in domain.objectives.values():
        if objective is not None and obj.id != objective:
            continue
        ostatus = computed.objectives[obj.id]
        krs = [k for k in domain.key_results.values() if obj.id in k.objective_ids and k.id in selected]
        if owner is not None and not krs and obj.owner != owner:
            continue
        tag = " ⇄" if ostatus.cross_sector else ""
        table.add_row(Text(_clip(f"{obj.id}{tag} {obj.title}", 60), style="bold"), obj.owner or "–",
                      pct(ostatus.progress), ostatus.band.value,
                      Text(STATUS_WORDS[ostatus.status.value], style=STATUS_STYLE[ostatus.status.value]), "")
        for kr in krs:
            s = computed.key_results[kr.id]
            table.add_row(_clip(f"  {kr.id} {kr.title}", 60), kr.owner or "–", pct(s.progress), s.band.value,
                          Text(STATUS_WORDS[s.status.value], style=STATUS_STYLE[s.status.value]), pct(s.forecast))
            top = _top_finding(s)
            if top is not None:
                notes.append(Text(f"  {kr.id}: {top['reason']} → {top['action']}"))
    legend = Text("⇄ cross-sector objective (KR owners in several departments or agencies)", style="dim")
    if not notes:
        return Group(table, legend)
    return Group(table, legend, Text("Companion (top finding per KR):", style="bold"), *notes)


def cycle_table(report: CycleReport) -> Any:
    """Per-tracker summary of a cycle."""
    from rich.table import Table

    table = Table(title="dry run: nothing was written" if report.dry_run else "sync cycle")
    for column in ("tracker", "items pulled", "API calls", "writes planned" if report.dry_run else "writes",
                   "problems"):
        table.add_column(column)
    for name, t in report.trackers.items():
        writes = len(t.planned) if report.dry_run else t.writes
        problems = (str(t.error) if t.error else "") + ("; ".join(t.problems) if t.problems else "")
        table.add_row(name, str(t.items), str(t.calls), str(writes), problems or "–")
    return table
