"""Loading and validating ``okr-sync.yaml``: every problem at once, each with its file line.

Order: read the file → parse YAML (lines kept) → interpolate ``${NAME}`` → apply ``OKRSYNC_*``
environment overrides → type-check with the models → check what types cannot (references, duplicates,
patterns) → collect warnings about the OKR method (deliverable KRs, too many KRs, single-department
cross-sector objectives).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import EnvSettingsSource

from okr_sync.config.checks import semantic_problems, warnings_for
from okr_sync.config.errors import ConfigurationError, Problem
from okr_sync.config.models import Settings
from okr_sync.config.people import read_people_file
from okr_sync.config.plugins import GROUP, broken, installed
from okr_sync.config.source import KeyPath, SourceDocument, parse, read_file

DEFAULT_CONFIG = "okr-sync.yaml"
MAX_PROBLEMS = 200
"""Problems listed at most; beyond that one last line says how many more there are."""


@dataclass
class LoadedConfig:
    """A valid configuration with the warnings found while loading it."""

    settings: Settings
    warnings: list[Problem] = field(default_factory=list)
    file: str | None = None


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` if given, else ``$OKRSYNC_CONFIG``, else ``./okr-sync.yaml``."""
    return Path(explicit or os.environ.get("OKRSYNC_CONFIG") or DEFAULT_CONFIG)


def load_config(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Load and validate a configuration file; raise :class:`ConfigurationError` listing every problem."""
    file = config_path(path)
    return load_text(read_file(file), file=str(file), environ=environ)


def load_text(text: str, *, file: str | None = None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load and validate configuration text (see :func:`load_config`)."""
    env = os.environ if environ is None else environ
    doc = parse(text, file=file, environ=env)
    data = _with_env_overrides(doc.data, env)
    data = _with_people_file(data, file)
    problems = [
        Problem(_dotted(p), f"environment variable {name} is not set; export {name} or write the value "
                            f"in the file", line=doc.line_of(p), file=file)
        for p, name in doc.unset
    ] + doc.bad_values
    settings: Settings | None = None
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems += _type_problems(exc, doc, data)
    try:
        problems += [_locate(p, doc) for p in semantic_problems(data)]
    except (TypeError, AttributeError, ValueError, KeyError):
        if settings is not None:
            raise  # well-typed settings must never trip the checks: that is a bug to see, not to hide
        # values of the wrong type (already reported above) can trip checks written for valid types
    problems = _dedupe(problems)
    if problems or settings is None:
        ordered = sorted(problems, key=lambda p: (p.line or 0, p.path))
        if len(ordered) > MAX_PROBLEMS:
            hidden = len(ordered) - MAX_PROBLEMS
            ordered = [*ordered[:MAX_PROBLEMS], Problem("", f"{hidden} more problems not shown; fix the ones "
                                                            "above and validate again", file=file)]
        raise ConfigurationError(ordered)
    warnings = [_locate(p, doc) for p in warnings_for(data)]
    return LoadedConfig(settings=settings, warnings=warnings, file=file)


def _with_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    source = EnvSettingsSource(Settings, case_sensitive=False)
    source.env_vars = {k.lower(): v for k, v in environ.items()}
    overrides = source()
    return _deep_merge(data, overrides)


def _with_people_file(data: dict[str, Any], file: str | None) -> dict[str, Any]:
    """Append the people of ``people_file`` to the ``people`` section."""
    people_file = data.get("people_file")
    if not isinstance(people_file, str) or not people_file:
        return data
    base = Path(file).parent if file else None
    extra = read_people_file(Path(people_file), base=base)
    inline = data.get("people")
    return {**data, "people": [*(inline if isinstance(inline, list) else []), *extra]}


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _type_problems(exc: ValidationError, doc: SourceDocument, data: dict[str, Any]) -> list[Problem]:
    problems = []
    for error in exc.errors(include_input=True, include_url=False):  # input shown only by _typed_value
        path = _data_path(error["loc"], data)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, str(error.get("ctx", {}).get("discriminator", "kind")).strip("'"))
        message = _message(error, path)
        problems.append(Problem(_dotted(path), message, line=doc.line_of(path), file=doc.file))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Drop pydantic's union tags from ``loc`` so it names keys that exist in the YAML."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or in_list:
            node = node[part]
        elif _is_union_tag(part, node):
            continue
        else:
            node = None
        path.append(part)
    return tuple(path)


