"""Render status blocks (check-ins: ``mapping.checkin_render``) as Markdown (GitLab), Jira wiki markup or plain text.

Each rendering starts (plain text: ends) with its invisible marker (see ``mapping.markers``). Every
piece of text that comes from data (ids, titles, names, reasons) is escaped for the flavour so that a
KR id such as ``OBJ*1|[KR]{2}`` can never break the block, and any ``okr-sync:`` inside such text is
defused so that only the real marker parses. Figures are shown as percentages here, for people; the
API itself only carries fractions.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from okr_sync.mapping.markers import Flavour, status_marker, wrap_marker
from okr_sync.mapping.model import KrStatusValue
from okr_sync.mapping.results import Finding, ItemRef, KrStatus, ObjectiveStatus, WeekExecution

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+\-!|~@&:])")
_JIRA_SPECIAL = re.compile(r"([\\*_?\-+^~{}\[\]|!#()])")
_DEFUSE = re.compile(r"okr-sync(?=:)", re.IGNORECASE)


def escape(text: str, flavour: Flavour) -> str:
    """Make data text safe to embed mid-line in the flavour (one line, metacharacters escaped)."""
    flat = _CONTROL.sub(" ", text)
    if flavour == "markdown":
        return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    if flavour == "wiki":
        return _JIRA_SPECIAL.sub(r"\\\1", flat)
    return _DEFUSE.sub("okr-sync\u2060", flat)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def link(ref: ItemRef, flavour: Flavour, *, with_key: bool = True) -> str:
    """The item's key and title (or the title alone), linked to its URL where the flavour can link."""
    text = escape(f"{ref.key} {ref.title}" if with_key else ref.title, flavour)
    url = ref.url or ""
    if not url.startswith(("https://", "http://")):
        return text
    safe_url = quote(url, safe="/:?&=#%+,;@~.-_!*'")
    if flavour == "markdown":
        return f"[{text}]({safe_url})"
    if flavour == "wiki":
        return f"[{text}|{safe_url}]"
    return f"{text} <{safe_url}>"


Entry = tuple[int, str]


def _finding_entries(findings: tuple[Finding, ...], flavour: Flavour) -> list[Entry]:
    return [
        (1, escape(f"[{f.severity.value}] {f.reason} — {f.action}", flavour)) for f in findings
    ]


def _week_text(week: WeekExecution) -> str:
    rate = "nothing planned" if week.rate is None else f"{_pct(week.rate)} executed"
    done = f"{week.executed}/{week.planned} planned items done"
    return f"{week.week}: {done} ({rate}), {week.unplanned} unplanned"


def format_block(marker: str, title: str, entries: list[Entry], flavour: Flavour) -> str:
    """A heading and bulleted entries (depth 0 or 1) as one marked block of the flavour."""
    head = escape(title, flavour)
    bullets = {"markdown": ("- ", "  - "), "wiki": ("* ", "** "), "text": ("- ", "  * ")}[flavour]
    body = [bullets[min(depth, 1)] + text for depth, text in entries]
    if flavour == "markdown":
        return "\n".join([wrap_marker(marker, flavour), f"**{head}**", "", *body]) + "\n"
    if flavour == "wiki":
        return "\n".join([wrap_marker(marker, flavour) + f"*{head}*", *body]) + "\n"
    return "\n".join([head, *body, wrap_marker(marker, flavour)]) + "\n"


def _row(name: str, value: str, flavour: Flavour) -> Entry:
    if not value:
        return 0, escape(name, flavour)
    return 0, f"{escape(name, flavour)}: {escape(value, flavour)}"


def render_status_block(
    status: KrStatus | ObjectiveStatus, flavour: Flavour, *, title: str | None = None
) -> str:
    """A KR's or objective's status as a marked block for the flavour."""
    if isinstance(status, KrStatus):
        subject, entries = status.kr_id, _kr_entries(status, flavour)
    else:
        subject, entries = status.objective_id, _objective_entries(status, flavour)
    heading = title if title is not None else f"OKR status — {subject}"
    return format_block(status_marker(subject), heading, entries, flavour)


def _status_words(status: KrStatusValue) -> str:
    return _label(status.value)


def _kr_entries(status: KrStatus, flavour: Flavour) -> list[Entry]:
    entries = [
        _row("Progress", f"{_pct(status.progress)} ({status.band.value})", flavour),
        _row("Status", f"{_status_words(status.status)}; expected {_pct(status.expected)} now", flavour),
    ]
    if status.current is not None:
        unit = f" {status.unit}" if status.unit else ""
        entries.append(_row("Current value", f"{status.current:g}{unit}", flavour))
    forecast = (
        "not yet (needs progress at two points in time)"
        if status.forecast is None
        else _pct(status.forecast)
    )
    entries.append(_row("Forecast at cycle end", forecast, flavour))
    entries.append(_row("Source", status.provenance.describe(), flavour))
    if status.planned_vs_executed:
        entries.append(_row("Planned vs executed", "", flavour))
        entries.extend((1, escape(_week_text(week), flavour)) for week in status.planned_vs_executed)
    if status.findings:
        entries.append(_row("Companion", f"{len(status.findings)} finding(s)", flavour))
        entries.extend(_finding_entries(status.findings, flavour))
    return entries


def _objective_entries(status: ObjectiveStatus, flavour: Flavour) -> list[Entry]:
    entries = [
        _row("Progress", f"{_pct(status.progress)} ({status.band.value})", flavour),
        _row("Status", f"{_status_words(status.status)}; expected {_pct(status.expected)} now", flavour),
        _row("Key results", ", ".join(status.kr_ids) or "none", flavour),
        _row("Departments", ", ".join(status.departments) or "none named", flavour),
    ]
    if status.cross_sector:
        entries.append(_row("Cross-sector", f"yes, {len(status.departments)} departments", flavour))
    if status.findings:
        entries.append(_row("Companion", f"{len(status.findings)} finding(s)", flavour))
        entries.extend(_finding_entries(status.findings, flavour))
    return entries
