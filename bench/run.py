"""``make bench``: every benchmark of issue 13 against the sandbox on loopback, written to
``bench/results.json`` and ``docs/benchmarks.md``.

Usage::

    .venv/bin/python -m bench.run                      # everything (≈ 60–70 min on 2 busy cores)
    .venv/bin/python -m bench.run --only startup,efficiency --quick

Sections: ``startup``, ``efficiency``, ``freshness`` (bench/freshness.py, webhook trackers),
``polled`` (Planner at a short interval), ``recompute`` (bench/recompute.py), ``scale`` (SQLite and
PostgreSQL, each in a process of its own). ``--only`` runs some and keeps the others' last figures
from ``bench/results.json``, so a slow section can be rerun alone when the machine is quieter.
``--quick`` shrinks every size (a smoke run; its figures are marked quick and are not the published ones).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness import ROOT

RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
SECTIONS = ("startup", "efficiency", "freshness", "polled", "recompute", "scale")


def machine() -> dict[str, Any]:
    """Facts that make the figures comparable: cores, load, interpreter, commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,  # noqa: S607
                            text=True, check=False).stdout.strip()
    return {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(terse=True), "commit": commit,
            "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _python(*args: str, timeout: float) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def freshness(changes: int) -> dict[str, Any]:
    """bench/freshness.py (the real daemon, signed webhooks) → p50/p95/max per tracker, parsed."""
    out = _python("bench/freshness.py", "--changes", str(changes), timeout=60 * 60)
    pattern = re.compile(r"^(webhook|change)\s+→ written back, (\w+)\s+p50\s+([\d.]+) s\s+p95\s+([\d.]+) s\s+"
                         r"max\s+([\d.]+) s\s+\(n=(\d+)\)", re.MULTILINE)
    figures: dict[str, Any] = {}
    for start, who, p50, p95, most, n in pattern.findall(out):
        figures[f"{start}:{who}"] = {"p50": float(p50), "p95": float(p95), "max": float(most), "n": int(n)}
    if "webhook:all" not in figures:
        raise RuntimeError(f"bench/freshness.py printed no figures I can read:\n{out[-2000:]}")
    figures["debounce_seconds"] = 2
    return figures


def recompute() -> dict[str, Any]:
    """bench/recompute.py (5,000 KRs over 100,000 items, mapping only) → best/median wall, best CPU."""
    out = _python("bench/recompute.py", timeout=30 * 60)
    found = re.search(r"wall best ([\d.]+) s, median ([\d.]+) s; CPU best ([\d.]+) s", out)
    if found is None:
        raise RuntimeError(f"bench/recompute.py printed no figures I can read:\n{out[-2000:]}")
    return {"wall_best": float(found[1]), "wall_median": float(found[2]), "cpu_best": float(found[3]),
            "line": out.strip().splitlines()[-1]}


def scale(items: int, krs: int, store: str) -> dict[str, Any]:
    """bench/scale.py in a process of its own (its peak RSS is the figure)."""
    out = _python("-m", "bench.scale", "--items", str(items), "--krs", str(krs), "--store", store, timeout=3 * 60 * 60)
    line = next(row for row in out.splitlines() if row.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))  # type: ignore[no-any-return]


def run_section(name: str, quick: bool) -> Any:
    """One section's figures."""
    if name == "startup":
        from bench import startup

        return startup.run(repeat=3 if quick else 10)
    if name == "efficiency":
        from bench import efficiency
        from bench.synthetic import Shape

        shape = Shape(items=1000, krs=50) if quick else Shape(items=5000, krs=250)
        return efficiency.run(shape, ks=(1, 10, 100) if quick else (1, 10, 100, 1000))
    if name == "freshness":
        return freshness(10 if quick else 200)
    if name == "polled":
        from bench import polled

        return polled.run(changes=4 if quick else 20, interval=5)
    if name == "recompute":
        return recompute()
    items, krs = (5000, 250) if quick else (100_000, 5000)
    return {store: scale(items, krs, store) for store in ("sqlite", "postgresql")}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, merge with the last results, write the JSON and the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    for name in chosen:
        facts = machine()
        print(f"[{facts['at']}] {name} (load average {facts['load_average']}) …", flush=True)
        began = time.perf_counter()
        figures = run_section(name, args.quick)
        entry = {"machine": facts, "quick": args.quick, "took_seconds": round(time.perf_counter() - began, 1),
                 "figures": figures}
        _merge(name, entry)
        print(f"  done in {entry['took_seconds']} s", flush=True)
    from bench.report import render

    DOC.write_text(render(_merge(None, None)))
    print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    return 0


def _merge(name: str | None, entry: dict[str, Any] | None) -> dict[str, Any]:
    """Re-read the results file, set one section, write it back (another run may have added sections
    meanwhile); returns the merged results."""
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if name is not None:
        results[name] = entry
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
