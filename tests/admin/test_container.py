"""The Dockerfile and compose.yaml, checked without Docker: non-root, HEALTHCHECK, ENTRYPOINT, COPY sources."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines, joined = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") and not joined:
            continue
        if raw.rstrip().endswith("\\"):
            joined += raw.rstrip()[:-1] + " "
            continue
        line = (joined + raw).strip()
        joined = ""
        if line:
            word, _, rest = line.partition(" ")
            lines.append((word.upper(), rest.strip()))
    return lines


def final_stage() -> list[tuple[str, str]]:
    """Instructions of the last build stage (what ships)."""
    found = instructions()
    last = max(i for i, (word, _) in enumerate(found) if word == "FROM")
    return found[last:]


def test_runtime_stage_runs_as_non_root_with_healthcheck_and_entrypoint() -> None:
    stage = final_stage()
    words = [word for word, _ in stage]
    users = [arg for word, arg in stage if word == "USER"]
    assert users, "the runtime stage must switch to an unprivileged USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert words.index("USER") < words.index("ENTRYPOINT")
    [health] = [arg for word, arg in stage if word == "HEALTHCHECK"]
    assert "/healthz" in health and "--interval=" in health and "CMD" in health
    [entrypoint] = [arg for word, arg in stage if word == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["okr-sync"]
    [cmd] = [arg for word, arg in stage if word == "CMD"]
    assert json.loads(cmd) == ["run"]
    [volumes] = [arg for word, arg in stage if word == "VOLUME"]
    assert set(json.loads(volumes)) == {"/etc/okr-sync", "/var/lib/okr-sync"}
    env = " ".join(arg for word, arg in stage if word == "ENV")
    assert "OKRSYNC_CONFIG=/etc/okr-sync/okr-sync.yaml" in env
    # the file's state.url wins (issue 19); its default sqlite:///okr-sync.db lands on the state volume
    assert "OKRSYNC_STATE__URL" not in env
    assert [arg for word, arg in stage if word == "WORKDIR"][-1] == "/var/lib/okr-sync"
    assert stage[0][1].startswith("python:3.11-slim"), "a slim base keeps the image small"


def test_every_copy_source_exists_and_covers_the_packages() -> None:
    copied = set()
    for word, arg in instructions():
        if word != "COPY" or "--from=" in arg:
            continue
        *sources, _dest = shlex.split(arg)
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
            copied.add(source.rstrip("/"))
    with (ROOT / "pyproject.toml").open("rb") as fh:
        packages = set(tomllib.load(fh)["tool"]["setuptools"]["package-dir"].values())
    assert packages <= copied, f"packages not copied into the image: {packages - copied}"
    assert {"pyproject.toml", "README.md"} <= copied


def test_healthcheck_port_follows_the_listen_setting() -> None:
    [health] = [arg for word, arg in final_stage() if word == "HEALTHCHECK"]
    listen = next(arg for word, arg in final_stage() if word == "ENV" and "OKRSYNC_SERVER__LISTEN=" in arg)
    port = re.search(r"OKRSYNC_SERVER__LISTEN=[^:\s]+:(\d+)", listen)
    [exposed] = [arg for word, arg in final_stage() if word == "EXPOSE"]
    assert port is not None and exposed == port.group(1)
    assert "OKRSYNC_SERVER__LISTEN" in health


def test_compose_runs_okr_sync_on_postgresql_with_volumes() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"okr-sync", "postgres"}
    app, db = services["okr-sync"], services["postgres"]
    assert app["build"] == "."
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    state_url = app["environment"]["OKRSYNC_STATE__URL"]
    assert state_url.startswith("postgresql+psycopg://okr_sync:") and state_url.endswith("@postgres:5432/okr_sync")
    mounts = {volume.split(":")[1]: volume for volume in app["volumes"]}
    assert mounts["/etc/okr-sync/okr-sync.yaml"].endswith(":ro")
    assert "/var/lib/okr-sync" in mounts and set(compose["volumes"]) == {"pgdata", "state"}
    assert app["environment"]["OKRSYNC_CONFIG"] == "/etc/okr-sync/okr-sync.yaml"
    assert "POSTGRES_PASSWORD:?" in db["environment"]["POSTGRES_PASSWORD"], "no default database password"


def test_the_production_image_has_no_sandbox() -> None:
    """Issue 23: the emulators and trustme never ship. The build stage installs no sandbox/dev extra and
    deletes the installed okr_sync/sandbox right after pip install (checking it is gone); the runtime stage
    copies only that tree and fails the build if okr_sync.sandbox or trustme is importable."""
    found = instructions()
    runtime_from = max(i for i, (word, _) in enumerate(found) if word == "FROM")
    build, runtime = found[:runtime_from], found[runtime_from:]
    [extras] = [arg for word, arg in build if word == "ARG" and arg.startswith("EXTRAS")]
    default = set(extras.partition("=")[2].split(","))
    assert default and not default & {"sandbox", "dev"}, extras
    [install] = [arg for word, arg in build if word == "RUN" and "pip install" in arg]
    steps = [step.strip() for step in install.split("&&")]
    pip = next(i for i, step in enumerate(steps) if step.startswith("pip install"))
    removal = next(i for i, step in enumerate(steps) if step.startswith("rm -rf") and "okr_sync/sandbox" in step)
    assert pip < removal, "the sandbox must be removed after pip installed it"
    assert re.fullmatch(r"rm -rf /install/lib/python3\*/site-packages/okr_sync/sandbox", steps[removal])
    assert any("okr_sync/sandbox" in step and "exit 1" in step for step in steps[removal + 1:]), \
        "the build stage must check the sandbox is gone"
    copies = [arg for word, arg in runtime if word == "COPY"]
    assert copies == ["--from=build /install /usr/local"], "the runtime stage copies only the installed tree"
    guard = [arg for word, arg in runtime if word == "RUN" and "find_spec" in arg]
    assert guard and "'okr_sync.sandbox'" in guard[0] and "'trustme'" in guard[0] and "sys.exit(any(" in guard[0]
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    assert not any(dep.startswith("trustme") for dep in project["dependencies"]), "trustme is the sandbox extra's"
    assert any(dep.startswith("trustme") for dep in project["optional-dependencies"]["sandbox"])
