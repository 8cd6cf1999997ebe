"""Checks types cannot express: references, duplicates, patterns, and the OKR method's advice.

They run on the raw (merged) data, so they still report when some part failed type checks: the admin
sees every problem of the file in one run.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okr_sync.config.errors import Problem
from okr_sync.config.plugins import installed
from okr_sync.config.trackers import PATTERN_RULES, LinkRule

_CHECKIN = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]\d|2[0-3]):[0-5]\d$", re.IGNORECASE)


def semantic_problems(data: dict[str, Any]) -> list[Problem]:
    """Every cross-reference and rule problem of the configuration (errors)."""
    return list(_errors(data))


def warnings_for(data: dict[str, Any]) -> list[Problem]:
    """Advice from the OKR method: allowed, but worth a second look."""
    found = []
    for o_index, objective in _items(data.get("objectives")):
        at = f"objectives.{o_index}"
        krs = list(_items(objective.get("key_results")))
        if len(krs) > 5:
            found.append(Problem(f"{at}.key_results", f"objective {objective.get('id')} has {len(krs)} KRs; "
                                 "more than 5 dilutes focus — keep the 3–5 that matter most"))
        for k_index, kr in krs:
            if kr.get("kind") == "deliverable":
                found.append(Problem(f"{at}.key_results.{k_index}.kind",
                                     f"KR {kr.get('id')} is a deliverable; prefer an outcome (a value or "
                                     "quality KR) that says what changes for citizens"))
        listed = [d for d in objective.get("departments") or [] if isinstance(d, str)]
        owners_departments = {kr.get("department") for _, kr in krs if kr.get("department")}
        if len(set(listed)) >= 2 and len(owners_departments) == 1:
            found.append(Problem(f"{at}.departments",
                                 f"objective {objective.get('id')} lists {len(set(listed))} departments but all "
                                 f"its KR owners are in {owners_departments.pop()}; give the other "
                                 "departments a KR or drop them from the list"))
    trackers = data.get("trackers")
    for name, tracker in (trackers.items() if isinstance(trackers, dict) else ()):
        if isinstance(tracker, dict) and tracker.get("verify_tls") is False:
            found.append(Problem(f"trackers.{name}.verify_tls",
                                 "TLS verification is OFF: anyone on the network path can read the token and "
                                 "forge answers; set ca_cert to your CA bundle instead"))
    return found


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _suggest(name: object, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; known: {', '.join(known)}" if known else "; none is defined"


def _errors(data: dict[str, Any]) -> Iterator[Problem]:
    trackers = _mapping(data.get("trackers"))
    yield from _state_and_schedule(data)
    yield from _tracker_links(trackers)
    cycles = list(_items(data.get("cycles")))
    yield from _duplicates("cycles", [(i, c.get("id")) for i, c in cycles], "cycle")
    for index, cycle in cycles:
        start, end = _as_date(cycle.get("start")), _as_date(cycle.get("end"))
        if start is not None and end is not None and start >= end:
            yield Problem(f"cycles.{index}.end", f"cycle {cycle.get('id')} ends ({end}) before or on its start "
                                                 f"({start}); the end must come after the start")
    cycle_ids = [str(c.get("id")) for _, c in cycles]
    objectives = list(_items(data.get("objectives")))
    objective_ids = [str(o.get("id")) for _, o in objectives]
    yield from _duplicates("objectives", [(i, o.get("id")) for i, o in objectives], "objective")
    kr_places = [(f"objectives.{oi}.key_results.{ki}", kr) for oi, o in objectives
                 for ki, kr in _items(o.get("key_results"))]
    seen: dict[str, str] = {}
    for at, kr in kr_places:
        kr_id = str(kr.get("id"))
        if kr_id in seen:
            yield Problem(f"{at}.id", f"duplicate KR id {kr_id} (first defined at {seen[kr_id]}); KR ids must "
                                      "be unique across all objectives")
        seen.setdefault(kr_id, at)
    for index, objective in objectives:
        at = f"objectives.{index}"
        if "cycle" in objective and str(objective.get("cycle")) not in cycle_ids:
            wanted = objective.get("cycle")
            yield Problem(f"{at}.cycle", f"unknown cycle '{wanted}'{_suggest(wanted, cycle_ids)}")
        if not str(objective.get("why") or "").strip():
            yield Problem(f"{at}.why", f"objective {objective.get('id')} has no why; say why it matters to "
                                       "citizens (the impact), in one sentence")
        for p_index, parent in enumerate(objective.get("parents") or []):
            if str(parent) not in objective_ids:
                yield Problem(f"{at}.parents.{p_index}",
                              f"unknown objective '{parent}'{_suggest(parent, objective_ids)}")
        yield from _home(f"{at}.home", objective.get("home"), trackers)
    for at, kr in kr_places:
        yield from _key_result(at, kr, trackers, objective_ids)
    yield from _people(data, objectives)
    for index, rule in _items(data.get("discover")):
        if str(rule.get("tracker")) not in trackers:
            yield Problem(f"discover.{index}.tracker", f"unknown tracker '{rule.get('tracker')}'"
                                                      f"{_suggest(rule.get('tracker'), list(trackers))}")


def _state_and_schedule(data: dict[str, Any]) -> Iterator[Problem]:
    state = data.get("state")
    url = state.get("url") if isinstance(state, dict) else None
    if isinstance(url, str) and not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", url):
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        yield Problem("state.url", f"unsupported state store '{scheme}'; use sqlite:///okr-sync.db or "
                                   "postgresql+psycopg://user@host/db")
    schedule = _mapping(data.get("schedule"))
    checkin = schedule.get("checkin")
    if isinstance(checkin, str) and not _CHECKIN.match(checkin.strip()):
        yield Problem("schedule.checkin", f"'{checkin}' is not a weekday and time; write it like 'mon 09:00'")
    zone = schedule.get("timezone")
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            yield Problem("schedule.timezone", f"unknown time zone '{zone}'; use an IANA name such as "
                                               "Europe/Lisbon or America/Sao_Paulo")
    server = _mapping(data.get("server"))
    listen = server.get("listen")
    if isinstance(listen, str) and not re.match(r"^[\w.\-:\[\]]*:\d{1,5}$", listen):
        yield Problem("server.listen", f"'{listen}' is not host:port; write it like 127.0.0.1:8080")


def _tracker_links(trackers: dict[str, Any]) -> Iterator[Problem]:
    for name, tracker in trackers.items():
        if not isinstance(tracker, dict):
            continue
        kind = tracker.get("kind")
        plugin = installed().get(str(kind))
        for index, rule in _items(tracker.get("link")):
            at = f"trackers.{name}.link.{index}"
            for key, value in rule.items():
                if plugin is not None and key in LinkRule.model_fields and key not in plugin.link_rules \
                        and value not in (None, False):
                    allowed = ", ".join(sorted(plugin.link_rules))
                    yield Problem(f"{at}.{key}", f"link rule '{key}' does not exist for {kind}; use one of {allowed}")
                elif key in PATTERN_RULES and isinstance(value, str) and "{kr}" not in value:
                    yield Problem(f"{at}.{key}", f"pattern '{value}' has no {{kr}} placeholder; write where the KR "
                                                 f"id goes, e.g. '{value}{{kr}}'")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _duplicates(section: str, ids: list[tuple[int, Any]], what: str) -> Iterator[Problem]:
    counts = Counter(str(i) for _, i in ids if i is not None)
    first: dict[str, int] = {}
    for index, value in ids:
        if value is not None and counts[str(value)] > 1:
            if str(value) in first:
                yield Problem(f"{section}.{index}.id", f"duplicate {what} id {value} (first at "
                                                       f"{section}.{first[str(value)]}); ids must be unique")
            first.setdefault(str(value), index)


def _home(at: str, home: Any, trackers: dict[str, Any]) -> Iterator[Problem]:
    if not isinstance(home, dict):
        return
    name = home.get("tracker")
    if name not in trackers:
        yield Problem(f"{at}.tracker", f"home on tracker '{name}', which is not configured under trackers"
                                       f"{_suggest(name, list(trackers))}")
        return
    kind = trackers[name].get("kind") if isinstance(trackers[name], dict) else None
    plugin = installed().get(str(kind))
    needed = tuple(key for key, info in plugin.home.model_fields.items() if info.is_required()) if plugin else ()
    missing = [key for key in needed if home.get(key) in (None, "")]
    if missing:
        yield Problem(at, f"a {kind} home needs {' and '.join(needed)} (missing {', '.join(missing)})")
    extra = [k for k in home if k != "tracker" and k not in needed and home.get(k) is not None]
    if extra and needed:
        yield Problem(f"{at}.{extra[0]}",
                      f"'{extra[0]}' does not apply to a {kind} home; it takes {' and '.join(needed)}")


def _key_result(at: str, kr: dict[str, Any], trackers: dict[str, Any], objective_ids: list[str]) -> Iterator[Problem]:
    if not str(kr.get("owner") or "").strip() and not any(str(o or "").strip() for o in _owners_list(kr)):
        yield Problem(f"{at}.owner", f"KR {kr.get('id')} has no owner; every KR needs one accountable person "
                                     "(owner: <person>, or owners: [<person>, <person>] for co-owners)")
    for index, objective in enumerate(kr.get("objectives") or []):
        if str(objective) not in objective_ids:
            yield Problem(f"{at}.objectives.{index}",
                          f"unknown objective '{objective}'{_suggest(objective, objective_ids)}")
    yield from _home(f"{at}.home", kr.get("home"), trackers)
    measure = kr.get("measure")
    if not isinstance(measure, dict) or measure.get("type") != "metric":
        return
    source = measure.get("source")
    if isinstance(source, dict) and source.get("tracker") not in trackers:
        yield Problem(f"{at}.measure.source.tracker", f"unknown tracker '{source.get('tracker')}'"
                                                      f"{_suggest(source.get('tracker'), list(trackers))}")
    baseline, target, stretch = (_number(measure.get(k)) for k in ("baseline", "target", "stretch"))
    if baseline is None or target is None:
        return
    if baseline == target:
        yield Problem(f"{at}.measure.target", f"target equals baseline ({measure.get('target')}); "
                                              "a KR must move the number")
    elif stretch is not None and (stretch - target) * (target - baseline) <= 0:
        yield Problem(f"{at}.measure.stretch", f"stretch {measure.get('stretch')} is not beyond the target "
                                               f"{measure.get('target')} (seen from the baseline "
                                               f"{measure.get('baseline')})")


def _people(data: dict[str, Any], objectives: list[tuple[int, dict[str, Any]]]) -> Iterator[Problem]:
    """Owners must be people of the directory when there is one; identities are unique per tracker."""
    people = list(_items(data.get("people")))
    if not people:
        return
    trackers = _mapping(data.get("trackers"))
    ids = [str(p.get("id")) for _, p in people]
    yield from _duplicates("people", [(i, p.get("id")) for i, p in people], "person")
    seen: dict[tuple[str, str], str] = {}
    for index, person in people:
        for tracker, identity in _mapping(person.get("identities")).items():
            if tracker not in trackers:
                yield Problem(f"people.{index}.identities.{tracker}",
                              f"unknown tracker '{tracker}'{_suggest(tracker, list(trackers))}")
            key = (tracker, str(identity).strip().lower())
            if key in seen:
                yield Problem(f"people.{index}.identities.{tracker}",
                              f"identity '{identity}' on {tracker} is already {seen[key]}'s; one identity "
                              "belongs to one person")
            seen.setdefault(key, str(person.get("id")))
    departments = {str(p.get("id")): p.get("department") for _, p in people}
    for o_index, objective in objectives:
        at = f"objectives.{o_index}"
        if objective.get("owner") is not None and str(objective.get("owner")) not in ids:
            owner_id = objective.get("owner")
            yield Problem(f"{at}.owner", f"unknown person '{owner_id}'{_suggest(owner_id, ids)}"
                                         " (owners are ids of the people directory)")
        cross = len(set(objective.get("departments") or [])) >= 2
        for k_index, kr in _items(objective.get("key_results")):
            named: list[tuple[str, Any]] = [("owner", kr.get("owner"))] if kr.get("owner") is not None else []
            named += [(f"owners.{i}", o) for i, o in enumerate(_owners_list(kr))]
            for where, owner in named:
                if str(owner) not in ids:
                    yield Problem(f"{at}.key_results.{k_index}.{where}",
                                  f"unknown person '{owner}'{_suggest(owner, ids)} (owners are ids of the people "
                                  "directory)")
                elif cross and not kr.get("department") and not departments.get(str(owner)):
                    yield Problem(f"{at}.key_results.{k_index}.{where}",
                                  f"{owner} owns a KR of the cross-sector objective {objective.get('id')} but has "
                                  "no department; give the person (or the KR) a department")


def _as_date(value: Any) -> date | None:
    """A date as validation will type it: a YAML date, or an ISO date string (a quoted '2026-09-01' is a
    date too, so cross-field checks see it); anything else is left to the type checks."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _owners_list(kr: dict[str, Any]) -> list[Any]:
    """A KR's ``owners`` (co-owners) as written, when it is a list."""
    owners = kr.get("owners")
    return list(owners) if isinstance(owners, list) else []
