"""Acceptance 2 of issue 23: a fourth tracker kind, packaged as its own distribution, works with
``okr-sync validate``, ``once`` and ``doctor`` without any change to okr-sync's files.

``tests/contract/filetracker/`` is that distribution (its own pyproject and entry point, settings model,
home keys, link rules, connector reading a local JSON file). The test builds its wheel, pip-installs it
into a temporary directory and runs the real ``okr-sync`` command with that directory on ``PYTHONPATH``: the plugin is
found only through the installed distribution's entry-point metadata.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from okr_sync.config.plugins import installed

HERE = Path(__file__).resolve().parent
SECRET = "filetracker-secret-5b1e"
CONFIG = """
state:
  url: sqlite:///{state}
trackers:
  files:
    kind: filetracker
    path: {data}
    token: ${{FILETRACKER_TOKEN}}
    link:
      - label: "kr:{{kr}}"
cycles:
  - {{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}}
objectives:
  - id: OBJ1
    cycle: 2026-Q4
    title: Permits without a trip to the office
    why: Citizens stop losing a working day to queue for a permit.
    key_results:
      - id: OBJ1-KR1
        title: Permit steps done online
        owner: Ana Lima
        measure: {{type: completion}}
        home: {{tracker: files, item: F-100}}
"""
DATA = {
    "items": [
        {"key": "F-1", "title": "Publish the online form", "labels": ["kr:OBJ1-KR1"], "done": True},
        {"key": "F-2", "title": "Accept digital signatures", "labels": ["kr:OBJ1-KR1"], "done": False},
        {"key": "F-3", "title": "Office move", "labels": ["facilities"], "done": True},
    ],
    "homes": {"F-100": {"title": "OBJ1-KR1 home", "status": None, "progress": None}},
}


def build_wheel(source: Path, out: Path) -> Path:
    """A pure-Python wheel of ``source`` from its pyproject (name, version, entry points, packages).

    Written directly (a wheel is a zip with a dist-info folder) so the test needs neither the network
    nor the ``wheel`` package that an isolated or in-place setuptools build would."""
    project = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    files = {str(p.relative_to(source)): p.read_bytes() for p in sorted(source.glob("okr_filetracker/*.py"))}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in points.items()) + "\n"
        for group, points in project["entry-points"].items()).encode()
    record = [f"{path},sha256={urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
              for path, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """okr-filetracker pip-installed from its wheel, as a separate distribution, into its own directory."""
    base = tmp_path_factory.mktemp("fourth")
    wheel = build_wheel(HERE / "filetracker", base)
    target = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, timeout=300, capture_output=True)
    assert list(target.glob("okr_filetracker-*.dist-info/entry_points.txt"))
    return target


def okr_sync(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "FILETRACKER_TOKEN": SECRET, "COLUMNS": "200"}
    env.pop("OKRSYNC_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "okr_sync.cli.main", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def write_config(folder: Path, text: str = CONFIG) -> Path:
    data = folder / "tracker.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    config = folder / "okr-sync.yaml"
    config.write_text(text.format(state=folder / "state.db", data=data), encoding="utf-8")
    return config


def test_validate_once_and_doctor_work_with_a_fourth_connector(site_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path)

    validated = okr_sync(site_dir, "validate", "--config", str(config), cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    once = okr_sync(site_dir, "once", "--config", str(config), "--json", cwd=tmp_path)
    assert once.returncode == 0, once.stdout + once.stderr
    home = json.loads((tmp_path / "tracker.json").read_text(encoding="utf-8"))["homes"]["F-100"]
    assert home["progress"] == 50, home  # one of the two linked items is done; F-3 is not linked
    assert home["status"] in {"on_track", "at_risk", "off_track"}, home

    again = okr_sync(site_dir, "once", "--config", str(config), "--json", cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["writes"] == 0, again.stdout + again.stderr

    doctor = okr_sync(site_dir, "doctor", "--config", str(config), "--json", cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    checks = {c["topic"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["file"]["level"] == "ok" and checks["home F-100"]["level"] == "ok", checks

    for run in (validated, once, again, doctor):
        assert SECRET not in run.stdout + run.stderr


def test_its_settings_model_and_link_rules_drive_validation(site_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, CONFIG.replace("    path:", "    pathh:").replace(
        '      - label: "kr:{{kr}}"', '      - bucket: "{{kr}}"'))
    result = okr_sync(site_dir, "validate", "--config", str(config), cwd=tmp_path)
    assert result.returncode != 0
    text = " ".join((result.stdout + result.stderr).split())
    assert "trackers.files.pathh: unknown key 'pathh'; did you mean 'path'?" in text, text
    assert "link rule 'bucket' does not exist for filetracker; use one of label, title_prefix" in text, text


def test_without_the_distribution_the_kind_is_unknown_and_the_installed_ones_are_named(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = okr_sync(tmp_path / "nothing-installed-here", "validate", "--config", str(config), cwd=tmp_path)
    assert result.returncode != 0
    text = " ".join((result.stdout + result.stderr).split())
    assert f"unknown kind 'filetracker'; installed tracker kinds: {', '.join(installed())} (" in text, text


def test_it_passes_the_published_contract_suite(site_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site_dir)}
    run = subprocess.run([sys.executable, "-m", "pytest", str(HERE / "filetracker" / "contract_suite.py"), "-q",
                          "-p", "no:cacheprovider", "-rs"], env=env, cwd=HERE.parents[1], capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "5 passed, 2 skipped" in run.stdout, run.stdout[-2000:]  # no paging of its own, no webhooks
