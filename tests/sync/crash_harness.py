"""Running the real ``okr-sync`` as a separate process against a sandbox, and comparing tracker states.

- :func:`write_config` writes a configuration for a subset of the demo's trackers (the demo YAML with the
  other trackers and the homes on them removed), pointed at a sandbox or a :class:`TrackerProxy`.
- :func:`okr_sync` starts ``okr-sync <command>`` with ``OKRSYNC_NOW`` fixed to the demo's "today", so
  every run computes the same desired state.
- :func:`normalised_state` is the sandbox's ``/_sandbox/state`` without what legitimately differs
  between two runs (time stamps, ETags, comment and note ids, changelogs, ports), so an interrupted
  and an uninterrupted run can be compared with ``==``.
- :func:`marker_counts` counts okr-sync's markers (status comment/note/block, weekly check-in) across
  the whole tracker state: every marker must occur exactly once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from okr_sync.cli.demo import demo_config_path, demo_environment
from okr_sync.sandbox.fixtures.demo_story import AS_OF

ROOT = Path(__file__).resolve().parents[2]
WEEK = "2026-W47"  # the week before the demo's today: every KR has a check-in to write
OKR_SYNC = str(Path(sys.executable).parent / "okr-sync")
NOW = AS_OF.isoformat()
_MOUNTS = {"jira": ("SANDBOX_JIRA_URL", "/jira"), "gitlab": ("SANDBOX_GITLAB_URL", "/gitlab"),
           "planner": ("SANDBOX_GRAPH_URL", "/graph/v1.0"), "azure_devops": ("SANDBOX_AZURE_DEVOPS_URL", "/ado/okr")}
_VOLATILE = {"updated", "created", "updated_at", "created_at", "last_edited_at", "@odata.etag", "changelog",
             "lastModifiedDateTime", "createdDateTime", "assignedDateTime", "completedDateTime",
             # Azure DevOps: every write is a revision; comment ids and versions follow the order of writes
             "rev", "System.Rev", "System.ChangedDate", "commentId", "version", "createdDate", "modifiedDate",
             # Jira: the okr-sync comment property's hash of the body sent, which links items through the
             # sandbox's port (bodies themselves are compared, with the port normalised)
             "sha"}
_PORT = re.compile(r"http://127\.0\.0\.1:\d+")
MARKER = re.compile(r"okr-sync:(?:status|checkin):[A-Za-z0-9][A-Za-z0-9-]*(?::\d{4}-W\d\d)?")


def write_config(path: Path, *, trackers: set[str], state_url: str, listen: str = "127.0.0.1:0",
                 interval: str = "5m", debounce: str = "2s", extra: dict[str, Any] | None = None,
                 tracker_settings: dict[str, dict[str, Any]] | None = None) -> Path:
    """The demo configuration restricted to ``trackers`` (homes elsewhere dropped) written to ``path``;
    ``extra`` replaces top-level sections, ``tracker_settings`` adds keys to a tracker's section."""
    config = yaml.safe_load(demo_config_path().read_text())
    config["trackers"] = {name: {**t, **(tracker_settings or {}).get(name, {})}
                          for name, t in config["trackers"].items() if name in trackers}
    for objective in config["objectives"]:
        for subject in (objective, *objective["key_results"]):
            if subject.get("home", {}).get("tracker", "") not in trackers:
                subject.pop("home", None)
            source = subject.get("measure", {}).get("source")
            if isinstance(source, dict) and source.get("tracker") not in trackers:
                subject["measure"]["source"] = "manual"
    for person in config.get("people", []):
        person["identities"] = {k: v for k, v in person.get("identities", {}).items() if k in trackers}
    config["state"] = {"url": state_url}
    config["schedule"] = {"interval": interval, "reconcile": "24h", "debounce": debounce}
    config["server"] = {"listen": listen}
    for key, value in (extra or {}).items():
        config[key] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def environment(info: dict[str, Any], base_url: str | None = None) -> dict[str, str]:
    """Process environment for ``okr-sync``: the sandbox's ``${SANDBOX_*}`` values, URLs through
    ``base_url`` (a proxy) when given, and ``OKRSYNC_NOW`` fixed to the demo's today."""
    env = {**os.environ, **demo_environment(info), "OKRSYNC_NOW": NOW, "PYTHONWARNINGS": "ignore"}
    if base_url is not None:
        for variable, mount in _MOUNTS.values():
            env[variable] = base_url + mount
    return env


