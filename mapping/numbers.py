"""Reading the numbers people type in trackers, the way their locale writes them.

One reader for every value a person types — a manual ``okr-value: 3,6``, a ``Cases closed: 1.234`` line
in a Planner description, a Jira text field holding ``12,5``, a GitLab scoped label — so no connector
reads ``3,6`` as 36 (the comma dropped) while another reads it as 3.6.

The configured ``locale`` decides the decimal mark. In a decimal-comma locale (``pt-BR``, ``es``, ``de``…)
``3,6`` is 3.6 and ``1.234,5`` is 1234.5; in a decimal-point locale (``en``…) ``3.6`` is 3.6 and
``1,234.5`` is 1234.5. A separator that could be either — ``3,6`` under ``en``, ``3.6`` under ``pt-BR``
(not followed by exactly three digits, so not a thousands separator) — is **ambiguous**: the reader
refuses it with a message saying how to write it, and the caller reports it instead of guessing.
Spaces (also no-break and narrow no-break), underscores and apostrophes group thousands in any locale.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

DEFAULT_LOCALE = "en"
_COMMA_LANGUAGES = frozenset({
    "pt", "es", "fr", "de", "it", "nl", "ru", "pl", "tr", "id", "da", "sv", "nb", "nn", "no", "fi", "cs",
    "sk", "sl", "hr", "sr", "ro", "hu", "bg", "uk", "el", "ca", "gl", "eu", "vi", "lt", "lv", "et", "is",
})
"""Languages whose usual decimal mark is a comma."""
_POINT_REGIONS = frozenset({
    "es-mx", "es-us", "es-pr", "es-do", "es-gt", "es-hn", "es-ni", "es-pa", "es-sv", "de-ch", "fr-ch", "it-ch",
})
"""Regions of those languages that write a decimal point (Mexico, Central America, Switzerland)."""
_GROUP_MARKS = " _'\u00a0\u202f\u2009"
_MINUS = "-\u2212"
_TOKEN = re.compile(r"[-+\u2212]?\s*[\d.,][\d.,_' \u00a0\u202f\u2009]*")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class NumberError(ValueError):
    """A typed number that is not used: unreadable, or ambiguous under the locale. The message says why
    and how to write it."""

    def __init__(self, text: str, reason: str, *, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.text = text
        self.reason = reason
        self.ambiguous = ambiguous


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How a locale writes numbers: its decimal mark and its thousands mark (the other of ``.`` ``,``)."""

    locale: str
    decimal: str

    @property
    def group(self) -> str:
        """The thousands mark that is not the decimal mark."""
        return "." if self.decimal == "," else ","

    @property
    def example(self) -> str:
        """One thousand two hundred thirty-four and a half, the way this locale writes it."""
        return f"1{self.group}234{self.decimal}5"

    def write(self, value: float) -> str:
        """``value`` the way this locale writes it, without grouping (for hints: "write 3,6")."""
        text = f"{value:.10f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
        return text.replace(".", self.decimal)


def is_locale(tag: str) -> bool:
    """Whether ``tag`` has the form of a BCP 47 language tag (``en``, ``pt-BR``, ``es_419``)."""
    return bool(_LOCALE.match(tag))


def number_format(locale: str | None) -> NumberFormat:
    """The number format of a locale tag (``pt-BR``, ``pt_BR``, ``en``); unknown languages write a point."""
    tag = (locale or DEFAULT_LOCALE).strip().replace("_", "-").casefold()
    language, _, _ = tag.partition("-")
    region = "-".join(tag.split("-")[:2])
    comma = language in _COMMA_LANGUAGES and region not in _POINT_REGIONS
    return NumberFormat(locale=locale or DEFAULT_LOCALE, decimal="," if comma else ".")


def read_number(text: str, fmt: NumberFormat) -> float:
    """The number ``text`` is, written the locale's way; :class:`NumberError` when it is not one.

    The whole text must be the number (surrounding spaces aside); use :func:`leading_number` for a
    number followed by words.
    """
    body = text.strip()
    if not body:
        raise NumberError(text, "no number given")
    sign = -1.0 if body[0] in _MINUS else 1.0
    digits = body[1:].lstrip() if body[0] in _MINUS + "+" else body
    if not digits or not re.fullmatch(r"[\d.,_' \u00a0\u202f\u2009]+", digits) or not any(c.isdigit() for c in digits):
        raise NumberError(text, f"'{body}' is not a number; write digits such as {fmt.example}")
    value = sign * _unsigned(digits, body, fmt)
    if not math.isfinite(value):
        raise NumberError(text, f"'{body}' is too large")
    return value


