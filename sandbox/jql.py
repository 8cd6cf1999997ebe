"""A real subset of JQL for the Jira emulator: tokenizer, recursive-descent parser, evaluator.

Supported (everything else is rejected with :class:`JqlError`, which the emulator turns into a 400 in
Jira's error shape, so a query is never silently answered wrongly)::

    query    := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr  := and_expr ((OR | "||") and_expr)*
    and_expr := not_expr ((AND | "&&") not_expr)*
    not_expr := (NOT | "!") not_expr | "(" or_expr ")" | clause
    clause   := field op operand
    field    := word | "quoted name" | cf[10001]
    op       := = | != | ~ | !~ | > | >= | < | <= | IN | NOT IN | IS | IS NOT
    operand  := value | "(" value ("," value)* ")" | EMPTY | NULL
    sort     := field [ASC | DESC]

Which fields exist, what kind they are and which values they accept is not known here: the caller
passes a ``resolve`` function returning a :class:`FieldRef` (see :func:`compile_query`). Dates are
``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd"``, ``"yyyy/MM/dd"`` in the searching
user's time zone, or relative periods such as ``-5m``, ``-2h``, ``-1d``, ``"-1w 2d"`` (from now).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_OPERATORS = ("!=", ">=", "<=", "!~", "=", "~", ">", "<")
_WORD = re.compile(r"[A-Za-z0-9_.\-:@+*/]+")
_CF = re.compile(r"cf\[(\d+)\]", re.IGNORECASE)
_RESERVED = set("%^$#[];?|{}")


class JqlError(ValueError):
    """The query is malformed, uses something unsupported, or names an unknown field or value."""


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is word, string, op, lparen, rparen, comma, cf or eof."""

    kind: str
    text: str
    pos: int