def okr_sync(*args: str, env: dict[str, str], **popen: Any) -> subprocess.Popen[str]:
    """Start ``okr-sync ARGS…`` (the installed console script) as a process of its own."""
    return subprocess.Popen([OKR_SYNC, *args], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **popen)


def start_cycle(command: str, config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start one cycle as a process: ``once`` (``okr-sync once --json``, status only) or ``checkin``
    (the same cycle also upserting the check-ins of :data:`WEEK`, see ``crash_checkin.py``)."""
    if command == "once":
        return okr_sync("once", "--config", str(config), "--json", env=env)
    assert command == "checkin", command
    return subprocess.Popen([sys.executable, "-m", "tests.sync.crash_checkin", str(config), WEEK], env=env,
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str], timeout: float = 300) -> dict[str, Any]:
    """Wait for a cycle process; its JSON report (exit code 0 or 1 required)."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode in (0, 1), f"{process.args} exited {process.returncode}:\n{err[-3000:]}"
    try:
        report: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"{process.args} exited {process.returncode} without a JSON report:\n"
                             f"{out[-1000:]}\n{err[-3000:]}") from None
    return report


def run_once(config: Path, env: dict[str, str], command: str = "once") -> dict[str, Any]:
    """One whole cycle process (``once`` or ``checkin``) to completion; its JSON report."""
    return finish(start_cycle(command, config, env))


def normalised_state(state: dict[str, Any], trackers: set[str]) -> dict[str, Any]:
    """``state`` of ``trackers`` without volatile values, comparable between two runs."""
    kept = {name: value for name, value in state.items() if name in trackers}
    cleaned = _clean(kept, parent="")
    for tracker in cleaned.values():
        if isinstance(tracker, dict) and isinstance(tracker.get("notes"), list):
            tracker["notes"] = sorted(tracker["notes"], key=lambda n: json.dumps(n, sort_keys=True))
    return cleaned  # type: ignore[no-any-return]


def _clean(value: Any, parent: str) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v, k) for k, v in value.items()
                if k not in _VOLATILE and not (k == "id" and parent in ("comments", "notes"))}
    if isinstance(value, list):
        return [_clean(v, parent) for v in value]
    if isinstance(value, str):
        return _PORT.sub("http://HOST", value)
    return value


def marker_counts(state: dict[str, Any]) -> Counter[str]:
    """How often each okr-sync marker occurs anywhere in the tracker state.

    A Jira comment counts once: by its anchor, or — on Cloud, whose round trip drops the anchor — by the
    ``okr-sync`` comment property okr-sync writes with it.
    """
    jira = state.get("jira") or {}
    plain = {**state, "jira": {**jira, "issues": [
        {**i, "comments": [{k: v for k, v in c.items() if k != "properties"} for c in i.get("comments", [])]}
        for i in jira.get("issues", [])]}} if jira else state
    counts = Counter(MARKER.findall(json.dumps(plain, ensure_ascii=False)))
    for issue in jira.get("issues", []):
        for comment in issue.get("comments", []):
            marker = ((comment.get("properties") or {}).get("okr-sync") or {}).get("marker")
            if marker and marker not in (comment.get("body") or ""):
                counts[marker] += 1
    return counts


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Readable paths where two normalised states differ (first few), for assertion messages."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            found += differences(expected.get(key), actual.get(key), f"{path}.{key}")
        return found[:10]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found[:10]
    if expected == actual:
        return []
    a, b = str(expected), str(actual)
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, at - 60)
    return [f"{path} (from character {start}): {a[start:start + 160]!r} != {b[start:start + 160]!r}"]
