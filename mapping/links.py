"""Link rules: which KRs a work item serves, with one meaning on every tracker.

Connectors read the facts of an item (title, labels, custom field texts, parent key, issue links,
bucket, categories) and ask :class:`LinkRules` for its KR ids; the rules are compiled once, from plain
``(kind, value)`` pairs, so this module knows no configuration model and no tracker.

The one semantics, the same for Jira, GitLab and Planner:

- A **pattern** holds ``{kr}`` exactly once (``kr:{kr}``, ``[{kr}]``, ``KR {kr}``). Its literal text
  matches in any letter case (``KR:OBJ1-KR2`` matches ``kr:{kr}``).
- A **KR id** starts and ends with a letter or digit; inside it may hold any character except spaces,
  commas, semicolons and brackets. So ``OBJ1-KR2``, ``OBJ1/KR2``, ``OBJ1.KR2`` and ``O1_KR2`` are ids,
  written with either separator the id is kept as written.
- A **label**, **bucket** or **category** must match the pattern as a whole (surrounding spaces ignored).
- A **title prefix** matches at the start of the title after any leading spaces, and may repeat:
  ``[OBJ1-KR1] [OBJ2-KR3] Shared work`` serves both KRs. ``Draft [OBJ1-KR1]`` serves none.
- A **field** value is one or more KR ids separated by commas or semicolons.
- ``children_of_home`` links an item whose parent is a KR's home item; ``issue_link: <type>`` an item
  linked to a KR's home item by a link of that type (any letter case; ``any`` takes every type).
- An id that names a configured KR in another letter case is returned in the configured spelling; an id
  naming no configured KR is kept (mapping reports it), except from a pattern that is nothing but
  ``{kr}``: that would take every label or bucket ("Backlog") for a KR, so it links configured KRs only.
- KR ids come back in rule order, each once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

PLACEHOLDER = "{kr}"
PATTERN_KINDS = frozenset({"label", "title_prefix", "bucket", "category"})
"""Rule kinds whose value is a pattern with ``{kr}``."""
KINDS = PATTERN_KINDS | {"field", "children_of_home", "issue_link"}
ANY_LINK = "any"

_INNER = r"[^\s,;\[\](){}<>]"
_EDGE = r"[^\W_]"
KR_ID = f"{_EDGE}(?:{_INNER}*?{_EDGE})?"
"""A KR id: a letter or digit, optionally more characters ending in a letter or digit (shortest run)."""
_KR_ID_GREEDY = f"{_EDGE}(?:{_INNER}*{_EDGE})?"
_SEPARATORS = re.compile(r"[,;]")


def compile_pattern(pattern: str, *, placeholder: str = PLACEHOLDER) -> re.Pattern[str]:
    """A pattern as a case-insensitive regex capturing ``kr``; ``ValueError`` saying how to write it."""
    if pattern.count(placeholder) != 1:
        raise ValueError(f"link pattern {pattern!r} must contain {placeholder} exactly once, "
                         f"e.g. 'kr:{placeholder}' or '[{placeholder}]'")
    before, after = pattern.split(placeholder)
    before, after = before.lstrip(), after.rstrip()
    capture = KR_ID if after else _KR_ID_GREEDY
    return re.compile(re.escape(before) + f"(?P<kr>{capture})" + re.escape(after), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LinkFacts:
    """What a connector read about one work item, as plain data (only what its rules need)."""

    title: str = ""
    labels: Sequence[str] = ()
    fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Field id → the texts of its value (a list value gives several texts)."""
    parent: str | None = None
    """Key of the item's parent (Jira ``parent``), if any."""
    links: Sequence[tuple[str, str]] = ()
    """``(link type, other item's key)`` for every issue link of the item."""
    bucket: str | None = None
    categories: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    regex: re.Pattern[str] | None = None
    bare: bool = False
    name: str = ""
    """The field id or link type of a ``field`` / ``issue_link`` rule."""


