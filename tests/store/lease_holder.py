"""Child process for lease tests: take leases, say so on stdout, then wait to be killed.

Usage: python -m tests.store.lease_holder URL NAMESPACE HOLDER SCOPE [SCOPE...]
"""

from __future__ import annotations

import sys
import time

from okr_sync.store.leases import LeaseManager


def main(argv: list[str]) -> None:
    """Hold every scope that can be had and print ``held <scope>`` / ``refused <scope>`` lines."""
    url, namespace, holder, *scopes = argv
    leases = LeaseManager(url, holder, namespace=namespace)
    for scope in scopes:
        print(("held " if leases.try_acquire(scope) else "refused ") + scope, flush=True)
    print("ready", flush=True)
    time.sleep(120)


if __name__ == "__main__":
    main(sys.argv[1:])
