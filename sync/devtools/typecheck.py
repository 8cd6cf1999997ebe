"""``python -m okr_sync.devtools.typecheck``: mypy on the ``okr_sync`` namespace as the wheel lays it out.

The repository keeps its top-level folders (``sync/``, ``config/``, ``mapping/``, ``connectors/``,
``sandbox/``) and pyproject's ``package-dir`` maps them under ``okr_sync``. At run time the editable
install's import hook follows that mapping; mypy cannot follow import hooks, so this builds the same
layout as a tree of symbolic links under ``build/typecheck`` and runs mypy on it, reporting paths as
they are in the repository. Arguments are passed on to mypy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

TREE = Path("build") / "typecheck"


def package_dirs(root: Path) -> dict[str, str]:
    """pyproject's ``package-dir``: import name → folder."""
    with (root / "pyproject.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["tool"]["setuptools"]["package-dir"])


def build_tree(root: Path) -> Path:
    """The ``okr_sync`` layout as links into the repository; returns the folder to give mypy."""
    tree = root / TREE
    mapping = package_dirs(root)
    top = tree / "okr_sync"
    if tree.exists():
        for path in sorted(tree.rglob("*"), key=lambda p: -len(p.parts)):
            path.unlink() if path.is_symlink() or path.is_file() else path.rmdir()
    top.mkdir(parents=True)
    for entry in sorted((root / mapping["okr_sync"]).iterdir()):
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry.resolve())
    for name, folder in mapping.items():
        if name != "okr_sync":
            (tree / name.replace(".", "/")).symlink_to((root / folder).resolve())
    return tree


def main(argv: list[str]) -> int:
    """Build the tree, run mypy on ``okr_sync``, print its report with repository paths."""
    root = Path.cwd()
    tree = build_tree(root)
    env = {**os.environ, "MYPYPATH": str(tree)}
    done = subprocess.run(  # noqa: S603 - our own interpreter running mypy
        [sys.executable, "-m", "mypy", "-p", "okr_sync", *argv], env=env, capture_output=True, text=True, check=False
    )
    mapping = package_dirs(root)
    prefixes = sorted(((f"{TREE}/{n.replace('.', '/')}/", f"{d}/") for n, d in mapping.items()),
                      key=lambda p: -len(p[0]))
    for line in (done.stdout + done.stderr).splitlines():
        for built, real in prefixes:
            if line.startswith(built):
                line = real + line[len(built):]
                break
        print(line)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
