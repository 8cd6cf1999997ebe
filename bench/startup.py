"""Start-up: ``okr-sync --help`` and ``okr-sync validate`` wall time, connector import times, sandbox start.

Each command runs as a subprocess (the installed console script), ``repeat`` times; the median is the
figure. Import times come from ``python -X importtime -c "import connectors.<module>"`` (cumulative
microseconds of that module, everything it imports included, in a fresh interpreter).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, SandboxProcess
from okr_sync.cli.demo import demo_config_path, demo_environment

OKR_SYNC = str(Path(sys.executable).parent / "okr-sync")
CONNECTORS = (
    "okr_sync.connectors.jira.connector",
    "okr_sync.connectors.gitlab.connector",
    "okr_sync.connectors.planner.connector",
)


def median_wall(argv: list[str], *, repeat: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Median and min wall seconds of a subprocess, its median CPU seconds (user + system: what the
    command costs whatever the machine's load), and its exit codes."""
    times, cpu, codes = [], [], set()
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)  # noqa: S603
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        codes.add(done.returncode)
    return {"median": round(statistics.median(times), 3), "min": round(min(times), 3),
            "cpu_median": round(statistics.median(cpu), 3), "exit_codes": sorted(codes)}


def import_seconds(module: str, *, repeat: int = 3) -> dict[str, float]:
    """Cumulative import time of ``module`` in a fresh interpreter (median of ``repeat``), and self total."""
    values = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],  # noqa: S603
                              cwd=ROOT, capture_output=True, text=True, check=True)
        line = next(row for row in reversed(done.stderr.splitlines()) if row.rstrip().endswith(f"| {module}"))
        values.append(int(line.split("|")[1]) / 1e6)
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3)}


def run(repeat: int = 10) -> dict[str, Any]:
    """Every start-up figure."""
    result: dict[str, Any] = {"python_baseline": median_wall([sys.executable, "-c", "pass"], repeat=repeat),
                              "help": median_wall([OKR_SYNC, "--help"], repeat=repeat)}
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess("demo", Path(tmp)) as sandbox:
        result["sandbox_start_demo_seconds"] = round(sandbox.startup_seconds, 3)
        env = {**os.environ, **demo_environment(sandbox.info)}
        result["validate"] = median_wall([OKR_SYNC, "validate", "--config", str(demo_config_path())],
                                         repeat=repeat, env=env)
    starts = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess("demo", Path(tmp)) as sandbox:
            starts.append(sandbox.startup_seconds)
    result["sandbox_start_demo_seconds"] = round(statistics.median(starts), 3)
    result["imports"] = {module: import_seconds(module) for module in CONNECTORS}
    return result
