"""``okr-sync report``: the managers' picture as one HTML file, Markdown or JSON, from the state store."""

from __future__ import annotations

from typing import Annotated

import typer

from okr_sync.cli.app import EXIT_CONFIG, ConfigOption, app, config_failure, print_json

FORMATS = ("html", "md", "json")


@app.command()
def report(
    fmt: Annotated[str, typer.Option("--format", help="html | md | json.")] = "html",
    out: Annotated[str | None, typer.Option("--out", help="Write here instead of stdout ('-' for stdout). HTML "
                                            "goes to okr-report-YYYY-MM-DD.html here by default.")] = None,
    config: ConfigOption = None,
) -> None:
    """A summary, the KR table, KRs by agency, objectives with burn-up charts, planned vs executed, findings."""
    import json
    from pathlib import Path

    from okr_sync.config.errors import ConfigurationError
    from okr_sync.engine.clock import system_clock
    from okr_sync.engine.compute import compute_from_store
    from okr_sync.engine.domain import build_domain
    from okr_sync.engine.runtime import runtime
    from okr_sync.reports.html import build_report, render_html, render_markdown, report_json

    if fmt not in FORMATS:
        typer.echo(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    try:
        with runtime(config, with_connectors=False) as rt:
            now = system_clock()()  # $OKRSYNC_NOW fixes it (reproducible reports)
            domain = build_domain(rt.settings)
            computed = compute_from_store(domain, rt.store, now=now)
            content = build_report(domain, rt.store, computed, now, settings=rt.settings)
    except ConfigurationError as exc:
        config_failure(exc, fmt == "json")
    if fmt == "json" and out in (None, "-"):
        print_json(report_json(content))
        return
    if fmt == "html" and out is None:  # 50 KB of HTML is no terminal output: a file, and where it is
        out = f"okr-report-{now:%Y-%m-%d}.html"
    text = (render_html(content) if fmt == "html" else render_markdown(content) if fmt == "md"
            else json.dumps(report_json(content), indent=2) + "\n")
    if out in (None, "-"):
        typer.echo(text, nl=False)
        return
    Path(out).write_text(text, encoding="utf-8")
    typer.echo(f"report written to {Path(out).resolve()}", err=fmt != "html")
