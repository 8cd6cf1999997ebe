"""``okr-sync checkin``: the weekly 3P check-in, printed per owner, optionally posted on each KR's home item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from okr_sync.cli.app import EXIT_CONFIG, ConfigOption, app, config_failure, print_json

FORMATS = ("text", "md", "json")


@app.command()
def checkin(
    week: Annotated[str, typer.Option("--week", help="ISO week to check in, e.g. 2026-W48.", show_default=False)],
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's KRs (one digest).")] = None,
    kr: Annotated[list[str] | None, typer.Option("--kr", help="Only this KR (repeatable).")] = None,
    post: Annotated[bool, typer.Option("--post", help="Sync and upsert each check-in on its KR's home item.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="text | md | json.")] = "text",
    config: ConfigOption = None,
) -> None:
    """Compose the weekly Progress/Problems/Plans check-in per KR, grouped per owner; --post writes it.

    Without --post nothing but the state store is read (run ``okr-sync once`` first for fresh data).
    """
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.engine.checkin import CheckinUsageError, select_krs, validate_week
    from okr_sync.engine.clock import system_clock

    if fmt not in FORMATS:
        typer.echo(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    try:
        week = validate_week(week)
    except CheckinUsageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    try:
        from okr_sync.engine.runtime import runtime

        with runtime(config, with_connectors=post) as rt:
            from okr_sync.engine.checkin import AckAwareEngine
            from okr_sync.engine.runtime import secrets_of

            now = system_clock()()  # $OKRSYNC_NOW fixes it (reproducible check-ins)
            engine = AckAwareEngine(rt.settings, rt.store, rt.connectors, clock=lambda: now,
                                    secrets=secrets_of(rt.settings))
            try:
                chosen = select_krs(engine.domain, owner=owner, kr_ids=kr or ())
            except CheckinUsageError as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(EXIT_CONFIG) from None
            code = _run(engine, chosen, week, now, post=post, fmt=fmt)
    except ConfigurationError as exc:
        config_failure(exc, fmt == "json")
    raise typer.Exit(code)


def _run(engine: Any, chosen: list[str], week: str, now: datetime, *, post: bool, fmt: str) -> int:
    """Post (optionally), compose and print; the exit code (the cycle's when posting, else 0)."""
    from okr_sync.engine.acks import acknowledged_fingerprints, without_acknowledged
    from okr_sync.engine.checkin import composed, digests, digests_json, render_digests
    from okr_sync.engine.compute import compute_from_store

    domain = engine.domain
    store = engine.store
    code = 0
    report = None
    if post:
        report = engine.cycle(checkin_week=week, checkin_krs=set(chosen))
        computed = report.computed
        code = report.exit_code
    else:
        computed = compute_from_store(domain, store, now=now)
    subjects = [*domain.key_results, *domain.objectives]
    computed = without_acknowledged(computed, acknowledged_fingerprints(store, subjects))
    from okr_sync.engine.people import owner_findings

    per_owner = owner_findings(domain, engine.settings, store.items(), store.items_by_kr(), now=now)
    groups = digests(domain, composed(engine, chosen, week, computed, now), owner_findings=per_owner)
    if fmt == "json":
        data = digests_json(domain, groups)
        if report is not None:
            data["posted"] = report.as_json()
        print_json(data)
        return code
    text = render_digests(domain, groups, fmt)
    if fmt == "text":  # to the terminal's width, with hanging indents under each bullet
        import shutil

        from okr_sync.cli.views import wrap_text

        text = wrap_text(text, shutil.get_terminal_size().columns)
    typer.echo(text, nl=False)
    if report is not None:
        targets = [w for w in report.planned if w.target.startswith("check-in")]
        typer.echo(f"\nposted: {report.writes} write(s), {len(targets)} check-in write(s) "
                   f"(a check-in already up to date is not rewritten)")
        for problem in report.problems:
            typer.echo(f"problem: {problem}", err=True)
    return code
