"""Burn-up charts as inline SVG: no script, readable text, the KR's own units, ISO-week ticks.

Geometry is progress (0 … 1 and beyond); labels are in the KR's units when it is a metric (baseline at
0, target at 1). The 70 % success line is drawn and labelled; unknown weeks leave a gap in the line;
a KR with no figure at all draws no line. Text is 14 units in a 340-unit-wide drawing, which stays
at or above 12 px wherever the card is 300 px or wider.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from okr_sync.mapping import MetricMeasure, iso_week
from okr_sync.mapping.history import Sample
from okr_sync.reports.model import Burnup, Point

W, H, LEFT, RIGHT, TOP, BOTTOM = 340, 220, 52, 10, 14, 34
FONT = 14
INK, MUTED, GRID, LINE = "#1d2430", "#4b5563", "#d9dee6", "#1d5fa8"
SUCCESS = 0.7


def number(value: float) -> str:
    """A compact figure: 12000000 → '12M', 1500 → '1.5k', 0.25 → '0.25'."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def in_units(progress: float, measure: MetricMeasure | None) -> str:
    """A progress fraction as the KR's own figure (metric) or a percentage."""
    if measure is None:
        return f"{progress * 100:.0f} %"
    return number(measure.baseline + progress * (measure.target - measure.baseline))


def _segments(points: Sequence[Sample]) -> list[list[Point]]:
    """Runs of known points; an unknown point ends a run (a gap, never a zero)."""
    runs: list[list[Point]] = [[]]
    for moment, value in points:
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((moment, value))
    return [run for run in runs if run]


def _week_ticks(start: datetime, end: datetime) -> list[tuple[datetime, str, bool]]:
    """Each ISO week's Monday in the range, with its label and whether the label is printed."""
    monday = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    if monday < start:
        monday += timedelta(days=7)
    mondays = []
    while monday <= end:
        mondays.append(monday)
        monday += timedelta(days=7)
    step = max(1, -(-len(mondays) // 5))  # at most five labels
    return [(m, iso_week(m.date())[5:], n % step == 0) for n, m in enumerate(mondays)]


def burnup_svg(b: Burnup, title: str, measure: MetricMeasure | None = None) -> str:
    """An inline SVG burn-up chart with a ``<title>`` and ``<desc>`` for screen readers."""
    known = [v for _, v in b.weekly if v is not None] + [v for _, v in b.recorded]
    top = min(max(1.0, *known, b.forecast or 0.0), 2.0)
    span = (b.end - b.start).total_seconds() or 1.0
    width, height = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: datetime) -> float:
        return round(LEFT + width * min(max((t - b.start).total_seconds() / span, 0.0), 1.0), 1)

    def y(v: float) -> float:
        return round(TOP + height * (1 - min(max(v, 0.0), top) / top), 1)

    def text(px: float, py: float, label: str, anchor: str = "start", fill: str = MUTED) -> str:
        return (f'<text x="{px}" y="{py}" font-size="{FONT}" text-anchor="{anchor}" fill="{fill}">'
                f"{escape(label)}</text>")

    ident = escape(f"chart-{b.subject}", quote=True)
    ahead = "not known yet" if b.forecast is None else in_units(b.forecast, measure)
    desc = f"Now {in_units(b.current, measure)}; forecast at cycle end {ahead}."
    parts = [f'<svg viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d"><title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(desc)}</desc>']
    for level in (0.0, 1.0):
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(level)}" y2="{y(level)}" stroke="{GRID}"/>'
                     + text(LEFT - 4, y(level) + 5, in_units(level, measure), "end"))
    parts.append(f'<line class="success" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(SUCCESS)}" y2="{y(SUCCESS)}" '
                 f'stroke="{MUTED}" stroke-dasharray="2 3"/>' + text(LEFT - 4, y(SUCCESS) + 5,
                                                                      in_units(SUCCESS, measure), "end")
                 + text(LEFT + 4, y(SUCCESS) - 4, "70 % success"))
    for monday, label, shown in _week_ticks(b.start, b.end):
        parts.append(f'<line x1="{x(monday)}" x2="{x(monday)}" y1="{TOP + height}" y2="{TOP + height + 4}" '
                     f'stroke="{MUTED}"/>')
        if shown:
            parts.append(text(x(monday), H - 12, label, "middle"))
    if b.start < b.now < b.end:
        parts.append(f'<line x1="{x(b.now)}" x2="{x(b.now)}" y1="{TOP}" y2="{TOP + height}" stroke="{MUTED}" '
                     f'stroke-width="1"/>' + text(x(b.now) + 3, TOP + 12, "today"))
    expected = " ".join(f"{x(t)},{y(v)}" for t, v in b.expected)
    parts.append(f'<polyline class="expected" points="{expected}" fill="none" stroke="{MUTED}" '
                 f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    for run in _segments(b.weekly):
        line = " ".join(f"{x(t)},{y(v)}" for t, v in run)
        parts.append(f'<polyline class="actual" points="{line}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    last = next((p for p in reversed(b.weekly) if p[1] is not None), None)
    if b.forecast is not None and b.now < b.end and last is not None and last[1] is not None:
        parts.append(f'<line class="forecast" x1="{x(last[0])}" y1="{y(last[1])}" x2="{x(b.end)}" '
                     f'y2="{y(b.forecast)}" stroke="{LINE}" stroke-width="2" stroke-dasharray="2 4"/>')
    parts += [f'<circle class="recorded" cx="{x(t)}" cy="{y(v)}" r="3" fill="#fff" stroke="{LINE}"/>'
              for t, v in b.recorded]
    parts.append("</svg>")
    return "".join(parts)
