"""The ``okr-sync`` command line.

Kept light: each command imports what it needs when it runs, so ``okr-sync --help`` never loads a tracker
library. Exit codes: 0 ok, 1 sync completed with item-level problems, 2 invalid configuration or usage,
3 a tracker unreachable or refusing access.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

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



@app.callback()
def _root() -> None:
    """Run OKRs inside the trackers teams already use."""


ConfigOption = Annotated[
    str | None,
    typer.Option("--config", "-c", help="Configuration file. Default: $OKRSYNC_CONFIG, then ./okr-sync.yaml.",
                 show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


@app.command()
def validate(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Check the configuration file and report every problem with its line."""
    from config.errors import ConfigurationError
    from config.load import load_config
    from sync.summary import config_summary

    try:
        loaded = load_config(config)
    except ConfigurationError as exc:
        if as_json:
            _print_json({"valid": False, "errors": [p.as_dict() for p in exc.problems], "warnings": []})
        else:
            for problem in exc.problems:
                typer.echo(problem.render(), err=True)
            typer.echo(f"configuration invalid: {len(exc.problems)} problem(s)", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    summary = config_summary(loaded.settings)
    if as_json:
        _print_json({"valid": True, "file": loaded.file, "summary": summary,
                     "warnings": [w.as_dict() for w in loaded.warnings], "errors": []})
        return
    typer.echo(
        f"{loaded.file}: valid — {len(summary['trackers'])} tracker(s) ({', '.join(summary['trackers'])}), "
        f"{summary['cycles']} cycle(s), {summary['objectives']} objective(s), {summary['key_results']} KR(s), "
        f"{len(loaded.warnings)} warning(s)"
    )
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning.render()}")


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
