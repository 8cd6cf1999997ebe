"""The distribution as users get it (issue 23, acceptance 1): one top-level package, installable on its own.

- Every package folder under pyproject's ``package-dir`` mapping is listed in ``packages`` (setuptools
  silently leaves an unlisted one out of the wheel, and the editable install hides that).
- ``pip wheel --no-deps .`` builds a wheel whose only top-level names are ``okr_sync`` and its
  ``.dist-info``; installed with its real dependencies (no extras) into a fresh virtual environment,
  ``okr-sync --help``, ``--version`` and ``validate`` work and ``okr-sync sandbox`` names the extra to install.

Building and installing take about a minute, mostly waiting on the package index (pip's cache and PyPI; about
25 s of CPU): the wheel and the venv are made once for the module. It stays in ``make test`` because CI must
check the acceptance; ``-m "not packaging"`` leaves it out of a quick local run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "okr-sync.yaml"


def setuptools_table() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["tool"]["setuptools"])


def package_folders() -> dict[str, Path]:
    """Every importable package the mapped folders hold: dotted name → folder (``__pycache__`` left out)."""
    mapping: dict[str, str] = setuptools_table()["package-dir"]  # type: ignore[assignment]
    found: dict[str, Path] = {}
    for name, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base)
            dotted = ".".join((name, *relative.parts))
            # a sub-folder mapped on its own (none today) is counted under its own name
            if not any(other != name and other.startswith(name + ".") and dotted.startswith(other)
                       for other in mapping):
                found[dotted] = init.parent
        for module in base.rglob("*.py"):
            folder_of = module.parent
            if "__pycache__" not in folder_of.parts and not (folder_of / "__init__.py").exists():
                pytest.fail(f"{folder_of.relative_to(ROOT)} holds Python modules but no __init__.py; "
                            "add one (and list the package in pyproject's packages)")
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(setuptools_table()["packages"])  # type: ignore[call-overload]
    found = package_folders()
    assert "okr_sync.sandbox.fixtures" in found and "okr_sync.connectors.jira" in found
    missing = sorted(set(found) - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
    stale = sorted(listed - set(found))
    assert not stale, f"pyproject.toml lists packages that have no folder: {stale}"


def run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
        ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return done


def copy_of_the_sources(target: Path) -> Path:
    """What the build reads (pyproject, README, the mapped folders), copied so that building writes nothing into
    the repository (setuptools builds in the source tree) and concurrent runs do not share a ``build/``."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    mapping: dict[str, str] = setuptools_table()["package-dir"]  # type: ignore[assignment]
    for folder in sorted(set(mapping.values())):
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


@dataclass
class Installed:
    wheel: Path
    venv: Path

    def okr_sync(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run([str(self.venv / "bin" / "okr-sync"), *args], cwd=self.venv, env=env, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("packaging")
    source = copy_of_the_sources(work / "src")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(source)],
                cwd=work)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    [wheel] = (work / "dist").glob("okr_sync-*.whl")
    venv = work / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               str(wheel)], cwd=work, env=env)
    assert pip.returncode == 0, f"pip install of the wheel (with its dependencies) failed:\n{pip.stdout}\n{pip.stderr}"
    yield Installed(wheel, venv)


@pytest.mark.packaging
def test_the_wheel_holds_only_the_okr_sync_namespace(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
    top = {name.split("/", 1)[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1 and next(iter(dist_info)).startswith("okr_sync-"), top
    assert top - dist_info == {"okr_sync"}, f"top-level names besides okr_sync: {sorted(top - dist_info)}"
    for needed in ("okr_sync/cli/main.py", "okr_sync/config/__init__.py", "okr_sync/mapping/__init__.py",
                   "okr_sync/connectors/jira/connector.py", "okr_sync/store/migrations/env.py",
                   "okr_sync/sandbox/fixtures/demo-okr-sync.yaml"):
        assert needed in names, f"{needed} missing from the wheel"
    assert not [n for n in names if "__pycache__" in n or n.startswith("okr_sync/tests/")]


@pytest.mark.packaging
def test_the_installed_wheel_runs_without_extras(installed: Installed) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(installed.venv), "LC_ALL": "C.UTF-8"}
    helped = installed.okr_sync("--help", env=env)
    assert helped.returncode == 0, helped.stderr
    assert "validate" in helped.stdout and "once" in helped.stdout and "Traceback" not in helped.stderr
    version = installed.okr_sync("--version", env=env)
    with (ROOT / "pyproject.toml").open("rb") as fh:
        declared = tomllib.load(fh)["project"]["version"]
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"okr-sync {declared}\n" and installed.wheel.name.startswith(f"okr_sync-{declared}-")
    secrets = {"JIRA_TOKEN": "t1", "JIRA_WEBHOOK_SECRET": "t2", "GITLAB_TOKEN": "t3", "GITLAB_WEBHOOK_SECRET": "t4",
               "PLANNER_CLIENT_SECRET": "t5"}
    valid = installed.okr_sync("validate", "--config", str(EXAMPLE), env={**env, **secrets})
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "valid — 3 tracker(s)" in valid.stdout


@pytest.mark.packaging
def test_the_installed_wheel_names_the_sandbox_extra(installed: Installed) -> None:
    """A plain install has no trustme: ``okr-sync sandbox`` says what to install instead of crashing."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(installed.venv)}
    done = installed.okr_sync("sandbox", "--port", "0", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().count("\n") == 0 and "pip install 'okr-sync[sandbox]'" in done.stderr, done.stderr
    assert "trustme" in done.stderr
