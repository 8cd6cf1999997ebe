"""What the optional commands need that a plain ``pip install okr-sync`` (or the production image) lacks.

``okr-sync sandbox`` and ``okr-sync demo`` run the emulated trackers, which ship as the ``sandbox`` extra
(``trustme`` for the emulated identity platform's TLS; the demo also syncs through the real Jira, GitLab
and Graph client libraries). The production image leaves the sandbox out altogether. Without them the
commands say, in one line, what to install — instead of a traceback halfway through starting.
"""

from __future__ import annotations

import importlib.util
from importlib import metadata

import typer

from okr_sync.cli.app import EXIT_CONFIG

DISTRIBUTION = "okr-sync"
INSTALL_SANDBOX = "pip install 'okr-sync[sandbox]'"
SANDBOX_MODULES = ("okr_sync.sandbox", "okr_sync.sandbox.server", "trustme")
DEMO_MODULES = (*SANDBOX_MODULES, "jira", "gitlab", "msgraph", "azure.identity")


def version() -> str:
    """The installed distribution's version (package metadata, the one source of truth)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package; pip install -e . to get one)"


def missing(modules: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` that cannot be imported here (found without importing them)."""
    absent = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a module blocked in sys.modules
            found = False
        if not found:
            absent.append(name)
    return absent


def require(command: str, modules: tuple[str, ...]) -> None:
    """Exit 2 with one line naming the extra to install when ``command`` cannot run here."""
    absent = missing(modules)
    if absent:
        typer.echo(f"okr-sync {command} needs the sandbox, which is not installed here "
                   f"(missing: {', '.join(absent)}); install it with: {INSTALL_SANDBOX}", err=True)
        raise typer.Exit(EXIT_CONFIG)