def leading_number(text: str, fmt: NumberFormat) -> float:
    """The number at the start of ``text``, words after it allowed (``3,6 — survey of November``)."""
    match = _TOKEN.match(text.strip())
    if match is None:
        raise NumberError(text, f"'{text.strip()}' is not a number; write e.g. {fmt.write(3.6)}")
    token = match.group().rstrip(_GROUP_MARKS)
    rest = text.strip()[len(token):]
    token = token.rstrip(".,") if not rest.strip() or rest[:1].isspace() else token  # a sentence's full stop
    if rest[:1].isalnum():
        raise NumberError(text, f"'{text.strip()}' is not a number; write e.g. {fmt.write(3.6)}")
    return read_number(token, fmt)


def field_number(value: Any, fmt: NumberFormat) -> float | None:
    """A tracker field's value as a number: numbers as they are, text read the locale's way.

    ``None`` and booleans are "no value" (None); text that is not a number raises :class:`NumberError`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise NumberError(str(value), f"'{value}' is not a finite number")
        return float(value)
    text = str(value)
    return None if not text.strip() else read_number(text, fmt)


def _unsigned(digits: str, shown: str, fmt: NumberFormat) -> float:
    plain = "".join(c for c in digits if c not in _GROUP_MARKS) if _grouped(digits) else None
    if plain is None:
        raise NumberError(shown, f"'{shown}' has digit groups okr-sync cannot read; write e.g. "
                                 f"{fmt.write(1234.5)}")
    dec, group = fmt.decimal, fmt.group
    if dec in plain and group in plain:
        if plain.rfind(group) > plain.rfind(dec):
            raise _ambiguous(shown, group, fmt)
        whole, _, fraction = plain.rpartition(dec)
        return float(_whole(whole, group, shown, fmt) + "." + _fraction(fraction, shown, fmt))
    if dec in plain:
        whole, _, fraction = plain.partition(dec)
        if dec in fraction:
            raise NumberError(shown, f"'{shown}' has more than one '{dec}'; locale {fmt.locale} writes one "
                                     f"decimal mark, e.g. {fmt.write(1234.5)}")
        return float((whole or "0") + "." + _fraction(fraction, shown, fmt))
    return float(_whole(plain, group, shown, fmt))


def _grouped(digits: str) -> bool:
    """Spaces, underscores and apostrophes only between digit groups of three."""
    parts = re.split(r"[" + _GROUP_MARKS + r"]", digits)
    if len(parts) == 1:
        return True
    head, *groups = parts
    return bool(head) and head[-1:].isdigit() and all(re.match(r"^\d{3}(?!\d)", g) for g in groups)


def _whole(text: str, group: str, shown: str, fmt: NumberFormat) -> str:
    """The digits of a whole part, thousands marks checked and dropped."""
    head, *groups = text.split(group)
    if not groups:
        return head or "0"
    if re.fullmatch(r"\d{1,3}", head) and all(re.fullmatch(r"\d{3}", g) for g in groups):
        return head + "".join(groups)
    raise _ambiguous(shown, group, fmt)


def _ambiguous(shown: str, mark: str, fmt: NumberFormat) -> NumberError:
    return NumberError(shown, f"'{shown}' is ambiguous in locale {fmt.locale}, which writes {fmt.example}; "
                              f"write {_hint(shown, mark, fmt)}", ambiguous=True)


def _fraction(fraction: str, shown: str, fmt: NumberFormat) -> str:
    if not re.fullmatch(r"\d+", fraction):
        raise NumberError(shown, f"'{shown}' has no digits after '{fmt.decimal}'; write e.g. {fmt.write(3.6)}")
    return fraction


def _hint(shown: str, mark: str, fmt: NumberFormat) -> str:
    """The locale's way of writing ``shown`` read with ``mark`` as its one decimal mark (the writer's
    likely meaning: ``3,6`` under ``en`` → ``3.6``), else a generic example."""
    plain = "".join(c for c in shown if c not in _GROUP_MARKS)
    other = "." if mark == "," else ","
    whole, _, fraction = plain.replace(other, "").rpartition(mark)
    digits = whole.lstrip("+-\u2212")
    if mark in whole or not fraction or (digits and not digits.isdigit()):
        return f"e.g. {fmt.example}"
    if not digits:
        whole += "0"
    return f"{whole}{fmt.decimal}{fraction}"
