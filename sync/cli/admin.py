"""Admin commands: ``okr-sync doctor`` (is every tracker ready?) and ``okr-sync setup`` (create what is missing).

Heavy modules (rich, connectors, tracker libraries) load inside the commands, so ``okr-sync --help`` stays
fast. Exit codes: doctor 0 when no check failed, 3 otherwise (2 for an invalid configuration); setup 0,
3 when a step failed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from okr_sync.cli.app import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_TRACKER,
    ConfigOption,
    JsonOption,
    app,
    config_failure,
    print_json,
)


@app.command()
def doctor(
    config: ConfigOption = None,
    tracker: Annotated[list[str] | None, typer.Option("--tracker", "-t", help="Only this tracker (repeatable).")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Check every tracker: reachability, credentials, permissions, fields, options, labels, KR homes, webhooks,
    TLS and people's identities. A fix for each problem. Exit 0 when nothing failed, 3 otherwise."""
    from rich.console import Console

    from okr_sync.cli.doctor import doctor_table, run_doctor
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.config.load import load_config

    try:
        settings = load_config(config).settings
        unknown = sorted(set(tracker or ()) - set(settings.trackers))
        if unknown:
            raise ConfigurationError(f"unknown tracker(s) {', '.join(unknown)}; configured: "
                                     f"{', '.join(settings.trackers) or 'none'}")
        report = run_doctor(settings, only=set(tracker) if tracker else None)
    except ConfigurationError as exc:
        config_failure(exc, as_json)
    if as_json:
        print_json(report.as_json())
    else:
        console = Console()
        console.print(doctor_table(report))
        style = "bold red" if report.failures else "yellow" if report.warnings else "bold green"
        console.print(report.summary(), style=style)
    raise typer.Exit(report.exit_code)


@app.command()
def setup(
    tracker: Annotated[str, typer.Argument(help="A configured tracker name, or a kind (every tracker of it).")],
    apply: Annotated[bool, typer.Option("--apply", help="Create what is missing (never deletes or renames).")]
    = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what a tracker needs for okr-sync (custom fields and options, scoped labels, categories — as its
    connector says); with --apply create it. A second run changes nothing."""
    from okr_sync.cli.setup import run_setup
    from okr_sync.config.errors import ConfigurationError, SyncError
    from okr_sync.config.load import load_config

    try:
        settings = load_config(config).settings
        run = run_setup(settings, tracker, apply=apply)
    except ConfigurationError as exc:
        config_failure(exc, as_json)
    except SyncError as exc:
        if as_json:
            print_json({"error": exc.message})
        else:
            typer.echo(f"setup {tracker}: {exc.message}", err=True)
        raise typer.Exit(EXIT_TRACKER) from None
    code = EXIT_TRACKER if run.failed else EXIT_OK
    if as_json:
        print_json(run.as_json())
        raise typer.Exit(code)
    for name, steps in run.planned.items():
        if not steps:
            typer.echo(f"{name}: nothing to do — everything okr-sync needs is there")
            continue
        done = {id(r.step): r for r in run.results.get(name, [])}
        for step in steps:
            result = done.get(id(step))
            if result is None:
                typer.echo(("by hand  " if step.manual else "would    ") + step.describe())
            elif step.manual:
                typer.echo("by hand  " + step.describe())
            else:
                typer.echo(("done     " if result.ok else "FAILED   ") + step.describe()
                           + (f" ({result.message})" if result.message else ""))
        if not apply and any(not s.manual for s in steps):
            typer.echo(f"{name}: run again with --apply to create the above")
    raise typer.Exit(code)


__all__ = ["EXIT_CONFIG", "doctor", "setup"]
