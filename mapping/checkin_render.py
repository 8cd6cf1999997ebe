"""Render the weekly 3P check-in as Markdown (GitLab), Jira wiki markup or plain text.

The check-in is read aloud in the weekly meeting, so it is short: one Progress line with the change
since last week and the pace status, the owner's confidence and note, what was done, at most three
problems (:func:`okr_sync.mapping.checkin.checkin_problems`), next week's plans by person with the
carry-overs, and planned vs executed of the completed weeks. Items are named by title (linked where
the flavour can link). Every sentence is a whole template in :data:`TEXTS` so that a translation
replaces templates, never fragments.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace

from okr_sync.mapping.checkin import MAX_PROBLEMS, checkin_plans, checkin_problems
from okr_sync.mapping.markers import Flavour, checkin_marker
from okr_sync.mapping.render import Entry, escape, format_block, link
from okr_sync.mapping.results import CheckIn, ItemRef, WeekExecution

TEXTS = {
    "title": "Weekly check-in {kr} — {week}",
    "owner": "Owner",
    "progress": "Progress",
    "progress_delta": "{progress}, {delta} pts since last week",
    "progress_first": "{progress} (no figure from a week ago)",
    "pace": "{status}: {expected} expected now, forecast {forecast}",
    "pace_reconstructed": "{status}: {expected} expected now, forecast {forecast} (reconstructed)",
    "pace_no_forecast": "{status}: {expected} expected now, no forecast yet",
    "confidence": "Owner's confidence",
    "confidence_value": "{confidence}/10",
    "confidence_note": "{confidence}/10 — {note}",
    "note_only": "Owner's note",
    "done": "Done this week",
    "nothing": "nothing",
    "more": "and {count} more",
    "problems": "Problems",
    "problems_none": "none",
    "problems_more": "{count} more in the report",
    "blocked_items": "Blocked: {items}",
    "overdue_items": "Past due: {items}",
    "advice": "{problem} → {advice}",
    "plans": "Plans for {week}",
    "plans_none": "nothing planned yet",
    "person_plan": "{person}: {items}",
    "carried_over": "{item} (carried over)",
    "execution": "Planned vs executed",
    "week_done": "{week} {executed}/{planned} done",
    "week_empty": "{week} none planned",
    "week_running": "{week} running",
}
STATUS_WORDS = {"not_started": "Not started", "on_track": "On track", "at_risk": "At risk",
                "off_track": "Off track", "done": "Done"}
"""The pace status in words, the one status language of every surface."""
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_LISTED = 3
"""Items named on one line (done this week, one person's plans) before "and N more"."""
MAX_PEOPLE = 4
"""People listed under Plans before "and N more"."""
TITLE_WIDTH = 48
"""Plain-text titles longer than this are cut in the middle with an ellipsis (the report has them whole)."""


def _fill(template: str, flavour: Flavour, **markup: str) -> str:
    """``template``'s own words escaped for the flavour, its ``{placeholders}`` replaced by ready markup."""
    pieces = _PLACEHOLDER.split(TEXTS[template])
    return "".join(markup[piece] if n % 2 else escape(piece, flavour) for n, piece in enumerate(pieces))


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def clip_title(title: str, width: int = TITLE_WIDTH) -> str:
    """A long title cut in the middle, so that the end that tells siblings apart ("part 10") stays."""
    if len(title) <= width:
        return title
    tail = width // 3
    return title[: width - tail - 1].rstrip() + "…" + title[-tail:].lstrip()


def _item(ref: ItemRef, flavour: Flavour, links: bool) -> str:
    if flavour == "text" and not links:
        return escape(clip_title(ref.title), flavour)
    return link(ItemRef(ref.key, ref.title, ref.assignee, ref.url), flavour, with_key=False)


def _listing(texts: list[str], flavour: Flavour, limit: int = MAX_LISTED) -> str:
    """Up to ``limit`` names, then "and N more"."""
    shown = texts[:limit]
    if len(texts) > limit:
        shown.append(escape(TEXTS["more"].format(count=len(texts) - limit), flavour))
    return ", ".join(shown)


def _row(name: str, value: str, flavour: Flavour, *, escaped: bool = False) -> Entry:
    text = value if escaped else escape(value, flavour)
    return 0, f"{escape(name, flavour)}: {text}"


def _progress(checkin: CheckIn) -> str:
    if checkin.previous_progress is None or checkin.delta is None:
        progress = TEXTS["progress_first"].format(progress=_pct(checkin.progress))
    else:
        progress = TEXTS["progress_delta"].format(progress=_pct(checkin.progress), delta=f"{checkin.delta * 100:+.0f}")
    status = STATUS_WORDS.get(checkin.status.value, checkin.status.value)
    if checkin.forecast is None:
        pace = TEXTS["pace_no_forecast"].format(status=status, expected=_pct(checkin.expected))
    else:
        template = TEXTS["pace_reconstructed"] if checkin.forecast_reconstructed else TEXTS["pace"]
        pace = template.format(status=status, expected=_pct(checkin.expected), forecast=_pct(checkin.forecast))
    return f"{progress} · {pace}"


def _owner_voice(checkin: CheckIn, flavour: Flavour) -> list[Entry]:
    note = (checkin.note or "").strip()
    if checkin.confidence is None:
        return [_row(TEXTS["note_only"], note, flavour)] if note else []
    template = TEXTS["confidence_note"] if note else TEXTS["confidence_value"]
    return [_row(TEXTS["confidence"], template.format(confidence=checkin.confidence, note=note), flavour)]


@dataclass(frozen=True)
class Budget:
    """How much of the Problems a check-in spells out: how many problems, whose advice, items per problem."""

    problems: int
    all_advice: bool
    items: int


BUDGETS = (Budget(MAX_PROBLEMS, True, MAX_LISTED), Budget(MAX_PROBLEMS, False, 2), Budget(2, False, 1),
           Budget(1, False, 1))
"""From the fullest to the tersest; :func:`render_checkin` takes the first that fits :data:`MAX_LINES`."""
MAX_LINES, WIDTH = 15, 80
"""A check-in fits 15 lines of an 80-column terminal (title included, marker excluded)."""


def _problems(checkin: CheckIn, flavour: Flavour, links: bool, advised: set[str], budget: Budget) -> list[Entry]:
    found, hidden = checkin_problems(checkin, advised)
    shown, hidden = found[: budget.problems], hidden + max(0, len(found) - budget.problems)
    if not budget.all_advice:  # the first advice only: the most severe problem's
        first = next((p.advice for p in shown if p.advice), "")
        shown = tuple(replace(p, advice=p.advice if p.advice == first else "") for p in shown)
    advised.update(problem.advice for problem in shown if problem.advice)
    if not shown:
        return [_row(TEXTS["problems"], TEXTS["problems_none"], flavour)]
    head = TEXTS["problems"] + (f" ({TEXTS['problems_more'].format(count=hidden)})" if hidden else "")
    entries: list[Entry] = [(0, escape(f"{head}:", flavour))]
    for problem in shown:
        finding = problem.finding
        if problem.items:
            names = _listing([_item(ref, flavour, links) for ref in problem.items], flavour, budget.items)
            text = _fill(finding.rule, flavour, items=names)
        else:
            reason = finding.reason[:1].upper() + finding.reason[1:]
            text = escape(reason, flavour)
        if problem.advice:
            text = _fill("advice", flavour, problem=text, advice=escape(problem.advice, flavour))
        entries.append((1, text))
    return entries


def _plans(checkin: CheckIn, flavour: Flavour, links: bool) -> list[Entry]:
    people = checkin_plans(checkin)
    title = TEXTS["plans"].format(week=checkin.next_week)
    if not people:
        return [_row(title, TEXTS["plans_none"], flavour)]
    entries: list[Entry] = [(0, escape(f"{title}:", flavour))]
    for person, refs in people[:MAX_PEOPLE]:
        names = []
        for ref, carried in refs:
            text = _item(ref, flavour, links)
            names.append(_fill("carried_over", flavour, item=text) if carried else text)
        entries.append((1, _fill("person_plan", flavour, person=escape(person, flavour),
                                 items=_listing(names, flavour))))
    if len(people) > MAX_PEOPLE:
        entries.append((1, escape(TEXTS["more"].format(count=len(people) - MAX_PEOPLE), flavour)))
    return entries


def _week(week: WeekExecution) -> str:
    if not week.planned:
        return TEXTS["week_empty"].format(week=week.week[5:])
    return TEXTS["week_done"].format(week=week.week[5:], executed=week.executed, planned=week.planned)


def _execution(checkin: CheckIn) -> str:
    weeks = [_week(w) for w in (checkin.recent_weeks or (checkin.execution,))]
    if checkin.running_week:
        weeks.append(TEXTS["week_running"].format(week=checkin.running_week[5:]))
    return " · ".join(weeks)


def _entries(checkin: CheckIn, flavour: Flavour, owner: str | None, links: bool, advised: set[str],
             budget: Budget) -> list[Entry]:
    entries: list[Entry] = []
    if owner:
        entries.append((0, f"{escape(TEXTS['owner'], flavour)}: {owner}"))
    entries.append(_row(TEXTS["progress"], _progress(checkin), flavour))
    entries += _owner_voice(checkin, flavour)
    done = [_item(ref, flavour, links) for ref in checkin.done_this_week]
    entries.append(_row(TEXTS["done"], _listing(done, flavour) if done else escape(TEXTS["nothing"], flavour),
                        flavour, escaped=True))
    entries += _problems(checkin, flavour, links, advised, budget)
    entries += _plans(checkin, flavour, links)
    entries.append(_row(TEXTS["execution"], _execution(checkin), flavour))
    return entries


def terminal_lines(heading: str, entries: list[Entry], width: int = WIDTH) -> int:
    """Lines the plain-text check-in takes on a terminal ``width`` columns wide (wrapped under its bullets)."""
    count = len(textwrap.wrap(heading, width, break_long_words=False)) or 1
    for depth, text in entries:
        bullet = "- " if depth == 0 else "  * "
        count += len(textwrap.wrap(bullet + text, width, subsequent_indent=" " * len(bullet),
                                   break_long_words=False, break_on_hyphens=False)) or 1
    return count


def render_checkin(checkin: CheckIn, flavour: Flavour, *, title: str | None = None,
                   owner: str | None = None, links: bool = True, advised: set[str] | None = None) -> str:
    """The 3P check-in as a marked block for the flavour (one per KR and ISO week).

    ``owner`` is the KR owner's tracker-native mention (``[~accountid:…]``, ``@user``) or name; it is
    written as given (it is tracker markup), so the tracker notifies the owner. ``links=False`` leaves
    URLs out of plain text (the terminal), where they would double the line count. ``advised`` collects
    the advice given, across the check-ins of one digest, so that each piece of advice is printed once.
    The Problems are spelled out as far as the whole fits :data:`MAX_LINES` lines of :data:`WIDTH`
    columns as plain text (:data:`BUDGETS`); what is left out is counted and stays in the report.
    """
    given = set() if advised is None else advised
    heading = title if title is not None else TEXTS["title"].format(kr=checkin.kr_id, week=checkin.week)
    budget = BUDGETS[-1]
    for candidate in BUDGETS:
        plain = _entries(checkin, "text", None, False, set(given), candidate)
        if terminal_lines(heading, plain) + (1 if owner else 0) <= MAX_LINES:
            budget = candidate
            break
    entries = _entries(checkin, flavour, owner, links, given, budget)
    return format_block(checkin_marker(checkin.kr_id, checkin.week), heading, entries, flavour)
