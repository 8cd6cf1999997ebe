"""The people directory: KR and objective owners with their department and identity in each tracker.

The same person is an accountId in Jira Cloud, a username in Jira Server and GitLab, and an Entra ID user
in Planner. The directory ties these together so check-ins can address their owner in each tracker's own
syntax, cross-sector objectives are recognised, and each owner's weekly plan spans every tracker.
Large organisations keep it in a CSV or YAML file (``people_file``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from okr_sync.config.errors import ConfigurationError, Problem
from okr_sync.config.trackers import Strict


class Person(Strict):
    """Someone who owns objectives or KRs, or does the work."""

    id: str = Field(description="Short stable id used as owner in objectives and KRs, e.g. joao.lima.")
    name: str = Field(description="Display name.")
    department: str | None = Field(None, description="Department or agency (used for cross-sector objectives).")
    email: str | None = Field(None, description="E-mail (used to match identities; never logged at INFO).")
    identities: dict[str, str] = Field(
        default_factory=dict,
        description="Tracker name → identity there: Jira accountId, username or e-mail; GitLab username; "
                    "Planner user id or UPN.")


def read_people_file(path: Path, *, base: Path | None = None) -> list[dict[str, Any]]:
    """People from a YAML list or a CSV (columns id, name, department, email, and one per tracker name)."""
    target = path if path.is_absolute() or base is None else base / path
    shown = str(path)
    if not target.is_file():
        raise ConfigurationError([Problem("people_file", f"people file {shown} not found (paths are relative "
                                                         "to the configuration file)")])
    text = target.read_text(encoding="utf-8")
    if target.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        fixed = {"id", "name", "department", "email"}
        return [{**{k: (row.get(k) or None) for k in fixed if k in row},
                 "identities": {k: v for k, v in row.items() if k not in fixed and k and v}} for row in rows]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError([Problem("people_file", f"{shown} is not valid YAML: "
                                                         f"{getattr(exc, 'problem', exc)}")]) from None
    if isinstance(data, dict) and "people" in data:
        data = data["people"]
    if not isinstance(data, list):
        raise ConfigurationError([Problem("people_file", f"{shown} must hold a list of people (or people: [...])")])
    return data
