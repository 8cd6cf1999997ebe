"""Rendering ``bench/results.json`` as ``docs/benchmarks.md``: targets first, then every figure."""

from __future__ import annotations

from typing import Any

from bench.notes import ANALYSIS

TRACKERS = ("jira", "gitlab", "planner")


def _section(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    entry = results.get(name)
    return entry["figures"] if entry else None


def _facts(results: dict[str, Any], name: str) -> str:
    entry = results.get(name)
    if not entry:
        return "not measured yet"
    m = entry["machine"]
    quick = " — QUICK smoke sizes, not the published figures" if entry.get("quick") else ""
    return (f"measured {m['at']}, commit {m['commit']}, {m['cores']} cores, load average at start "
            f"{' / '.join(map(str, m['load_average']))} (1/5/15 min), took {entry['took_seconds']:.0f} s{quick}")


def _ok(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**missed**")


def targets(results: dict[str, Any]) -> list[str]:
    """The summary table: each target, the measured figure, met or missed."""
    rows = ["| target | measured | |", "|---|---|---|"]
    eff = _section(results, "efficiency")
    if eff:
        for tracker in TRACKERS:
            first = eff["first"][tracker]["ratio"]
            incs = [eff[k][tracker]["ratio"] for k in eff if k.startswith("incremental_")]
            rows.append(f"| {tracker}: first sync calls ÷ minimum ≤ 1.05 | {first:.2f} | {_ok(first <= 1.05)} |")
            rows.append(f"| {tracker}: incremental calls ÷ minimum ≤ 1.05 | {min(incs):.2f} – {max(incs):.2f} "
                        f"(k = 1 … 1000) | {_ok(max(incs) <= 1.05)} |")
            idle = eff["idle"][tracker]
            scopes = eff["idle"][tracker]["minimum_reads"]
            rows.append(f"| {tracker}: idle = 1 read per scope, 0 writes | {idle['reads']} reads for {scopes} "
                        f"scope(s), {idle['writes']} writes | {_ok(idle['reads'] <= scopes and idle['writes'] == 0)} |")
    fresh = _section(results, "freshness")
    if fresh:
        p95 = fresh["webhook:all"]["p95"]
        rows.append(f"| freshness p95 ≤ 5 s (webhook → written back, Jira + GitLab) | {p95:.2f} s | {_ok(p95 <= 5)} |")
    polled = _section(results, "polled")
    if polled:
        rows.append(f"| Planner (polled, interval {polled['interval_seconds']} s): change → written back | "
                    f"p50 {polled['p50']:.2f} s, p95 {polled['p95']:.2f} s | — |")
    rec = _section(results, "recompute")
    if rec:
        rows.append(f"| recompute ≤ 2 s (5,000 KRs / 100,000 items, mapping) | CPU {rec['cpu_best']:.2f} s, wall "
                    f"{rec['wall_best']:.2f} s | {_ok(rec['cpu_best'] <= 2)} |")
    sc = _section(results, "scale")
    for store, fig in (sc or {}).items():
        rec_store = min(r["cpu_seconds"] for r in fig["recompute_from_store"])
        rows.append(f"| recompute from the {store} store (every cycle) ≤ 2 s | CPU {rec_store:.2f} s | "
                    f"{_ok(rec_store <= 2)} |")
        rows.append(f"| peak RSS ≤ 300 MB at 100k items ({store}) | {fig['peak_rss_mb']:.0f} MB | "
                    f"{_ok(fig['peak_rss_mb'] <= 300)} |")
        ratio = first_sync_ratio(fig)
        if ratio is not None:
            whole = fig["first"]["seconds"] / sum(r["seconds"] for r in fig["raw_paging"].values())
            rows.append(f"| first sync ≤ 1.5 × raw paging ({store}) | pull phase {ratio:.2f} ×; whole first "
                        f"cycle incl. {sum(r['writes'] for r in fig['first']['requests'].values())} writes "
                        f"{whole:.2f} × | {_ok(ratio <= 1.5)} (pull); {_ok(whole <= 1.5)} (whole) |")
    st = _section(results, "startup")
    if st:
        helped, base = st["help"], st["python_baseline"]
        rows.append(f"| `okr-sync --help` ≤ 0.3 s | wall median {helped['median']:.2f} s, CPU "
                    f"{helped['cpu_median']:.2f} s (bare `python -c pass`: wall {base['median']:.2f} s) | "
                    f"{_ok(helped['median'] <= 0.3)} (wall); {_ok(helped['cpu_median'] <= 0.3)} (CPU) |")
    return rows


def first_sync_ratio(fig: dict[str, Any]) -> float | None:
    """Σ pull-phase wall time of the first sync ÷ Σ raw paging time (same pages twice when okr-sync
    re-reads after writing, so the raw time is counted per pull)."""
    raw = fig.get("raw_paging")
    if not raw:
        return None
    pulled = sum(p["seconds"] for p in fig["first"]["pull"].values())
    return pulled / sum(r["seconds"] for r in raw.values())


def efficiency_tables(eff: dict[str, Any]) -> list[str]:
    """Calls per scenario and tracker, with the minimum and the excess by route."""
    shape = eff["shape"]
    lines = [f"Shape: items {shape['items']}, KRs {shape['krs']} (each with a home item), Planner plans "
             f"{shape['plans']}; page size 100 everywhere.", "",
             "| sync | tracker | calls | reads | writes | minimum (reads + writes) | ratio | homes written | "
             "writes per changed KR |", "|---|---|---|---|---|---|---|---|---|"]
    incrementals = sorted((k for k in eff if k.startswith("incremental_")), key=lambda k: int(k.split("_")[1]))
    for label in ("first", "idle", *incrementals, "idle_after"):
        fig = eff[label]
        for tracker in TRACKERS:
            f = fig[tracker]
            lines.append(f"| {label} | {tracker} | {f['calls']} | {f['reads']} | {f['writes']} | {f['minimum']} "
                         f"({f['minimum_reads']} + {f['minimum_writes']}) | {f['ratio']:.2f} | {f['homes_written']} | "
                         f"{f['writes_per_changed_kr']:.2f} |")
    lines += ["", "Requests by route, incremental sync after 10 changes:", ""]
    for tracker in TRACKERS:
        routes = eff.get("incremental_10", {}).get(tracker, {}).get("by_route", {})
        lines.append(f"- {tracker}: " + ", ".join(f"`{r}` {n}" for r, n in sorted(routes.items())))
    return lines


def scale_tables(sc: dict[str, Any]) -> list[str]:
    """First/idle sync, raw paging, recompute, store size and RSS per store."""
    lines = ["| store | items (J/G/P) | KRs | first sync wall / CPU | its pull phase (J/G/P wall) | raw paging "
             "(J/G/P) | pull ÷ raw | idle sync wall / requests | recompute from store (CPU) | store size | peak RSS |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for store, f in sc.items():
        pulls = " / ".join(f"{f['first']['pull'].get(t, {}).get('seconds', 0):.0f} s" for t in TRACKERS)
        raw = " / ".join(f"{f['raw_paging'][t]['seconds']:.0f} s ({f['raw_paging'][t]['pages']} p)" for t in TRACKERS) \
            if f.get("raw_paging") else "—"
        ratio = first_sync_ratio(f)
        idle_calls = sum(r["total"] for r in f["idle"]["requests"].values())
        lines.append(
            f"| {store} | {' / '.join(str(f['items'][t]) for t in TRACKERS)} | {sum(f['krs'].values())} | "
            f"{f['first']['seconds']:.0f} s / {f['first']['cpu_seconds']:.0f} s | {pulls} | {raw} | "
            f"{'—' if ratio is None else f'{ratio:.2f}'} | {f['idle']['seconds']:.1f} s / {idle_calls} | "
            f"{min(r['cpu_seconds'] for r in f['recompute_from_store']):.2f} s | {f['store_bytes'] / 1e6:.0f} MB | "
            f"{f['peak_rss_mb']:.0f} MB |")
    for store, f in sc.items():
        requests = ", ".join(f"{t} {r['total']} ({r['writes']} writes)" for t, r in f["first"]["requests"].items())
        if f.get("raw_paging_note"):
            lines.append(f"\n{store}: {f['raw_paging_note']}")
        raised = " (over the 512 KB configuration cap, raised in the benchmark process)" \
            if f.get("config_limits_raised") else ""
        errors = f"; errors: {f['first']['errors']}" if f["first"]["errors"] else ""
        lines.append(f"\n{store}: first-sync requests {requests}; sandbox start with this fixture "
                     f"{f['sandbox_start_seconds']:.0f} s; configuration {f['config_bytes'] / 1e6:.2f} MB"
                     f"{raised}{errors}.")
    return lines


def render(results: dict[str, Any]) -> str:
    """The whole page."""
    out = ["# Benchmarks", "",
           "Generated by `make bench` (= `.venv/bin/python -m bench.run`; one section: "
           "`.venv/bin/python -m bench.run --only scale`) from `bench/results.json`. Everything runs against the "
           "sandbox on 127.0.0.1 (a process of its own), counted by its control API. The machine is shared "
           "(2 cores, other engineers' test runs): wall times carry that load, so CPU times are given where "
           "wall time says little. Edit the analysis in `bench/notes.py`, not here.", "",
           "## Targets", "", *targets(results), "", ANALYSIS.strip(), ""]
    eff = _section(results, "efficiency")
    out += ["## API efficiency", "", _facts(results, "efficiency"), "", *(efficiency_tables(eff) if eff else []), ""]
    fresh = _section(results, "freshness")
    out += ["## Freshness", "", _facts(results, "freshness"), ""]
    if fresh:
        out += ["`bench/freshness.py --changes 200`: the real `okr-sync run` daemon (SQLite, 2 s debounce, the "
                "product default), one change at a time alternating Jira / GitLab, signed webhook, poll the home "
                "item every 20 ms.", "", "| measured from | tracker | p50 | p95 | max | n |",
                "|---|---|---|---|---|---|"]
        for key, f in fresh.items():
            if ":" in key:
                start, who = key.split(":")
                out.append(f"| {start} | {who} | {f['p50']:.2f} s | {f['p95']:.2f} s | {f['max']:.2f} s | {f['n']} |")
    polled = _section(results, "polled")
    out += ["", _facts(results, "polled"), ""]
    if polled:
        out.append(f"Planner (polled; `bench/polled.py`): daemon with `schedule.interval: "
                   f"{polled['interval_seconds']}s`, {polled['changes']} changes at random moments: change → home "
                   f"task updated p50 {polled['p50']:.2f} s, mean {polled['mean']:.2f} s, p95 {polled['p95']:.2f} s, "
                   f"max {polled['max']:.2f} s.")
    rec = _section(results, "recompute")
    out += ["", "## Recompute", "", _facts(results, "recompute"), ""]
    if rec:
        out.append(f"`bench/recompute.py` (mapping only, no I/O): {rec['line']}")
    sc = _section(results, "scale")
    out += ["", "## Scale", "", _facts(results, "scale"), ""]
    if sc:
        out += scale_tables(sc)
    st = _section(results, "startup")
    out += ["", "## Start-up", "", _facts(results, "startup"), ""]
    if st:
        out += ["| what | wall median | wall min | CPU median |", "|---|---|---|---|",
                f"| `python -c pass` (baseline) | {st['python_baseline']['median']:.2f} s | "
                f"{st['python_baseline']['min']:.2f} s | {st['python_baseline']['cpu_median']:.2f} s |",
                f"| `okr-sync --help` | {st['help']['median']:.2f} s | {st['help']['min']:.2f} s | "
                f"{st['help']['cpu_median']:.2f} s |",
                f"| `okr-sync validate` (demo config) | {st['validate']['median']:.2f} s | "
                f"{st['validate']['min']:.2f} s | {st['validate']['cpu_median']:.2f} s |",
                f"| sandbox start, demo fixture (`python -m sandbox`, until its info file exists) | "
                f"{st['sandbox_start_demo_seconds']:.2f} s | | |", "",
                "Import of each connector module (`python -X importtime`, cumulative, median of 3): " +
                ", ".join(f"`{m}` {v['median']:.2f} s" for m, v in st["imports"].items()) + "."]
    return "\n".join(out) + "\n"
