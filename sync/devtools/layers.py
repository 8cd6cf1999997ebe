"""``python -m okr_sync.devtools.layers``: the import layers of DESIGN.md, checked on the source.

- ``mapping`` is pure: it imports nothing of the product but itself;
- ``config`` imports neither the connectors nor the engine, store, daemon, CLI or reports;
- ``connectors`` import only ``config``, ``mapping`` and ``connectors`` (never the engine, store,
  daemon, CLI, reports or the test kit);
- ``sandbox`` imports nothing of the product: an emulator sharing the product's code shares its bugs.

Every ``import`` and ``from … import`` counts, at module level or inside a function, relative ones
resolved against the module's package. Prints one line per violation and exits 1; exits 0 when the
layers hold.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = "okr_sync"
SYNC_PACKAGES = ("okr_sync.engine", "okr_sync.store", "okr_sync.daemon", "okr_sync.cli", "okr_sync.reports",
                 "okr_sync.devtools", "okr_sync.testing")


@dataclass(frozen=True, slots=True)
class Layer:
    """Modules under ``package`` may import from the product only what ``allowed`` names."""

    package: str
    allowed: tuple[str, ...]
    why: str


LAYERS = (
    Layer("okr_sync.mapping", ("okr_sync.mapping",), "mapping is pure: it imports nothing of the product"),
    Layer("okr_sync.config", ("okr_sync.config", "okr_sync.mapping"),
          "config imports no connector and nothing of the engine"),
    Layer("okr_sync.connectors", ("okr_sync.config", "okr_sync.mapping", "okr_sync.connectors"),
          "connectors never import the engine, store, daemon, CLI or reports"),
    Layer("okr_sync.sandbox", ("okr_sync.sandbox",), "the sandbox imports nothing of the product"),
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One import crossing a layer."""

    path: Path
    line: int
    module: str
    imported: str
    why: str

    def render(self) -> str:
        """``path:line: module imports X; why``."""
        return f"{self.path}:{self.line}: {self.module} imports {self.imported}; {self.why}"


def package_dirs(root: Path) -> dict[str, Path]:
    """pyproject's ``package-dir``: import name → folder (absolute)."""
    with (root / "pyproject.toml").open("rb") as fh:
        mapping = tomllib.load(fh)["tool"]["setuptools"]["package-dir"]
    return {name: (root / folder).resolve() for name, folder in mapping.items()}


def modules(root: Path) -> Iterator[tuple[str, Path, bool]]:
    """``(dotted module name, path, is a package __init__)`` for every product module."""
    dirs = package_dirs(root)
    nested = sorted(dirs.items(), key=lambda item: -len(item[1].parts))
    for name, folder in dirs.items():
        for path in sorted(folder.rglob("*.py")):
            owner = next(n for n, f in nested if path.is_relative_to(f))
            if owner != name:
                continue  # a folder mapped under another name (sync/ holds no config/, but be exact)
            parts = path.relative_to(folder).with_suffix("").parts
            package = path.name == "__init__.py"
            yield ".".join((name, *parts[:-1]) if package else (name, *parts)), path, package


def imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in ``tree``, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == ROOT:  # ``from okr_sync import engine`` imports okr_sync.engine
                for alias in node.names:
                    yield node.lineno, f"{ROOT}.{alias.name}"
            else:
                yield node.lineno, target


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(root: Path) -> list[Violation]:
    """Every import in the product that crosses a layer of :data:`LAYERS`."""
    found: list[Violation] = []
    for module, path, is_package in modules(root):
        layer = next((lay for lay in LAYERS if _within(module, lay.package)), None)
        if layer is None:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError) as exc:  # cannot be checked: say so, never a traceback
            found.append(Violation(path.relative_to(root), getattr(exc, "lineno", None) or 0, module,
                                   "(unreadable)", f"cannot be parsed ({type(exc).__name__}: {exc}); fix it first"))
            continue
        for line, name in imports(tree, module, is_package):
            if _within(name, ROOT) and name != ROOT and not any(_within(name, ok) for ok in layer.allowed):
                found.append(Violation(path.relative_to(root), line, module, name, layer.why))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the violations (exit 1) or a one-line all-clear (exit 0)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]).resolve() if args else Path.cwd()
    found = violations(root)
    for violation in found:
        print(violation.render())
    if found:
        print(f"{len(found)} import(s) cross the layers of DESIGN.md; move the code or invert the dependency")
        return 1
    print(f"import layers hold ({', '.join(layer.package for layer in LAYERS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
