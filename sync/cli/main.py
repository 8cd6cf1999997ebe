"""The ``okr-sync`` command line.

Kept light: each command imports what it needs when it runs, so ``okr-sync --help`` never loads a tracker
library. Exit codes: 0 ok, 1 sync completed with item-level problems, 2 invalid configuration or usage,
3 a tracker unreachable or refusing access.
"""

from __future__ import annotations

from typing import Annotated

import typer

from okr_sync.cli.app import (
    EXIT_CONFIG,
    ConfigOption,
    JsonOption,
    app,
)
from okr_sync.cli.app import config_failure as _config_failure
from okr_sync.cli.app import print_json as _print_json


@app.command()
def validate(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Check the configuration file and report every problem with its line."""
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.config.load import load_config
    from okr_sync.engine.summary import config_summary

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
        _print_json(
            {
                "valid": True,
                "file": loaded.file,
                "summary": summary,
                "warnings": [w.as_dict() for w in loaded.warnings],
                "errors": [],
            }
        )
        return
    typer.echo(
        f"{loaded.file}: valid — {len(summary['trackers'])} tracker(s) ({', '.join(summary['trackers'])}), "
        f"{summary['cycles']} cycle(s), {summary['objectives']} objective(s), {summary['key_results']} KR(s), "
        f"{len(loaded.warnings)} warning(s)"
    )
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning.render()}")


@app.command()
def once(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Pull and plan; print every write; write nothing.")
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything (catches deletions and unlinking).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run one full sync cycle: pull, compute, write status back. Exit 0 ok, 1 item problems, 2 config, 3 tracker."""
    _run_cycle(config, dry_run=dry_run, full=full, as_json=as_json)


@app.command()
def plan(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show every write a sync would make (tracker, item, target, old → new) without making any."""
    _run_cycle(config, dry_run=True, full=False, as_json=as_json)


def _run_cycle(config: str | None, *, dry_run: bool, full: bool, as_json: bool) -> None:
    from rich.console import Console

    from okr_sync.cli.views import cycle_table
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.engine.cycle import Engine
    from okr_sync.engine.runtime import runtime, secrets_of

    console = Console(stderr=as_json)
    try:
        with runtime(config) as rt:
            engine = Engine(rt.settings, rt.store, rt.connectors, secrets=secrets_of(rt.settings))
            if console.is_terminal and not as_json:
                with console.status("syncing…") as spinner:
                    report = engine.cycle(
                        dry_run=dry_run, full=full, on_tracker=lambda name: spinner.update(f"pulling {name}…")
                    )
            else:
                report = engine.cycle(
                    dry_run=dry_run,
                    full=full,
                    on_tracker=None if as_json else lambda name: typer.echo(f"pulling {name}…"),
                )
    except ConfigurationError as exc:
        _config_failure(exc, as_json)
    if as_json:
        _print_json(report.as_json())
    else:
        console.print(cycle_table(report))
        for write in report.planned:
            console.print(("would write  " if dry_run else "wrote  ") + write.describe(), markup=False, highlight=False)
        for problem in report.problems:
            console.print(f"problem: {problem}", markup=False, style="yellow")
    raise typer.Exit(report.exit_code)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the daemon: scheduled and webhook-triggered cycles, /healthz /readyz /metrics, JSON logs."""
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.daemon.logs import configure_logging, log_what_runs
    from okr_sync.daemon.service import run_daemon
    from okr_sync.engine.runtime import runtime, secrets_of

    try:
        with runtime(config) as rt:
            secrets = secrets_of(rt.settings)
            configure_logging(secrets)
            log_what_runs(rt)
            code = run_daemon(rt.settings, rt.store, rt.connectors, secrets)
    except ConfigurationError as exc:
        _config_failure(exc, False)
    raise typer.Exit(code)


@app.command()
def status(
    config: ConfigOption = None,
    objective: Annotated[str | None, typer.Option("--objective", help="Only this objective.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only KRs owned by this person.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Objectives and KRs with progress, score, status, forecast, owner and the companion's top finding."""
    from rich.console import Console

    from okr_sync.cli.views import status_json, status_table
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.engine.clock import system_clock
    from okr_sync.engine.compute import compute_from_store
    from okr_sync.engine.domain import build_domain
    from okr_sync.engine.runtime import runtime

    try:
        with runtime(config, with_connectors=False) as rt:
            domain = build_domain(rt.settings)
            computed = compute_from_store(domain, rt.store, now=system_clock()())
            names = {person.id: person.name for person in rt.settings.people}
    except ConfigurationError as exc:
        _config_failure(exc, as_json)
    if objective is not None and objective not in domain.objectives:
        typer.echo(f"unknown objective '{objective}'; known: {', '.join(domain.objectives)}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    if as_json:
        _print_json(status_json(domain, computed, objective=objective, owner=owner))
    else:
        Console().print(status_table(domain, computed, objective=objective, owner=owner, names=names))


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port of the trackers (0 = a free port).")] = 8765,
    fixture: Annotated[str, typer.Option(help="demo | empty | PATH to a JSON/YAML fixture.")] = "demo",
    info: Annotated[str | None, typer.Option("--info", help="Write the machine-readable info JSON here.")] = None,
    jira_deployment: Annotated[str | None, typer.Option(help="cloud | server (overrides the fixture).")] = None,
) -> None:
    """Serve emulated Jira, GitLab and Microsoft Graph (Planner) on this machine until Ctrl-C."""
    from okr_sync.cli.extras import SANDBOX_MODULES, require

    require("sandbox", SANDBOX_MODULES)
    from okr_sync.sandbox.__main__ import main as sandbox_main

    argv = ["--host", host, "--port", str(port), "--fixture", fixture]
    if info:
        argv += ["--info", info]
    if jira_deployment:
        argv += ["--jira-deployment", jira_deployment]
    raise typer.Exit(sandbox_main(argv))


@app.command()
def demo(
    out: Annotated[str, typer.Option(help="Directory for the demo's state store and HTML report.")] = "demo-out",
) -> None:
    """Sandbox trackers with seeded public-sector OKRs → one full sync → the KR status table."""
    from pathlib import Path

    from rich.console import Console

    from okr_sync.cli.demo import run_demo
    from okr_sync.cli.extras import DEMO_MODULES, require
    from okr_sync.cli.views import cycle_table, status_table, wrap_text

    require("demo", DEMO_MODULES)
    console = Console()
    run = run_demo(Path(out), on_step=lambda step: console.print(step, style="dim"))
    console.print(cycle_table(run.report))
    console.print(status_table(run.domain, run.computed,
                               names={p.id: p.name for p in run.settings.people} if run.settings else None))
    console.print(wrap_text(run.checkin_text, console.width), markup=False, highlight=False)
    if run.html_path is not None:
        console.print(f"HTML report: {run.html_path.resolve()}")
    console.print(f"State store: {run.state_path.resolve()}  ·  sandbox stopped.")
    for problem in run.report.problems:
        console.print(f"problem: {problem}", markup=False, style="yellow")
    raise typer.Exit(0 if run.report.exit_code in (0, 1) else run.report.exit_code)


#: The modules that register commands on ``app`` besides this one.
COMMAND_MODULES = ("admin", "checkin", "people", "report")


def main() -> None:
    """Console-script entry point."""
    _register_command_modules()
    app()


def _register_command_modules() -> None:
    """Import the other command modules (each registers its commands on ``app``)."""
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"okr_sync.cli.{name}")


_register_command_modules()

if __name__ == "__main__":  # pragma: no cover
    main()
