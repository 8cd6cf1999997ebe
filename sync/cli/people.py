"""``okr-sync plan-week`` (an owner's weekly action plan across every tracker, with the per-owner companion
findings) and ``okr-sync people import`` (directory entries proposed from a tracker's users, by e-mail)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from okr_sync.cli.app import EXIT_CONFIG, EXIT_TRACKER, ConfigOption, JsonOption, app, config_failure, print_json

people_app = typer.Typer(help="The people directory: owners and their identity in each tracker.",
                         no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(people_app, name="people")


@app.command("plan-week")
def plan_week(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2026-W48.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Person id; every KR owner when omitted.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each owner's weekly action plan: items planned on their KRs, by KR and assignee, planned vs executed."""
    from okr_sync.config.errors import ConfigurationError
    from okr_sync.engine.compute import compute_from_store
    from okr_sync.engine.domain import build_domain
    from okr_sync.engine.people import owner_findings, owners, week_eve, weekly_plan
    from okr_sync.engine.runtime import runtime
    from okr_sync.mapping import KrStatusValue, parse_week

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
            eve = week_eve(week)  # the findings look at --week as "next week"
            done = {k for k, s in compute_from_store(domain, rt.store, now=eve).key_results.items()
                    if s.status is KrStatusValue.DONE}
            findings = owner_findings(domain, rt.settings, rt.store.items(), items, now=eve, finished=done)
    except ConfigurationError as exc:
        config_failure(exc, as_json)
    if as_json:
        print_json({"week": week, "plans": [{**_plan_json(p), "findings": [
            {"rule": f.rule, "severity": str(f.severity), "reason": f.reason, "action": f.action,
             "facts": list(f.facts)} for f in findings.get(p.owner, [])]} for p in plans]})
        return
    import shutil

    from okr_sync.cli.views import wrap_text

    width = shutil.get_terminal_size().columns  # wrapped with hanging indents, words never broken
    for plan in plans:
        typer.echo(wrap_text(_plan_text(plan), width))
        for finding in findings.get(plan.owner, []):
            typer.echo(wrap_text(f"  ! {finding.rule}: {finding.reason}\n    → {finding.action}", width))


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
        rate = "nothing planned" if ex is None or ex.rate is None else \
            f"{ex.executed}/{ex.planned} done ({ex.rate:.0%})"
        lines.append(f"  {kr.kr_id} {kr.title} — {rate}")
        if not kr.by_assignee:
            lines.append("    (no item planned for this week)")
        for who, items in kr.by_assignee.items():
            lines.append(f"    {who}:")
            lines += [f"      [{i.status.value}] {i.tracker} {i.key} {i.title}" for i in items]
    return "\n".join(lines)


@people_app.command("import")
def people_import(
    source: Annotated[str, typer.Option("--from", help="Tracker name (or its kind, when one tracker has it).")],
    config: ConfigOption = None,
) -> None:
    """Propose people entries from a tracker's users, matched by e-mail; prints YAML, changes nothing."""
    from okr_sync.config.errors import ConfigurationError, SyncError
    from okr_sync.config.load import load_config
    from okr_sync.connectors.capabilities import ListsUsers
    from okr_sync.engine.people import import_yaml, propose_import
    from okr_sync.engine.runtime import open_connectors

    try:
        settings = load_config(config).settings
    except ConfigurationError as exc:
        config_failure(exc, False)
    trackers = settings.trackers
    of_kind = [n for n, t in trackers.items() if t.kind == source]
    name = source if source in trackers else (of_kind[0] if len(of_kind) == 1 else None)
    if name is None:
        typer.echo(f"--from {source}: no such tracker; configured: "
                   f"{', '.join(f'{n} ({t.kind})' for n, t in trackers.items()) or 'none'}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    connector = open_connectors(settings, only={name})[name]
    if not isinstance(connector, ListsUsers):
        connector.close()
        typer.echo(f"{name}: the {trackers[name].kind} connector cannot list users; write the people "
                   "section by hand (docs/admin-guide.md)", err=True)
        raise typer.Exit(EXIT_CONFIG)
    try:
        users = connector.list_users()
    except SyncError as exc:
        typer.echo(f"{name}: could not list users: {exc}", err=True)
        raise typer.Exit(EXIT_TRACKER) from None
    finally:
        connector.close()
    for note in getattr(connector, "listing_notes", None) or []:  # e.g. Data Center's cap of 100 per query
        typer.echo(f"{name}: {note}", err=True)
    typer.echo(import_yaml(propose_import(name, settings.people, users)), nl=False)
