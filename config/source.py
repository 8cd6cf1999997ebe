"""Reading the YAML file: values with the line each came from, and ``${NAME}`` interpolation.

Line numbers let every validation problem point at the admin's file (``okr-sync.yaml:42``). The
loader keeps YAML's safe types and records, for each key path, the line where its value starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from okr_sync.config.errors import ConfigurationError, Problem

KeyPath = tuple[str | int, ...]
MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest configuration text accepted: a 5,000-KR installation is about 1 MB; this leaves room and still
refuses a runaway file before parsing it."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists accepted (the schema itself needs fewer than ten levels)."""
MAX_VALUES = 300_000
"""Most values a configuration may expand to once YAML aliases are followed (stops "billion laughs": a
few kilobytes of aliases expand to billions; 5,000 KRs need about 100,000)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that stops composing past :data:`MAX_DEPTH` levels (long before Python's
    recursion limit, and before scanning thousands of nested brackets slowly)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than okr-sync reads (at most "
                                                              f"{MAX_DEPTH} levels)",
                                                  self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass
class SourceDocument:
    """A parsed configuration file: plain data plus the line of every key path."""

    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)
    file: str | None = None
    unset: list[tuple[KeyPath, str]] = field(default_factory=list)
    bad_values: list[Problem] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` or of its nearest ancestor that the file contains."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def read_file(path: Path) -> str:
    """Read the configuration text, turning every file-system mishap into one clear problem."""
    shown = str(path)
    if not path.exists():
        raise ConfigurationError(
            [Problem("", "configuration file not found; create it or pass --config PATH "
                         "(or set OKRSYNC_CONFIG)", file=shown)]
        )
    if path.is_dir():
        raise ConfigurationError([Problem("", "is a directory, not a configuration file; "
                                              "pass the YAML file itself with --config", file=shown)])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            [Problem("", f"is not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=shown)]
        ) from None
    except OSError as exc:
        raise ConfigurationError([Problem("", f"cannot be read: {exc.strerror}", file=shown)]) from None


def parse(text: str, *, file: str | None = None, environ: Mapping[str, str] | None = None) -> SourceDocument:
    """Parse YAML text into a :class:`SourceDocument`, interpolating ``${NAME}`` from ``environ``."""
    env = os.environ if environ is None else environ
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigurationError(
            [Problem("", f"the configuration is {size} bytes, more than the {MAX_CONFIG_BYTES} bytes okr-sync "
                         "reads; is this the right file? (long people lists belong in people_file)", file=file)]
        )
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise ConfigurationError(
            [Problem("", f"malformed YAML: nested deeper than okr-sync reads (at most {MAX_DEPTH} levels)",
                     file=file)]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigurationError(
            [decimal_comma(text, file) or
             Problem("", f"malformed YAML: {reason}; check indentation and quoting", line=line, file=file)]
        ) from None
    if node is None:
        raise ConfigurationError(
            [Problem("", "the configuration file is empty; start from examples/okr-sync.yaml", file=file)]
        )
    doc = SourceDocument(data={}, file=file)
    try:
        value = _build(node, (), doc, env, budget=[MAX_VALUES])
    except yaml.YAMLError as exc:  # a tag PyYAML's safe loader does not construct (!secret, merge keys, …)
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigurationError(
            [decimal_comma(text, file) or
             Problem("", f"unsupported YAML: {reason}; okr-sync reads plain mappings, lists and scalars "
                         "(no tags, no merge keys)", line=mark.line + 1 if mark is not None else None, file=file)]
        ) from None
    if not isinstance(value, dict):
        raise ConfigurationError(
            [Problem("", "the top level must be a mapping of sections (state, trackers, objectives, …)",
                     line=node.start_mark.line + 1, file=file)]
        )
    doc.data = value
    return doc


def _build(node: yaml.Node, path: KeyPath, doc: SourceDocument, env: Mapping[str, str], *,
           budget: list[int]) -> Any:
    """Plain data of ``node``; ``budget`` counts down the values still allowed (aliases expand)."""
    doc.lines.setdefault(path, node.start_mark.line + 1)
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigurationError([Problem(".".join(map(str, path)), f"the configuration expands to more than "
                                          f"{MAX_VALUES} values through YAML aliases (&anchor / *alias); "
                                          "write the values out instead of nesting aliases",
                                          line=node.start_mark.line + 1, file=doc.file)])
    if len(path) > MAX_DEPTH:
        raise ConfigurationError([Problem(".".join(map(str, path[:MAX_DEPTH])) + ".…",
                                          f"nested deeper than okr-sync reads (at most {MAX_DEPTH} levels)",
                                          line=node.start_mark.line + 1, file=doc.file)])
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) \
                else _scalar(key_node)
            key = str(key)
            child = (*path, key)
            if key in result:
                doc.lines[child] = key_node.start_mark.line + 1
                raise ConfigurationError([Problem(".".join(map(str, child)),
                                                  "key given twice in the same mapping; keep one",
                                                  line=key_node.start_mark.line + 1, file=doc.file)])
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, doc, env, budget=budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, env, budget=budget) for i, item in enumerate(node.value)]
    try:
        value = _scalar(node)
    except ValueError as exc:  # PyYAML builds dates eagerly: 2026-13-01 fails here
        doc.bad_values.append(Problem(".".join(map(str, path)), f"'{node.value}' is not a valid date ({exc}); "
                                      "write dates as YYYY-MM-DD", line=node.start_mark.line + 1, file=doc.file))
        return node.value
    if isinstance(value, bytes):
        doc.bad_values.append(Problem(".".join(map(str, path)), "binary values (!!binary) are not supported; "
                                      "write the value as text", line=node.start_mark.line + 1, file=doc.file))
        return None
    if isinstance(value, str) and "$" in value:
        value = _interpolate(value, path, doc, env)
    bad = _CONTROL.search(value) if isinstance(value, str) else None
    if bad is not None:
        code = ord(bad.group())
        doc.bad_values.append(Problem(".".join(map(str, path)), f"contains the control character U+{code:04X}; "
                                      "remove it (only tabs and line breaks are allowed in text)",
                                      line=node.start_mark.line + 1, file=doc.file))
    return value


def _scalar(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value


def _interpolate(value: str, path: KeyPath, doc: SourceDocument, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        if name not in env:
            doc.unset.append((path, name))
            return ""
        return env[name]

    return _VAR.sub(replace, value)


_DECIMAL_COMMA = re.compile(r"(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<whole>-?\d+),(?P<fraction>\d+)\s*(?=[,}\]#]|$)")


def decimal_comma(text: str, file: str | None) -> Problem | None:
    """A number written with a decimal comma (``baseline: 3,2``), which YAML reads as two things inside
    ``{…}``: the likely cause of a YAML error, reported on its own line with the form YAML wants."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DECIMAL_COMMA.search(line.split(" #", 1)[0])
        if match and not line.lstrip().startswith("#"):
            typed, meant = f"{match['whole']},{match['fraction']}", f"{match['whole']}.{match['fraction']}"
            return Problem(match["key"], f"{typed} is not a YAML number; write {meant} (numbers in okr-sync.yaml "
                                         "take a decimal point, whatever the locale)", line=number, file=file)
    return None
