"""A cycle that also upserts one week's check-ins, run as its own process (crash tests kill it).

``okr-sync once`` writes status only; the weekly check-in comment/note/block is written by a cycle with
``checkin_week``. This script is that cycle, built exactly as ``okr-sync once`` builds its engine
(``okr_sync.engine.runtime``; ``OKRSYNC_NOW`` fixes the time)::

    python -m tests.sync.crash_checkin CONFIG WEEK

It prints the cycle's JSON report and exits with the cycle's exit code.
"""

from __future__ import annotations

import json
import sys

from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import runtime, secrets_of


def main(argv: list[str]) -> int:
    """Run one cycle with the check-ins of ``WEEK``; print the report as JSON."""
    config, week = argv
    with runtime(config) as rt:
        engine = Engine(rt.settings, rt.store, rt.connectors, secrets=secrets_of(rt.settings))
        report = engine.cycle(checkin_week=week)
    print(json.dumps(report.as_json()))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
