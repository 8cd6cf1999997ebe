"""What a registered connector must declare, checked without talking to its tracker."""

from __future__ import annotations

import inspect
import subprocess
import sys

from okr_sync.config.plugins import ConnectorPlugin, broken, installed
from okr_sync.connectors.capabilities import Administers, ReceivesWebhooks

CORE = ("pull", "read_homes", "plan_writes", "apply", "close")


def declaration_problems(kind: str) -> list[str]:
    """Everything wrong with what the plugin of ``kind`` and its connector class declare (empty: sound)."""
    if kind in broken():
        return [f"{kind}: {broken()[kind]}"]
    plugin = installed().get(kind)
    if plugin is None:
        return [f"{kind}: no plugin registered under the entry-point group okr_sync.connectors"]
    found = [f"{kind}: {p}" for p in plugin.problems()]
    cls = plugin.load()
    if getattr(cls, "kind", None) != kind:
        found.append(f"{kind}: {cls.__name__}.kind is {getattr(cls, 'kind', None)!r}, not {kind!r}")
    size = getattr(cls, "page_size", "missing")
    if size is not None and not (isinstance(size, int) and size > 0):
        found.append(f"{kind}: {cls.__name__}.page_size must be a positive int or None (server-set pages), "
                     f"not {size!r}")
    found += [f"{kind}: {cls.__name__} lacks {name}()" for name in CORE if not callable(getattr(cls, name, None))]
    if not isinstance(getattr(cls, "requests_made", None), property):
        found.append(f"{kind}: {cls.__name__}.requests_made must be a property (HTTP requests made so far)")
    if list(inspect.signature(cls).parameters)[:2] != ["name", "settings"]:
        found.append(f"{kind}: {cls.__name__} must be constructed as cls(name, settings)")
    found += _capabilities(plugin, cls)
    found += _light(plugin)
    return found


def _capabilities(plugin: ConnectorPlugin, cls: type) -> list[str]:
    kind, found = plugin.kind, []
    webhooks = all(callable(getattr(cls, n, None)) for n in _members(ReceivesWebhooks))
    if plugin.webhook_setting is not None and not webhooks:
        found.append(f"{kind}: declares webhook_setting but {cls.__name__} has no parse_webhook()")
    if webhooks and plugin.webhook_setting is None:
        found.append(f"{kind}: {cls.__name__} parses webhooks but the plugin names no webhook_setting (the "
                     "secret deliveries are checked with), so the daemon cannot warn when it is unset")
    administers = all(callable(getattr(cls, n, None)) for n in _members(Administers))
    if plugin.admin is not None and administers:
        found.append(f"{kind}: both the plugin's admin module and {cls.__name__} offer doctor/setup; keep one")
    return found


def _members(protocol: type) -> list[str]:
    return [n for n in vars(protocol) if not n.startswith("_") and callable(getattr(protocol, n))]


def _light(plugin: ConnectorPlugin) -> list[str]:
    """Reading every plugin (``okr-sync validate``, ``--help``) must not import the connector module."""
    module = plugin.connector.partition(":")[0]
    probe = ("import sys; from okr_sync.config.plugins import installed; installed(); "
             f"print({module!r} in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe],  # noqa: S603 - this interpreter, our own probe
                         capture_output=True, text=True, timeout=120, check=False)
    if run.returncode != 0:
        return [f"{plugin.kind}: reading the plugins failed: {run.stderr.strip()[-300:]}"]
    if run.stdout.strip() != "False":
        return [f"{plugin.kind}: loading the plugin imports {module}; point the entry point at a light plugin "
                "module that names the connector as a 'module:Class' string"]
    return []