@dataclass(frozen=True, slots=True)
class LinkRules:
    """A tracker's link rules, compiled once; :meth:`kr_ids` applies them to one item's facts."""

    rules: tuple[_Rule, ...] = ()

    @classmethod
    def compile(cls, rules: Iterable[tuple[str, object]], *, supported: Collection[str] = KINDS) -> LinkRules:
        """Compile ``(kind, value)`` pairs, e.g. ``("label", "kr:{kr}")``, ``("children_of_home", True)``.

        ``supported``: the kinds the tracker's connector declares. ``ValueError`` names the rule and how to
        fix it (a kind the tracker does not support, a pattern without ``{kr}``).
        """
        compiled: list[_Rule] = []
        for index, (kind, value) in enumerate(rules):
            if kind not in KINDS or kind not in supported:
                raise ValueError(f"link rule {index}: {kind!r} is not a link rule this tracker supports; use "
                                 f"one of {', '.join(sorted(KINDS & set(supported)))}")
            if kind in PATTERN_KINDS:
                text = str(value)
                try:
                    regex = compile_pattern(text)
                except ValueError as exc:
                    raise ValueError(f"link rule {index} ({kind}): {exc}") from None
                compiled.append(_Rule(kind, regex, bare=text.strip() == PLACEHOLDER))
            elif kind == "children_of_home":
                if value:
                    compiled.append(_Rule(kind))
            else:
                compiled.append(_Rule(kind, name=str(value) if kind == "field" else str(value).casefold()))
        return cls(tuple(compiled))

    def kinds(self) -> frozenset[str]:
        """The rule kinds present (a connector reads only the facts these need)."""
        return frozenset(rule.kind for rule in self.rules)

    def fields(self) -> tuple[str, ...]:
        """Field ids ``field`` rules read."""
        return tuple(rule.name for rule in self.rules if rule.kind == "field")

    def link_types(self) -> tuple[str, ...]:
        """Link types (casefolded) ``issue_link`` rules follow."""
        return tuple(rule.name for rule in self.rules if rule.kind == "issue_link")

    def kr_ids(self, facts: LinkFacts, *, known: Iterable[str] = (),
               homes: Mapping[str, Sequence[str]] | None = None) -> tuple[str, ...]:
        """Every KR id the item names, in rule order, each once.

        ``known``: the configured KR ids (canonical spelling; bare ``{kr}`` patterns link only these when
        given). ``homes``: home item key → the KR ids homed there (for children and issue links).
        """
        spelling = _Spelling(known)
        found: list[str] = []
        for rule in self.rules:
            def accept(kr: str, rule: _Rule = rule) -> str | None:
                return spelling.of(kr) or (None if rule.bare and spelling else kr)
            found += self._apply(rule, facts, homes or {}, accept)
        return tuple(dict.fromkeys(found))

    @staticmethod
    def _apply(rule: _Rule, facts: LinkFacts, homes: Mapping[str, Sequence[str]],
               accept: Callable[[str], str | None]) -> list[str]:
        if rule.kind == "title_prefix" and rule.regex is not None:
            return title_ids(rule.regex, facts.title, accept)
        if rule.regex is not None:
            names = {"label": facts.labels, "category": facts.categories,
                     "bucket": [facts.bucket] if facts.bucket else []}[rule.kind]
            ids = [m["kr"] for name in names if (m := rule.regex.fullmatch(str(name).strip()))]
        elif rule.kind == "field":
            ids = [kr for text in facts.fields.get(rule.name, ()) for part in _SEPARATORS.split(str(text))
                   if (kr := part.strip())]
        elif rule.kind == "children_of_home":
            ids = list(homes.get(facts.parent, ())) if facts.parent else []
        else:
            ids = [kr for kind, key in facts.links if rule.name in (ANY_LINK, kind.casefold())
                   for kr in homes.get(key, ())]
        return [kr for kr in map(accept, ids) if kr is not None]


def title_ids(regex: re.Pattern[str], title: str,
              accept: Callable[[str], str | None] = lambda kr: kr) -> list[str]:
    """KR ids of a title prefix pattern repeated at the start of ``title`` (leading spaces ignored).

    The prefixes end at the first text that is not one, or whose id ``accept`` refuses (so a bare
    ``{kr}`` prefix does not read every word of "Fix OBJ1-KR1" as an id).
    """
    found: list[str] = []
    rest = title.lstrip()
    while (match := regex.match(rest)) is not None and match.end() > 0:
        kr = accept(match["kr"])
        if kr is None:
            break
        found.append(kr)
        rest = rest[match.end():].lstrip()
    return found


def homes_by_key(kr_homes: Mapping[str, object]) -> dict[str, list[str]]:
    """Home item key → KR ids, from ``KR id → home`` where a home has a ``key`` (``mapping.HomeItem``)."""
    by_key: dict[str, list[str]] = {}
    for kr, home in kr_homes.items():
        by_key.setdefault(str(getattr(home, "key", home)), []).append(kr)
    return by_key


class _Spelling:
    """Configured KR ids by their case-folded form: ``obj1-kr2`` is ``OBJ1-KR2`` when that is configured."""

    def __init__(self, known: Iterable[str]) -> None:
        self.exact = frozenset(known)
        self.folded = {kr.casefold(): kr for kr in sorted(self.exact, reverse=True)}

    def __bool__(self) -> bool:
        return bool(self.exact)

    def of(self, kr: str) -> str | None:
        if kr in self.exact:
            return kr
        return self.folded.get(kr.casefold())