def tokenize(jql: str) -> list[Token]:
    """Split a JQL string into tokens; raise :class:`JqlError` on a reserved or unbalanced character."""
    tokens: list[Token] = []
    i = 0
    while i < len(jql):
        ch = jql[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            text, i = _read_string(jql, i)
            tokens.append(Token("string", text, i))
        elif ch in "(),":
            tokens.append(Token({"(": "lparen", ")": "rparen", ",": "comma"}[ch], ch, i))
            i += 1
        elif jql.startswith(("&&", "||"), i):
            tokens.append(Token("word", "and" if ch == "&" else "or", i))
            i += 2
        elif (m := _CF.match(jql, i)) is not None:
            tokens.append(Token("cf", m.group(1), i))
            i = m.end()
        elif op := next((o for o in _OPERATORS if jql.startswith(o, i)), None):
            tokens.append(Token("op", op, i))
            i += len(op)
        elif ch == "!":
            tokens.append(Token("word", "not", i))
            i += 1
        elif (m := _WORD.match(jql, i)) is not None:
            tokens.append(Token("word", m.group(0), i))
            i = m.end()
        else:
            kind = "a reserved JQL character" if ch in _RESERVED else "not allowed here"
            raise JqlError(f"The character '{ch}' is {kind}. You must enclose it in a string "
                           f"(line 1, character {i + 1})")
    tokens.append(Token("eof", "", len(jql)))
    return tokens


def _read_string(jql: str, start: int) -> tuple[str, int]:
    quote, out, i = jql[start], [], start + 1
    while i < len(jql):
        ch = jql[i]
        if ch == "\\" and i + 1 < len(jql):
            nxt = jql[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        elif ch == quote:
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise JqlError(f"The quoted string starting at character {start + 1} is not closed")


# --- syntax tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """``field op operand``; ``values`` is empty for IS [NOT] EMPTY."""

    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class BoolOp:
    """AND / OR over two or more sub-expressions."""

    op: str
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Negation of a sub-expression."""

    part: Node


Node = Clause | BoolOp | Not


@dataclass(frozen=True)
class Query:
    """A parsed query: an optional condition and the ORDER BY list of (field, "asc"|"desc")."""

    where: Node | None
    order_by: tuple[tuple[str, str], ...]


class _Parser:
    def __init__(self, jql: str) -> None:
        self.tokens = tokenize(jql)
        self.i = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def is_kw(self, word: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok.kind == "word" and tok.text.lower() == word

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect_kw(self, word: str) -> None:
        if not self.is_kw(word):
            self.fail(f"Expecting '{word.upper()}'")
        self.take()

    def fail(self, what: str) -> None:
        tok = self.peek()
        got = "the end of the query" if tok.kind == "eof" else f"'{tok.text}'"
        raise JqlError(f"{what} but got {got} (line 1, character {tok.pos + 1})")

    def query(self) -> Query:
        where = None if self.is_kw("order") or self.peek().kind == "eof" else self.or_expr()
        order: list[tuple[str, str]] = []
        if self.is_kw("order"):
            self.take()
            self.expect_kw("by")
            while True:
                field = self.field()
                direction = "asc"
                if self.is_kw("asc") or self.is_kw("desc"):
                    direction = self.take().text.lower()
                order.append((field, direction))
                if self.peek().kind != "comma":
                    break
                self.take()
        if self.peek().kind != "eof":
            self.fail("Expecting either 'OR' or 'AND'" if where else "Expecting a field name")
        return Query(where, tuple(order))

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.is_kw("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.is_kw("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def not_expr(self) -> Node:
        if self.is_kw("not"):
            self.take()
            return Not(self.not_expr())
        if self.peek().kind == "lparen":
            self.take()
            inner = self.or_expr()
            if self.peek().kind != "rparen":
                self.fail("Expecting ')'")
            self.take()
            return inner
        return self.clause()

    def field(self) -> str:
        tok = self.peek()
        if tok.kind == "cf":
            self.take()
            return f"cf[{tok.text}]"
        if tok.kind == "string" or (tok.kind == "word" and tok.text.lower() not in KEYWORDS):
            self.take()
            return tok.text
        self.fail("Expecting a field name")
        raise AssertionError  # unreachable: fail() raises

    def clause(self) -> Clause:
        field = self.field()
        tok = self.peek()
        if tok.kind == "op":
            self.take()
            if tok.text in {"=", "!="} and (self.is_kw("empty") or self.is_kw("null")):
                self.take()
                return Clause(field, "is" if tok.text == "=" else "is not", ())
            return Clause(field, tok.text, (self.value(),))
        if self.is_kw("in") or (self.is_kw("not") and self.is_kw("in", 1)):
            op = "not in" if self.is_kw("not") else "in"
            self.i += 2 if op == "not in" else 1
            return Clause(field, op, self.value_list())
        if self.is_kw("is"):
            self.take()
            op = "is"
            if self.is_kw("not"):
                self.take()
                op = "is not"
            if not (self.is_kw("empty") or self.is_kw("null")):
                self.fail("Expecting 'EMPTY' or 'NULL'")
            self.take()
            return Clause(field, op, ())
        if tok.kind == "word" and tok.text.lower() in {"was", "changed"}:
            raise JqlError(f"The operator '{tok.text.upper()}' is not supported by this Jira emulator")
        self.fail("Expecting operator")
        raise AssertionError  # unreachable

    def value(self) -> str:
        tok = self.peek()
        if tok.kind == "word" and self.peek(1).kind == "lparen":
            raise JqlError(f"The function '{tok.text}' is not supported by this Jira emulator "
                           f"(line 1, character {tok.pos + 1})")
        if self.is_kw("empty") or self.is_kw("null"):
            self.fail("EMPTY is only allowed with IS, IS NOT, = and != ; expecting a value")
        if tok.kind == "string" or (tok.kind == "word" and tok.text.lower() not in KEYWORDS):
            self.take()
            return tok.text
        self.fail("Expecting either a value, list or function")
        raise AssertionError  # unreachable

    def value_list(self) -> tuple[str, ...]:
        if self.peek().kind != "lparen":
            self.fail("Expecting '(' to start a list of values")
        self.take()
        values = [self.value()]
        while self.peek().kind == "comma":
            self.take()
            values.append(self.value())
        if self.peek().kind != "rparen":
            self.fail("Expecting ',' or ')'")
        self.take()
        return tuple(values)


def parse(jql: str) -> Query:
    """Parse JQL into a :class:`Query`; raise :class:`JqlError` (message without prefix) if invalid."""
    return _Parser(jql).query()


# --- binding and evaluation -----------------------------------------------------------------------

EQUALITY_KINDS = {"id", "option", "user", "labels"}
ORDERED_KINDS = {"date", "number"}
TEXT_KINDS = {"text"}


@dataclass(frozen=True)
class FieldRef:
    """What the caller knows about a field named in a query.

    ``kind``: ``id`` (project, key, issuetype, status, statusCategory, parent: values are alias sets),
    ``labels``, ``string``, ``option``, ``user`` (alias sets too), ``date``, ``number``, ``text``.
    ``known`` validates a literal for id kinds (returns an error message or None).
    """

    id: str
    name: str
    kind: str
    known: Callable[[str], str | None] | None = None


Resolver = Callable[[str], FieldRef | None]
Record = Callable[[FieldRef], list[Any]]
"""Values of one issue for a field: alias sets (frozenset of lower-case str), datetimes, floats, str."""


def compile_query(query: Query, resolve: Resolver, *, now: datetime, tz: tzinfo) -> Callable[[Record], bool]:
    """Bind field names and literals, checking each; return a predicate over issue records."""
    if query.where is None:
        return lambda _record: True
    return _compile(query.where, resolve, now, tz)


def sort_fields(query: Query, resolve: Resolver) -> list[tuple[FieldRef, bool]]:
    """The ORDER BY fields resolved, each with ``descending``; unknown fields raise :class:`JqlError`."""
    out = []
    for name, direction in query.order_by:
        ref = _resolve(name, resolve)
        if ref.kind in {"labels", "text"}:
            raise JqlError(f"Field '{ref.name}' does not support sorting.")
        out.append((ref, direction == "desc"))
    return out


def _resolve(name: str, resolve: Resolver) -> FieldRef:
    ref = resolve(name)
    if ref is None:
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    return ref


def _compile(node: Node, resolve: Resolver, now: datetime, tz: tzinfo) -> Callable[[Record], bool]:
    if isinstance(node, BoolOp):
        parts = [_compile(p, resolve, now, tz) for p in node.parts]
        if node.op == "and":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)
    if isinstance(node, Not):
        inner = _compile(node.part, resolve, now, tz)
        return lambda r: not inner(r)
    return _compile_clause(node, _resolve(node.field, resolve), now, tz)


def _compile_clause(c: Clause, ref: FieldRef, now: datetime, tz: tzinfo) -> Callable[[Record], bool]:
    op = c.op
    if op in {"is", "is not"}:
        want_empty = op == "is"
        return lambda r: (len(r(ref)) == 0) == want_empty
    if ref.kind in EQUALITY_KINDS and op in {"=", "!=", "in", "not in"}:
        wanted = _checked_literals(c, ref)
        if op in {"=", "in"}:
            return lambda r: any(v & wanted for v in r(ref))
        return lambda r: bool(r(ref)) and not any(v & wanted for v in r(ref))
    if ref.kind in ORDERED_KINDS and op in {"=", "!=", ">", ">=", "<", "<=", "in", "not in"}:
        parse_value = (lambda v: _parse_date(v, ref, now, tz)) if ref.kind == "date" else (
            lambda v: _parse_number(v, ref))
        bounds = [parse_value(v) for v in c.values]
        test = _ORDER_TESTS[op]
        if op in {"in", "not in"}:
            return lambda r: bool(r(ref)) and (any(x in bounds for x in r(ref)) == (op == "in"))
        return lambda r: any(test(x, bounds[0]) for x in r(ref))
    if ref.kind in TEXT_KINDS | {"string"} and op in {"~", "!~"}:
        needle = c.values[0].lower().strip("*")
        if op == "~":
            return lambda r: any(needle in str(x).lower() for x in r(ref))
        return lambda r: bool(r(ref)) and not any(needle in str(x).lower() for x in r(ref))
    raise JqlError(f"The operator '{op.upper()}' is not supported by the '{ref.name}' field.")


_ORDER_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda x, b: x == b, "!=": lambda x, b: x != b, ">": lambda x, b: x > b,
    ">=": lambda x, b: x >= b, "<": lambda x, b: x < b, "<=": lambda x, b: x <= b,
    "in": lambda x, b: x == b, "not in": lambda x, b: x != b,
}


def _checked_literals(c: Clause, ref: FieldRef) -> frozenset[str]:
    for value in c.values:
        if ref.known is not None and (problem := ref.known(value)) is not None:
            raise JqlError(problem)
    return frozenset(v.lower() for v in c.values)


def _parse_number(value: str, ref: FieldRef) -> float:
    try:
        return float(value)
    except ValueError:
        raise JqlError(f"The value '{value}' is not a valid number for the field '{ref.name}'.") from None


_PERIOD = re.compile(r"^\s*([+-]?)\s*((?:\d+\s*[wdhm]\s*)+)$", re.IGNORECASE)
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


def _parse_date(value: str, ref: FieldRef, now: datetime, tz: tzinfo) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    if (m := _PERIOD.match(value)) is not None:
        delta = timedelta()
        for amount, unit in _PERIOD_PART.findall(m.group(2)):
            delta += timedelta(**{_UNITS[unit.lower()]: int(amount)})
        return now - delta if m.group(1) == "-" else now + delta
    raise JqlError(f"Date value '{value}' for field '{ref.name}' is invalid. Valid formats include: "
                   "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
                   "or a period format e.g. '-5d', '4w 2d'.")


def day_start(day: date, tz: tzinfo) -> datetime:
    """Midnight of ``day`` in ``tz`` (how a date-only field such as ``duedate`` compares)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def sort_records(records: Sequence[Any], keys: list[tuple[FieldRef, bool]],
                 value: Callable[[Any, FieldRef], Any]) -> list[Any]:
    """Stable multi-key sort; empty values sort last ascending (first descending), like Jira."""
    out = list(records)
    for ref, descending in reversed(keys):
        present = [r for r in out if value(r, ref) is not None]
        missing = [r for r in out if value(r, ref) is None]

        def sort_key(record: Any, ref: FieldRef = ref) -> Any:
            return value(record, ref)

        present.sort(key=sort_key, reverse=descending)
        out = missing + present if descending else present + missing
    return out