def _is_union_tag(part: Any, node: Any) -> bool:
    if not isinstance(part, str):
        return False
    if isinstance(node, dict) and part in (node.get("kind"), node.get("type")):
        return True
    return "[" in part or part in {"str", "int", "float", "bool"} or part[:1].isupper()


def _message(error: Any, path: KeyPath) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (
            f"; allowed keys: {', '.join(sorted(allowed))}" if allowed else "")
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        discriminator, tag = ctx.get("discriminator", "kind"), ctx.get("tag")
        if len(path) == 3 and path[0] == "trackers":
            return _unknown_tracker_kind(str(tag))
        return f"unknown {discriminator} '{tag!s}'; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"{error.get('ctx', {}).get('discriminator', 'kind')} is required"
    typed = _typed_value(error)
    if typed is not None:
        return typed
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _typed_value(error: Any) -> str | None:
    """Messages that name what was typed and the form wanted, for the mistakes people make: a value not in
    a fixed list (``kind: vanity``), a decimal comma (``baseline: 3,2``), a date not in ISO form
    (``start: 01/10/2026``). Only these kinds show the input: they are never secrets."""
    kind, value = error["type"], error.get("input")
    if kind == "literal_error":
        allowed = [a.strip().strip("'") for a in str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
                   .split(",") if a.strip()]
        return f"'{value}' is not allowed here; use one of {', '.join(allowed)}"
    if kind in ("float_parsing", "int_parsing") and isinstance(value, str) and re.fullmatch(r"-?\d+,\d+", value):
        return (f"{value} is not a YAML number; write {value.replace(',', '.')} (numbers in okr-sync.yaml take a "
                "decimal point, whatever the locale)")
    if kind.startswith(("date_", "datetime_")) and isinstance(value, str):
        return f"'{value}' is not a date okr-sync reads; write YYYY-MM-DD, e.g. 2026-10-01 for 1 October 2026"
    return None


def _unknown_tracker_kind(tag: str) -> str:
    """A ``kind`` no installed connector serves: the close one, the installed ones, how to add one."""
    unusable = broken().get(tag)
    if unusable:
        return f"the connector for kind '{tag}' is installed but cannot be used: {unusable}"
    kinds = list(installed())
    close = difflib.get_close_matches(tag, kinds, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (f"unknown kind '{tag}'; {hint}installed tracker kinds: {', '.join(kinds) or 'none'} (a connector for "
            f"another tracker is a package registering under the entry-point group {GROUP})")


def _allowed_keys(path: KeyPath) -> list[str]:
    """The keys the model accepts at ``path`` (all union members' keys where the type is a union)."""
    annotations: list[Any] = [Settings]
    for part in path:
        following: list[Any] = []
        for annotation in (a for ann in annotations for a in _members(ann)):
            origin = get_origin(annotation)
            if origin in (list, dict):
                following.append(get_args(annotation)[-1])
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                info = annotation.model_fields.get(str(part))
                if info is not None:
                    following.append(info.annotation)
        annotations = following
    keys: set[str] = set()
    for annotation in (a for ann in annotations for a in _members(ann)):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.update(annotation.model_fields)
    return sorted(keys)


def _members(annotation: Any) -> list[Any]:
    """The concrete types behind ``Annotated`` and unions; containers are kept whole."""
    if get_origin(annotation) in (list, dict):
        return [annotation]
    args = get_args(annotation)
    if not args:
        return [annotation]
    return [member for arg in args for member in _members(arg)]


def _locate(problem: Problem, doc: SourceDocument) -> Problem:
    path = tuple(int(p) if p.isdigit() else p for p in problem.path.split(".") if p) if problem.path else ()
    return Problem(problem.path, problem.message, line=doc.line_of(path), file=doc.file)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            unique.append(problem)
    return unique
