"""The repository stands on its own: no tracked file refers to a path outside it (issue 17).

A clone on a fresh machine has nothing beside it, so a reference to a sibling folder or to somebody's home
directory is a dead link in docs and a failing test in code. The rule, applied to every tracked text file:

1. The sibling folder ``shared`` reached with ``..`` (the workspace folder this project once read its example
   and specs from), anywhere. This file spells it ``SIBLING`` so that ``git grep`` for it finds nothing.
2. A home or workspace directory as an absolute path: ``/root``, ``/home/<user>``, ``/Users/<user>``,
   ``C:\\Users\\<user>`` and ``/work``, when the path starts the word (so ``https://host/okr/work/-/issues``
   and ``/okr/work`` pass). System paths a deployment legitimately names — ``/etc/okr-sync``,
   ``/var/lib/okr-sync``, ``/usr/bin/chromium``, ``/opt/okr-sync``, ``/tmp`` — are not flagged: they exist
   on every machine the product supports and mean the same there.
3. A relative ``../`` chain that climbs above the repository root from the file's own folder (how Markdown
   links resolve), e.g. ``../../x`` in ``docs/guide.md``.
4. Python reaching above the root from ``__file__``: ``Path(__file__).resolve().parents[N]`` or a chain of
   ``.parent`` that goes past the repository root for that file's depth.

Vendored third-party files (``specs/*.json``, copied unchanged) are exempt from rule 3 only: their relative
links point into the vendor's own documentation site, not into a file system. This file is exempt from all
four: it holds the rule's own examples.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ("specs/",)
SELF = "tests/test_repository.py"
SIBLING = ".." + "/shared"

SHARED = re.compile(r"\.\./shared\b")
HOME = re.compile(r"(?<![\w.~/\\-])(?:/(?:root|work)(?![\w.-])|/(?:home|Users)/[\w.-]+|[A-Za-z]:\\Users\\[\w.-]+)")
CLIMB = re.compile(r"(?<![\w./])((?:\.\./)+)")
PARENTS = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?\.parents\[(\d+)\]")
PARENT_CHAIN = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent(?![s\w]))+)")


def tracked_files() -> list[str]:
    """Paths of every file git tracks in this checkout (relative, POSIX)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"not a git checkout ({exc}); run from a clone to check tracked files")
    return [p for p in out.stdout.decode().split("\0") if p]


def outside_references(path: str, text: str) -> list[str]:
    """Every reference in ``text`` (the file at repository path ``path``) to a place outside the repository."""
    depth = len(PurePosixPath(path).parts) - 1  # folders between the root and the file
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        found += [f"{where}: {m.group(0)!r} (a folder beside the repository)" for m in SHARED.finditer(line)]
        found += [f"{where}: {m.group(0)!r} (a home or workspace directory)" for m in HOME.finditer(line)]
        if not path.startswith(VENDORED):
            found += [f"{where}: {m.group(0)!r} climbs above the repository root"
                      for m in CLIMB.finditer(line) if m.group(1).count("../") > depth]
        found += [f"{where}: parents[{m.group(1)}] of __file__ is above the repository root"
                  for m in PARENTS.finditer(line) if int(m.group(1)) > depth]
        found += [f"{where}: {m.group(1).count('.parent')} x .parent of __file__ is above the repository root"
                  for m in PARENT_CHAIN.finditer(line) if m.group(1).count(".parent") > depth + 1]
    return found


def test_no_tracked_file_refers_outside_the_repository() -> None:
    problems: list[str] = []
    files = tracked_files()
    assert "pyproject.toml" in files and "tests/test_repository.py" in files, files[:10]
    for path in files:
        full = ROOT / path
        if path == SELF or not full.is_file():  # the rule's examples; or deleted, not yet committed
            continue
        try:
            text = full.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary
            continue
        problems += outside_references(path, text)
    assert not problems, ("files refer to paths outside the repository; copy what they need into it "
                          "(examples/, specs/) and refer to that:\n" + "\n".join(problems))


@pytest.mark.parametrize(("path", "line"), [
    ("README.md", f"Start from [`{SIBLING}/examples/okr-sync.yaml`]({SIBLING}/examples/okr-sync.yaml)"),
    ("tests/cli/test_x.py", f'EXAMPLE = "{SIBLING}/examples/okr-sync.yaml"'),
    ("bench/run.py", 'OUT = "/root/okr/results.json"'),
    ("docs/x.md", "see /home/maria/okr-sync/notes.md"),
    ("docs/x.md", "cd /work/main && make test"),
    ("docs/x.md", "open /Users/joao/okr-sync.yaml"),
    ("docs/x.md", r"C:\Users\joao\okr-sync.yaml"),
    ("docs/x.md", "[guide](../../guide.md)"),
    ("README.md", "[design](../DESIGN.md)"),
    ("tests/cli/test_x.py", 'SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs"'),
    ("tests/test_x.py", 'SPEC = Path(__file__).parent.parent.parent / "shared"'),
])
def test_the_rule_flags_outside_references(path: str, line: str) -> None:
    assert outside_references(path, line), line


@pytest.mark.parametrize(("path", "line"), [
    ("Dockerfile", "VOLUME [\"/etc/okr-sync\", \"/var/lib/okr-sync\"]"),
    ("docs/admin-guide.md", "ExecStart=/opt/okr-sync/bin/okr-sync run"),
    ("tests/report/test_x.py", 'CHROMIUM = "/usr/bin/chromium"'),
    ("compose.yaml", "      - /tmp"),
    ("tests/connectors/test_x.py", 'assert work.url.endswith("/okr/work/-/issues/2")'),
    ("tests/sandbox/test_x.py", 'issue.web_url == "https://gitlab.example.gov/home/x"'),
    ("specs/README.md", "[sandbox](../sandbox/README.md)"),
    ("docs/x.md", "[readme](../README.md)"),
    ("specs/api.json", '"see ../../api-group-permission-schemes/#holder-object"'),
    ("tests/cli/test_x.py", 'EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okr-sync.yaml"'),
    ("tests/test_x.py", "ROOT = Path(__file__).parent.parent"),
    ("sync/cli/x.py", "shared = examples / 'x'  # the shared example, ./shared/ inside the repo"),
])
def test_the_rule_accepts_paths_inside_the_repository_and_system_paths(path: str, line: str) -> None:
    assert not outside_references(path, line), outside_references(path, line)
