"""Child process for crash tests: commit pulls and get SIGKILLed by the parent mid-commit.

Usage: python -m tests.store.crash_writer URL ITEMS MODE
  MODE "pause": commit version 1, then start committing version 2 and, once the first batch of items
                is written inside that transaction, print ``mid`` and wait to be killed.
  MODE "loop":  commit versions 1, 2, 3, ... (``committed N`` after each) until killed.
Version v is a full pull of ITEMS items titled ``v<v> ...`` with watermark ``v<v>`` and KR links that
move from version to version.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import event

from okr_sync.store.state import StateStore
from tests.store.factories import many


def version(count: int, number: int) -> list[Any]:
    """The pull of version ``number``."""
    return many(count, version=number, krs=40 + number % 7)


def main(argv: list[str]) -> None:
    """Run one crash scenario."""
    url, count_text, mode = argv
    count = int(count_text)
    store = StateStore.open(url)
    store.commit_pull("jira", version(count, 1), "v1", full=True)
    print("committed 1", flush=True)
    if mode == "pause":
        batches = {"n": 0}

        def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.startswith("INSERT INTO work_items"):
                batches["n"] += 1
                print("mid", flush=True)
                time.sleep(120)

        event.listen(store.engine, "after_cursor_execute", after)
        store.commit_pull("jira", version(count, 2), "v2", full=True)
        print("ERROR: commit 2 finished", flush=True)
        return
    number = 1
    while True:
        number += 1
        store.commit_pull("jira", version(count, number), f"v{number}", full=True)
        print(f"committed {number}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
