"""The ``okr-sync`` Typer application and the options every command shares.

Command modules (``sync/cli/main.py``, ``sync/cli_*.py``) register on :data:`app`; each imports what it needs
inside the command, so ``okr-sync --help`` stays fast and loads no tracker library.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, NoReturn

import typer

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG, EXIT_TRACKER = 0, 1, 2, 3

app = typer.Typer(
    name="okr-sync",
    help="Run OKRs inside Jira, GitLab and Microsoft Planner: link weekly work to Key Results, "
    "compute KR progress and write OKR status back where managers look.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rendering help with rich costs ~0.2 s at start-up
)


def _print_version(value: bool) -> None:
    if value:
        from okr_sync.cli.extras import version

        typer.echo(f"okr-sync {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Run OKRs inside the trackers teams already use."""


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config", "-c", help="Configuration file. Default: $OKRSYNC_CONFIG, then ./okr-sync.yaml.", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def print_json(data: object) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def config_failure(exc: Exception, as_json: bool) -> NoReturn:
    """Report configuration problems (one per line, or JSON) and exit 2."""
    problems = getattr(exc, "problems", [])
    if as_json:
        print_json({"error": "configuration", "problems": [p.as_dict() for p in problems]})
    else:
        for problem in problems:
            typer.echo(problem.render(), err=True)
    raise typer.Exit(EXIT_CONFIG)
