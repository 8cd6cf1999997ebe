"""Numbers people type into tracker text, read the same way by every connector.

A Planner description line ``Cases closed: 1.234``, a GitLab scoped label ``score::3,6`` or a Jira text
field ``12,5`` is read by :mod:`mapping.numbers` in the configured locale. A value that cannot be read
(or reads two ways) is left out of the item's numbers and comes back as a sentence the connector reports
as an item problem, so the people who typed it learn why it does not count.
"""

from __future__ import annotations

from collections.abc import Iterable

from okr_sync.mapping.numbers import NumberError, NumberFormat, field_number, read_number


def numbers_in(description: str, wanted: Iterable[str], fmt: NumberFormat) -> tuple[dict[str, float], list[str]]:
    """Values of ``name: number`` lines for the wanted field names, and a sentence per unreadable one."""
    names = {name.casefold(): name for name in wanted}
    found: dict[str, float] = {}
    unread: list[str] = []
    for line in description.splitlines():
        key, sep, value = line.partition(":")
        name = names.get(key.strip().casefold()) if sep else None
        if name is None:
            continue
        try:
            found[name] = read_number(value, fmt)
        except NumberError as exc:
            unread.append(f"'{name}: {value.strip()}' not used: {exc.reason}")
    return found, unread


def number_or_problem(what: str, value: object, fmt: NumberFormat, unread: list[str]) -> float | None:
    """A field's value as a number (numbers as they are, text in the locale); an unreadable one adds
    ``<what> not used: <why>`` to ``unread`` and gives None (``what``: "field 'Recovered' = '3,6'")."""
    try:
        return field_number(value, fmt)
    except NumberError as exc:
        unread.append(f"{what} not used: {exc.reason}")
        return None
