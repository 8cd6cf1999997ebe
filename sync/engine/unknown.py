"""Work items that name a KR id the configuration does not define, said where people look.

Unknown ids never stop a cycle (DESIGN: "reported, never fatal"), but they must not hide at the end of
the report either: ``once`` lists them with the tracker's problems (text and ``--json``) and ``status``
under the table, every cycle until the id is corrected or the KR defined.
"""

from __future__ import annotations

from collections import defaultdict

from okr_sync.engine.compute import Computed


def by_tracker(computed: Computed) -> dict[str, list[str]]:
    """Tracker name → one line per unknown KR id named by that tracker's items."""
    found: dict[str, list[str]] = defaultdict(list)
    for finding in computed.unknown_krs:
        keys: dict[str, list[str]] = defaultdict(list)
        for fact in finding.facts:
            tracker, _, key = str(fact).partition(":")
            keys[tracker].append(key)
        for tracker, items in keys.items():
            found[tracker].append(line(finding.subject, items))
    return dict(found)


def line(kr_id: str, keys: list[str]) -> str:
    """``2 item(s) name KR 'OBJ9-KR1', which okr-sync.yaml does not define: OKR-7, OKR-9; …``."""
    shown = ", ".join(sorted(keys)[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
    return (f"{len(keys)} item(s) name KR '{kr_id}', which okr-sync.yaml does not define: {shown}; correct the "
            "KR id on them or define the KR")
