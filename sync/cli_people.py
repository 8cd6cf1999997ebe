"""``okr-sync plan-week``: an owner's weekly action plan across every tracker."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sync.cli_app import EXIT_CONFIG, ConfigOption, JsonOption, app, config_failure, print_json


@app.command("plan-week")
def plan_week(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2026-W48.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Person id; every KR owner when omitted.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each owner's weekly action plan: items planned on their KRs, by KR and assignee, planned vs executed."""
    from config.errors import ConfigurationError
    from mapping import parse_week
    from sync.domain import build_domain
    from sync.people import owners, weekly_plan
    from sync.runtime import runtime

    try:
        parse_week(week)
    except ValueError as exc:
        typer.echo(f"--week {week}: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    try:
        with runtime(config, with_connectors=False) as rt:
            domain = build_domain(rt.settings)
            if owner is not None and owner not in owners(domain):
                typer.echo(f"{owner} owns no KR; owners: {', '.join(owners(domain))}", err=True)
                raise typer.Exit(EXIT_CONFIG)
            items = rt.store.items_by_kr()
            plans = [weekly_plan(o, week, domain, rt.settings, items) for o in ([owner] if owner else owners(domain))]
    except ConfigurationError as exc:
        config_failure(exc, as_json)
    if as_json:
        print_json({"week": week, "plans": [_plan_json(p) for p in plans]})
        return
    for plan in plans:
        typer.echo(_plan_text(plan))


def _plan_json(plan: Any) -> dict[str, Any]:
    return {"owner": plan.owner, "name": plan.owner_name, "week": plan.week, "key_results": [
        {"id": kr.kr_id, "title": kr.title,
         "planned": kr.execution.planned if kr.execution else 0,
         "executed": kr.execution.executed if kr.execution else 0,
         "by_assignee": {who: [{"tracker": i.tracker, "key": i.key, "title": i.title, "status": i.status.value}
                               for i in items] for who, items in kr.by_assignee.items()}}
        for kr in plan.key_results]}


def _plan_text(plan: Any) -> str:
    lines = [f"{plan.owner_name} ({plan.owner}) — weekly plan {plan.week}"]
    for kr in plan.key_results:
        ex = kr.execution
        rate = "nothing planned" if ex is None or ex.rate is None else f"{ex.executed}/{ex.planned} done ({ex.rate:.0%})"
        lines.append(f"  {kr.kr_id} {kr.title} — {rate}")
        if not kr.by_assignee:
            lines.append("    (no item planned for this week)")
        for who, items in kr.by_assignee.items():
            lines.append(f"    {who}:")
            lines += [f"      [{i.status.value}] {i.tracker} {i.key} {i.title}" for i in items]
    return "\n".join(lines)
