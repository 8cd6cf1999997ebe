"""What people read in the terminal: the cycle summary and the KR status table (rich), and their JSON."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any

from rich.text import Text

from okr_sync.engine.compute import Computed
from okr_sync.engine.domain import Domain
from okr_sync.engine.ignored import in_status
from okr_sync.engine.report import CycleReport
from okr_sync.engine.unknown import by_tracker as unknown_ids
from okr_sync.mapping import KrStatus, ObjectiveStatus
from okr_sync.reports.statuses import STATUS_WORDS as STATUS_WORD_MAP
from okr_sync.reports.statuses import look

STATUS_WORDS = STATUS_WORD_MAP
"""The pace status in words (``reports.statuses``: the one status language)."""


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
            if (objective is None or objective in k.objective_ids) and (owner is None or owner in k.all_owners)
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
        "current": status.current, "unit": status.unit, "owner": kr.owner, "owners": list(kr.all_owners),
        "department": kr.department, "departments": list(kr.departments or ((kr.department,) if kr.department else ())),
        "kind": kr.kind.value,
        "provenance": {"rule": prov.rule, "items": list(prov.item_keys), "manual_author": prov.manual_author,
                       "manual_at": prov.manual_at.isoformat() if prov.manual_at else None,
                       "notes": list(prov.notes), "text": provenance_text(status)},
        "findings": [{"rule": f.rule, "severity": str(f.severity), "reason": f.reason, "action": f.action}
                     for f in status.findings],
        "top_finding": _top_finding(status),
    }


WIDE = 120
"""Terminals this wide show full titles; narrower ones cut titles to fit, with an ellipsis."""
_BULLET = re.compile(r"^(\s*)([-*!→•]\s+|\d+\.\s+)?")


def wrap_text(text: str, width: int) -> str:
    """Each line wrapped to ``width`` with a hanging indent under its bullet; words are never broken."""
    out: list[str] = []
    for line in text.splitlines():
        match = _BULLET.match(line)
        hang = " " * (match.end() if match else 0)
        out += textwrap.wrap(line, width=max(20, width), subsequent_indent=hang, break_long_words=False,
                             break_on_hyphens=False) or [""]
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def status_word(value: str) -> Any:
    """The pace status as icon and word, styled (colour is never the only carrier)."""
    shown = look(value)
    return Text(f"{shown.icon} {shown.word}", style=shown.terminal)


def _advice_once(domain: Domain, computed: Computed, krs: list[str]) -> list[Any]:
    """The companion's top finding per KR, grouped by rule, each rule's advice printed once."""
    from rich.padding import Padding

    by_rule: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for kr_id in krs:
        top = _top_finding(computed.key_results[kr_id])
        if top is not None:
            by_rule.setdefault(top["rule"], []).append((kr_id, top))
    if not by_rule:
        return []
    lines: list[Any] = [Text("Companion (top finding per KR, advice once per rule):", style="bold")]
    for rule, found in by_rule.items():
        lines.append(Padding(Text(rule.replace("_", " ").capitalize(), style="bold"), (0, 0, 0, 1)))
        lines += [Padding(Text(f"{kr_id}: {top['reason']}"), (0, 0, 0, 3)) for kr_id, top in found]
        lines.append(Padding(Text(f"→ {found[0][1]['action']}", style="italic"), (0, 0, 0, 3)))  # once per rule
    return lines


def status_table(domain: Domain, computed: Computed, *, objective: str | None = None,
                 owner: str | None = None, width: int | None = None, names: Mapping[str, str] | None = None) -> Any:
    """A rich table (objectives with their KRs beneath), then the companion's top findings by rule.

    ``width`` is the terminal's: from :data:`WIDE` columns on, titles show whole (wrapping if they must);
    narrower, each title is cut to the space left by the figures, with an ellipsis. ``names`` (person id →
    name, the people directory) shows owners by name.
    """
    names = names or {}
    from rich import box
    from rich.console import Group
    from rich.table import Table

    if width is None:
        from rich.console import Console

        width = Console().width
    wide = width >= WIDE
    table = Table(title=f"OKR status at {computed.at:%Y-%m-%d %H:%M} UTC", expand=False, box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    # the figures keep fixed widths; the title takes what is left (whole when wide, cut with "…" when narrow)
    figures = 12 + 5 + 13 + 6 + 2 * 4  # owner, progress, status, forecast and the padding between columns
    table.add_column("objective / key result", no_wrap=not wide, overflow="fold" if wide else "ellipsis",
                     max_width=None if wide else max(20, width - figures - 1))
    table.add_column("owner", no_wrap=True, overflow="ellipsis", width=None if wide else 12)
    table.add_column("prog.", justify="right", no_wrap=True, width=5)
    table.add_column("status", no_wrap=True, width=13)
    table.add_column("fcst", justify="right", no_wrap=True, width=6)
    selected = _selected_krs(domain, computed, objective, owner)
    chosen = set(selected)
    reconstructed = False
    for obj in domain.objectives.values():
        if objective is not None and obj.id != objective:
            continue
        ostatus = computed.objectives[obj.id]
        krs = [k for k in domain.key_results.values() if obj.id in k.objective_ids and k.id in chosen]
        if owner is not None and not krs and obj.owner != owner:
            continue
        tag = " ⇄" if ostatus.cross_sector else ""
        table.add_row(Text(f"{obj.id}{tag} {obj.title}", style="bold"), names.get(obj.owner or "", obj.owner or "–"),
                      pct(ostatus.progress), status_word(ostatus.status.value), "")
        for kr in krs:
            s = computed.key_results[kr.id]
            forecast = pct(s.forecast) + ("*" if s.forecast_reconstructed else "")
            table.add_row(f"  {kr.id} {kr.title}", ", ".join(names.get(o, o) for o in kr.all_owners) or "–",
                          pct(s.progress),
                          status_word(s.status.value),
                          forecast)
            reconstructed = reconstructed or s.forecast_reconstructed
    legend = Text("⇄ cross-sector objective (KR owners in several departments or agencies)"
                  + ("\n* forecast from progress reconstructed from item dates" if reconstructed else ""), style="dim")
    unused = [Text(f"  {kr_id}: {line}") for kr_id in selected for line in in_status(computed.key_results[kr_id])]
    if unused:
        unused.insert(0, Text("Values typed in the trackers and not used:", style="bold"))
    strays = [Text(f"  {tracker}: {line}") for tracker, lines in unknown_ids(computed).items() for line in lines]
    if strays and objective is None and owner is None:
        unused += [Text("Work items naming KRs that are not configured:", style="bold"), *strays]
    return Group(table, legend, *_advice_once(domain, computed, selected), *unused)


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
