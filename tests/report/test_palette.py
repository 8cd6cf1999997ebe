"""The status palette is readable and colour-blind safe (issue 20): white text on every status colour reaches
WCAG's 4.5:1, and a deuteranopia simulation keeps on track, at risk and off track apart."""

from __future__ import annotations

import itertools
import math

import pytest

from okr_sync.reports.statuses import STATUSES

# Machado, Oliveira & Fernandes (2009), deuteranomaly at severity 1.0, applied to linear RGB.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))
WORKING = ("on_track", "at_risk", "off_track")


def linear(hex_colour: str) -> tuple[float, float, float]:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return r, g, b


def luminance(rgb: tuple[float, float, float]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a linear sRGB colour."""
    x = (0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2]) / 0.95047
    y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    z = (0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def simulate(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    out = [sum(m * c for m, c in zip(row, rgb, strict=True)) for row in DEUTERANOPIA]
    return (min(max(out[0], 0.0), 1.0), min(max(out[1], 0.0), 1.0), min(max(out[2], 0.0), 1.0))


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_white_text_on_each_status_colour_reaches_4_5_to_1(status: str) -> None:
    contrast = 1.05 / (luminance(linear(STATUSES[status].colour)) + 0.05)
    assert contrast >= 4.5, f"{status}: {contrast:.2f}:1"


def test_deuteranopia_keeps_the_working_states_apart() -> None:
    seen = {s: lab(simulate(linear(STATUSES[s].colour))) for s in WORKING}
    for a, b in itertools.combinations(WORKING, 2):
        assert math.dist(seen[a], seen[b]) >= 30, (a, b, math.dist(seen[a], seen[b]))


def test_every_status_has_its_own_word_and_icon() -> None:
    assert len({look.icon for look in STATUSES.values()}) == len(STATUSES)
    assert len({look.word for look in STATUSES.values()}) == len(STATUSES)
