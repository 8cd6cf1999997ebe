"""What ``okr-sync doctor`` and ``okr-sync setup`` exchange with a connector: checks and set-up steps.

A connector supports the admin path either itself (the
:class:`~okr_sync.connectors.capabilities.Administers` methods ``doctor``, ``setup_plan``, ``apply_setup``),
or through the module its plugin names in ``admin`` (the same functions taking the connector first), which
:func:`admin_of` binds to it. The module depends on the connector, never the other way round, and uses its
public methods only. ``doctor`` only reads (a read-only account is detected from the tracker's
permission API, never by trying a write). ``setup_plan`` lists what is missing; a second plan after
``apply_setup`` is empty (never deleting or renaming anything). Shared checks (webhook secret, TLS) live here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from okr_sync.config.errors import AuthError, SyncError
from okr_sync.config.plugins import installed
from okr_sync.connectors.capabilities import Administers

Level = Literal["ok", "warn", "fail"]
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class Check:
    """One doctor finding: what was checked, how it went, and (when not ok) the concrete fix."""

    tracker: str
    topic: str
    """Short name of what was checked: ``reachability``, ``credentials``, ``field OKR Status`` …"""
    level: Level
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """True unless this is a failure (warnings do not fail the doctor)."""
        return self.level != "fail"

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"tracker": self.tracker, "topic": self.topic, "level": self.level, "detail": self.detail,
                "fix": self.fix}


@dataclass(frozen=True, slots=True)
class SetupStep:
    """One thing a tracker needs. ``manual`` steps cannot be done through the API: the admin does them."""

    tracker: str
    action: str
    """``create field``, ``create option``, ``create label``, ``add category``, ``manual`` …"""
    target: str
    detail: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    manual: bool = False

    def describe(self) -> str:
        """One line for the plan: ``tracker: action target — detail``."""
        prefix = "by hand: " if self.manual else ""
        return f"{self.tracker}: {prefix}{self.action} {self.target} — {self.detail}"


@dataclass(frozen=True, slots=True)
class StepResult:
    """What happened to one :class:`SetupStep`."""

    step: SetupStep
    ok: bool
    message: str = ""


def ok(tracker: str, topic: str, detail: str) -> Check:
    """A green check."""
    return Check(tracker, topic, "ok", detail)


def warn(tracker: str, topic: str, detail: str, fix: str) -> Check:
    """A warning: works, but should be fixed."""
    return Check(tracker, topic, "warn", detail, fix)


def fail(tracker: str, topic: str, detail: str, fix: str) -> Check:
    """A failure: okr-sync cannot do its job until it is fixed."""
    return Check(tracker, topic, "fail", detail, fix)


def failed_call(tracker: str, topic: str, error: SyncError, fix: str) -> Check:
    """A failed request as a check; credential failures say so whatever ``topic`` was."""
    detail = error.message.removesuffix("; will retry")  # doctor has retried already and reports the outcome
    if isinstance(error, AuthError) and "credential" in detail:
        return fail(tracker, "credentials", detail, fix)
    return fail(tracker, topic, detail, fix)


def attempt(tracker: str, topic: str, fix: str, action: Callable[[], Any]) -> tuple[Any, Check | None]:
    """Run ``action``; on a :class:`SyncError` return ``(None, failing check)``."""
    try:
        return action(), None
    except SyncError as error:
        return None, failed_call(tracker, topic, error, fix)


def webhook_check(tracker: str, secret: Any, setting: str, how: str) -> Check:
    """Green with a secret; a loud warning without one (anyone who can reach the daemon can trigger it)."""
    if secret is not None and secret.get_secret_value():
        return ok(tracker, "webhook secret", f"{setting} is set; deliveries without it are refused (401)")
    return warn(tracker, "webhook secret", f"{setting} is NOT set: any webhook delivery to /webhooks/{tracker} "
                                           "is accepted unauthenticated",
                f"set trackers.{tracker}.{setting}: ${{ENV_VAR}} and {how}")


def tls_check(tracker: str, url: str, verify_tls: bool, ca_cert: str | None) -> Check:
    """TLS verification on; plain HTTP only on loopback."""
    parts = urlsplit(url)
    if not verify_tls:
        return warn(tracker, "TLS", f"verify_tls is false: certificates of {parts.hostname} are not checked",
                    f"remove verify_tls: false; for a private CA set trackers.{tracker}.ca_cert: /path/ca.pem")
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK:
        return warn(tracker, "TLS", f"{url} is plain HTTP: the token travels unencrypted",
                    f"use the https:// URL of {parts.hostname}")
    where = f" (CA bundle {ca_cert})" if ca_cert else ""
    detail = "plain HTTP on this machine" if parts.scheme == "http" else f"certificates verified{where}"
    return ok(tracker, "TLS", detail)


class _ModuleAdmin:
    """The admin functions of ``connectors/<kind>/admin.py`` bound to one connector."""

    def __init__(self, connector: Any, module: Any) -> None:
        self._connector, self._module = connector, module

    def doctor(self, spec: Any, homes: Mapping[str, Any], people: Mapping[str, str]) -> list[Check]:
        """The module's ``doctor(connector, spec, homes, people)``."""
        return list(self._module.doctor(self._connector, spec, homes, people))

    def setup_plan(self, homes: Mapping[str, Any] | None = None, spec: Any = None) -> list[SetupStep]:
        """The module's ``setup_plan(connector, homes)``; ``spec`` (the fields KR measures read) too when the
        module takes it."""
        import inspect

        if spec is not None and "spec" in inspect.signature(self._module.setup_plan).parameters:
            return list(self._module.setup_plan(self._connector, homes, spec=spec))
        return list(self._module.setup_plan(self._connector, homes))

    def apply_setup(self, steps: Any) -> list[StepResult]:
        """The module's ``apply_setup(connector, steps)``."""
        return list(self._module.apply_setup(self._connector, steps))


def admin_of(connector: Any) -> Administers | None:
    """What offers ``doctor`` / ``setup_plan`` / ``apply_setup`` for ``connector``: the connector itself when it
    has those methods, else the admin module its plugin names, bound to it; None when it has neither."""
    if isinstance(connector, Administers):
        return connector
    plugin = installed().get(str(getattr(connector, "kind", "")))
    if plugin is None or plugin.admin is None:
        return None
    return _ModuleAdmin(connector, importlib.import_module(plugin.admin))
