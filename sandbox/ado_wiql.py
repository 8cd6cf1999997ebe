"""A WIQL subset for the Azure DevOps emulator: ``SELECT … FROM workitems WHERE … ORDER BY …``.

Conditions: ``[Field] <op> value`` with ``= <> != > >= < <=``, ``UNDER`` / ``NOT UNDER`` (tree paths),
``IN (…)`` / ``NOT IN (…)``, ``CONTAINS`` / ``NOT CONTAINS`` (on ``System.Tags``: a whole tag), joined by
``AND`` / ``OR`` / ``NOT`` and parentheses. Values: ``'text'`` (``''`` escapes a quote), numbers, ``@project``,
``@today`` (± days), ``@me``. Dates compare by day unless the request says ``timePrecision=true`` — the
service's rule, which makes a watermark with minutes useless without that flag.

Unknown syntax is a 400 ``VS402336``-style answer naming the token, as the service refuses bad queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from okr_sync.sandbox.ado_store import AdoError, WorkItem

_TOKEN = re.compile(r"\s*(?:(?P<field>\[[^\]]+\])|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
                    r"|(?P<macro>@\w+)|(?P<op><>|!=|>=|<=|=|>|<|\(|\)|,|\+|-)|(?P<word>[A-Za-z_][\w.]*))")
Predicate = Callable[[WorkItem], bool]


@dataclass
class Query:
    """A parsed query: the condition and the ordering."""

    where: Predicate
    order: list[tuple[str, bool]]


def _bad(text: str) -> AdoError:
    return AdoError(400, f"VS402336: The query syntax is not valid: {text}", "InvalidQueryTextException")


class _Parser:
    def __init__(self, text: str, *, project: str, me: str, today: date, time_precision: bool,
                 kind_of: Callable[[str], str]) -> None:
        self.tokens = self._lex(text)
        self.pos = 0
        self.project, self.me, self.today = project, me, today
        self.time_precision, self.kind_of = time_precision, kind_of

    @staticmethod
    def _lex(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise _bad(f"unexpected character {text[pos:pos + 10]!r}")
            kind = match.lastgroup or "word"
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def word(self, *words: str) -> bool:
        kind, text = self.peek()
        if kind == "word" and text.upper() in words:
            self.pos += 1
            return True
        return False

    def take(self, kind: str, text: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (text is not None and got.upper() != text):
            raise _bad(f"expected {text or kind} but found {got or 'the end'!r}")
        self.pos += 1
        return got

    def query(self) -> Query:
        self.take("word", "SELECT")
        while self.peek()[0] in ("field", "op") and self.peek()[1] != "(":
            self.pos += 1
        self.take("word", "FROM")
        self.take("word")
        where: Predicate = lambda item: True  # noqa: E731
        if self.word("WHERE"):
            where = self.expr()
        order: list[tuple[str, bool]] = []
        if self.word("ORDER"):
            self.take("word", "BY")
            while True:
                name = self.take("field")[1:-1]
                descending = self.word("DESC")
                self.word("ASC")
                order.append((name, descending))
                if self.peek() != ("op", ","):
                    break
                self.pos += 1
        self.word("ASOF")
        if self.peek()[0] != "end":
            raise _bad(f"unexpected {self.peek()[1]!r}")
        return Query(where, order)

    def expr(self) -> Predicate:
        left = self.term()
        while self.word("OR"):
            left = _either(left, self.term())
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.word("AND"):
            left = _both(left, self.factor())
        return left

    def factor(self) -> Predicate:
        if self.word("NOT"):
            inner = self.factor()
            return lambda item: not inner(item)
        if self.peek() == ("op", "("):
            self.pos += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.take("field")[1:-1]
        negate = self.word("NOT")
        kind, op = self.peek()
        if kind == "op" and op in ("=", "<>", "!=", ">", ">=", "<", "<="):
            self.pos += 1
            value = self.value(name)
            test = _compare(name, op, value, self)
        elif self.word("UNDER"):
            path = str(self.value(name)).casefold()
            test = lambda item: _text(item, name).casefold() in (path,) or \
                _text(item, name).casefold().startswith(path + "\\")  # noqa: E731
        elif self.word("IN"):
            self.take("op", "(")
            values = [self.value(name)]
            while self.peek() == ("op", ","):
                self.pos += 1
                values.append(self.value(name))
            self.take("op", ")")
            folded = {str(v).casefold() for v in values}
            test = lambda item: _text(item, name).casefold() in folded  # noqa: E731
        elif self.word("CONTAINS"):
            self.word("WORDS")
            needle = str(self.value(name)).casefold()
            if name.casefold() == "system.tags":
                test = lambda item: needle in _tags(item)  # noqa: E731
            else:
                test = lambda item: needle in _text(item, name).casefold()  # noqa: E731
        else:
            raise _bad(f"unknown operator {op!r} after [{name}]")
        return (lambda item: not test(item)) if negate else test

    def value(self, name: str) -> Any:
        kind, text = self.peek()
        self.pos += 1
        if kind == "str":
            raw: Any = text[1:-1].replace("''", "'")
        elif kind == "num":
            raw = float(text)
        elif kind == "macro" and text.casefold() == "@project":
            raw = self.project
        elif kind == "macro" and text.casefold() == "@me":
            raw = self.me
        elif kind == "macro" and text.casefold() == "@today":
            days = 0
            if self.peek()[1] in ("+", "-"):
                sign = -1 if self.take("op") == "-" else 1
                days = sign * int(float(self.take("num")))
            raw = datetime.combine(self.today + timedelta(days=days), datetime.min.time(), UTC)
        else:
            raise _bad(f"expected a value for [{name}] but found {text or 'the end'!r}")
        if self.kind_of(name) == "dateTime" and isinstance(raw, str):
            try:
                raw = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                raise AdoError(400, f"VS402625: The string '{raw}' is not recognized as a valid date for field "
                                    f"[{name}].", "InvalidQueryTextException") from None
            if raw.tzinfo is None:
                raw = raw.replace(tzinfo=UTC)
        return raw


def _text(item: WorkItem, name: str) -> str:
    value = item.fields.get(name)
    if isinstance(value, dict):
        return str(value.get("uniqueName") or value.get("displayName") or "")
    return "" if value is None else str(value)


def _tags(item: WorkItem) -> set[str]:
    return {t.strip().casefold() for t in str(item.fields.get("System.Tags") or "").split(";") if t.strip()}


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda item: first(item) or second(item)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda item: first(item) and second(item)


def _compare(name: str, op: str, value: Any, parser: _Parser) -> Predicate:
    def test(item: WorkItem) -> bool:
        left: Any
        right: Any
        have = item.fields.get(name)
        if name.casefold() == "system.teamproject":
            have = item.project
        if isinstance(value, datetime):
            if not isinstance(have, datetime):
                return op in ("<>", "!=")
            left, right = (have, value) if parser.time_precision else (have.date(), value.date())
        elif isinstance(value, float):
            if not isinstance(have, int | float):
                return op in ("<>", "!=")
            left, right = float(have), value
        else:
            left, right = _text(item, name).casefold(), str(value).casefold()
        return bool({"=": left == right, "<>": left != right, "!=": left != right, ">": left > right,
                     ">=": left >= right, "<": left < right, "<=": left <= right}[op])
    return test


def parse(text: str, *, project: str, me: str, today: date, time_precision: bool,
          kind_of: Callable[[str], str]) -> Query:
    """The parsed query, or a 400 :class:`AdoError` naming what is wrong."""
    if not text or not text.strip():
        raise _bad("the query is empty")
    return _Parser(text, project=project, me=me, today=today, time_precision=time_precision,
                   kind_of=kind_of).query()


def sort_key(order: list[tuple[str, bool]]) -> Callable[[WorkItem], Any]:
    """A sort key for ``ORDER BY`` (by id when none is given); descending fields are handled by the caller."""
    def key(item: WorkItem) -> Any:
        return (*(_orderable(item.fields.get(name)) for name, _ in order), item.id)
    return key


def _orderable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, int | float):
        return (1, float(value))
    return (0 if value is None else 2, str(value or ""))
