"""The sandbox process: Jira, GitLab and Graph emulators behind one HTTP port, identity over TLS.

:class:`Sandbox` builds the WSGI app — the three emulators mounted with werkzeug's
``DispatcherMiddleware`` under ``/jira``, ``/gitlab`` and ``/graph/v1.0``, each behind a
:class:`TrackerGate` that counts requests and injects faults, plus the control API at ``/_sandbox`` —
and serves it with werkzeug's threaded server on a background thread. The Microsoft identity platform
(:mod:`sandbox.identity`) runs on a second listener over TLS with a certificate made at start by
``trustme`` for 127.0.0.1/localhost; the CA certificate is written to a temporary directory whose
path is in ``info["planner"]["ca_cert"]``.

Importing this module has no side effects; the emulator modules are imported when a sandbox is built.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import shutil
import socket
import ssl
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.control import ControlApp, RequestCounter
from okr_sync.sandbox.faults import Fault, FaultBook, error_body, status_line
from okr_sync.sandbox.fixtures import load_fixture
from okr_sync.sandbox.identity import CLIENT_ID, CLIENT_SECRET, TENANT_ID, IdentityApp, TokenStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# name → (module, class, default mount). The class's own ``mount`` wins when it has one.
EMULATORS: dict[str, tuple[str, str, str]] = {
    "jira": ("okr_sync.sandbox.jira", "JiraEmulator", "/jira"),
    "gitlab": ("okr_sync.sandbox.gitlab", "GitLabEmulator", "/gitlab"),
    "planner": ("okr_sync.sandbox.graph", "GraphEmulator", "/graph/v1.0"),
    "azure_devops": ("okr_sync.sandbox.ado", "AdoEmulator", "/ado"),
}
JIRA_USER = "okr-bot"
JIRA_TOKEN = "sandbox-jira-token"
JIRA_READONLY = ("viewer", "sandbox-jira-readonly")
GITLAB_TOKEN = "sandbox-gitlab-token"
GITLAB_READONLY_TOKEN = "sandbox-gitlab-readonly"
JIRA_DEPLOYMENTS = {"cloud": "Cloud", "server": "Server"}


class SandboxError(RuntimeError):
    """The sandbox cannot start or is used wrongly; the message says what to do."""


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip werkzeug's per-request access log line."""


def _load_emulator_class(name: str) -> Callable[..., Any]:
    module_name, class_name, _ = EMULATORS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise SandboxError(
            f"the {name} emulator ({module_name.replace('.', '/')}.py, class {class_name}) is not "
            "available in this checkout; update the checkout or pass emulator_factories=… to Sandbox"
        ) from exc
    return getattr(module, class_name)  # type: ignore[no-any-return]


class TrackerGate:
    """Wraps one mounted emulator: counts its requests and injects the fault rules that fire."""

    def __init__(self, sandbox: Sandbox, name: str, mount: str) -> None:
        self._sandbox = sandbox
        self.name = name
        self.mount = mount

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one WSGI request."""
        sandbox = self._sandbox
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        fault = sandbox.faults.decide(method, path)
        if fault is not None and fault.phase == "before":
            if fault.kind != "hang":
                sandbox.requests.record(method, f"{method} {path}", faulted=True)
                return self._inject(fault, environ, start_response)
            sandbox.pause(fault.hang_seconds)
        status, headers, body = self._call_emulator(environ)
        route = environ.get("sandbox.route")
        counted = "GET" if environ.get("sandbox.query") else method  # a POST that only reads (WIQL, batch)
        sandbox.requests.record(counted, f"{method} {self.mount}{route}" if route else f"{method} {path}")
        if fault is not None and fault.phase == "after":  # the emulator did its work; the answer fails
            if fault.kind != "hang":
                return self._inject(fault, environ, start_response)
            sandbox.pause(fault.hang_seconds)
        start_response(status, headers)
        return [body]

    def _call_emulator(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        app = self._sandbox.emulators[self.name]
        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], body

    def _inject(
        self, fault: Fault, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if fault.kind == "drop":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return []
        request_id = str(uuid.uuid4())
        now = self._sandbox.clock.now().isoformat()
        body = json.dumps(error_body(self.name, fault.kind, request_id, now)).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
        retry_after = fault.retry_after
        if fault.kind == "429" and retry_after is None:
            retry_after = 1.0
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:g}"))
        if self.name == "planner":
            headers += [("request-id", request_id), ("client-request-id", request_id)]
        start_response(status_line(fault.kind), headers)
        return [body]


def _not_found(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = json.dumps({"error": f"no sandbox service at {environ.get('PATH_INFO', '/')}; mounts are "
                                "/jira, /gitlab, /graph/v1.0, /ado and /_sandbox"}).encode()
    start_response("404 Not Found", [("Content-Type", "application/json; charset=utf-8"),
                                     ("Content-Length", str(len(body)))])
    return [body]


class Sandbox:
    """One in-process sandbox: the three emulators, the control API and the identity endpoint.

    ``fixture`` is ``"demo"``, ``"empty"``, a JSON/YAML path or a ready mapping (see
    :mod:`sandbox.fixtures`). ``port=0`` / ``identity_port=0`` pick free ports. ``jira_deployment``
    (``"cloud"`` or ``"server"``) overrides the fixture's Jira deployment type.
    ``emulator_factories`` replaces emulator classes by name (for tests of the core itself).
    ``external_urls`` (``{"gitlab": "http://gitlab.internal.example:8443"}``) makes an emulator build the
    absolute URLs it answers with (links, ``self``, ``@odata.nextLink``) from that address instead of the
    one it was reached at, like a server whose configured external URL differs from the one clients use;
    :meth:`set_external_url` changes it on a running sandbox, :meth:`reset` returns to these.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        fixture: str | Path | dict[str, Any] = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        identity_port: int = 0,
        jira_deployment: str | None = None,
        fault_seed: int = 0,
        emulator_factories: Mapping[str, Callable[..., Any]] | None = None,
        external_urls: Mapping[str, str] | None = None,
    ) -> None:
        for name, url in (external_urls or {}).items():
            _check_external_url(name, url)
        self._external_urls = dict(external_urls or {})
        if jira_deployment is not None and jira_deployment.lower() not in JIRA_DEPLOYMENTS:
            raise SandboxError(f"jira_deployment must be 'cloud' or 'server', got {jira_deployment!r}")
        self.fixture_name, self._fixture = load_fixture(fixture)
        self._jira_deployment = JIRA_DEPLOYMENTS[jira_deployment.lower()] if jira_deployment else None
        self._host, self._port, self._identity_port = host, port, identity_port
        self._factories = {name: (emulator_factories or {}).get(name) for name in EMULATORS}
        self.clock = SandboxClock()
        self.requests = RequestCounter()
        self.faults = FaultBook(fault_seed)
        self.tokens = TokenStore()
        self.emulators: dict[str, Any] = {}
        self._control = ControlApp(self)
        self._stopping = threading.Event()
        self._servers: list[BaseWSGIServer] = []
        self._running: list[tuple[BaseWSGIServer, threading.Thread]] = []
        self._tmpdir: str | None = None
        self._info: dict[str, Any] | None = None
        self._reset_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Build the emulators, bind both listeners and serve them on background threads."""
        if self._servers:
            raise SandboxError("this sandbox is already running; stop() it before starting again")
        self._stopping.clear()
        self.emulators = self._build_emulators()
        mounts = {gate.mount: gate for gate in self._gates()}
        app: WSGIApplication = DispatcherMiddleware(_not_found, {**mounts, "/_sandbox": self._control})
        try:
            http = self._make_server(self._port, app, None)
            self._tmpdir = tempfile.mkdtemp(prefix="okr-sync-sandbox-")
            ssl_context, ca_path = self._make_tls(Path(self._tmpdir))
            identity = IdentityApp(self.tokens, on_request=self.requests.record_identity)
            tls = self._make_server(self._identity_port, identity, ssl_context)
        except BaseException:
            self.stop()
            raise
        for server in (http, tls):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"sandbox-{server.port}", daemon=True)
            thread.start()
            self._running.append((server, thread))
        self._info = self._build_info(http.port, tls.port, ca_path)
        return self

    def stop(self) -> None:
        """Stop both listeners, wake hanging requests and delete the temporary certificate files."""
        self._stopping.set()
        for server, _ in self._running:
            server.shutdown()
        for _, thread in self._running:
            thread.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._servers.clear()
        self._running.clear()
        self._info = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _make_server(
        self, port: int, app: WSGIApplication, ssl_context: ssl.SSLContext | None
    ) -> BaseWSGIServer:
        try:
            server = make_server(self._host, port, app, threaded=True, request_handler=_QuietHandler,
                                 ssl_context=ssl_context)
        except SystemExit as exc:  # werkzeug exits when the port is taken
            raise SandboxError(
                f"cannot listen on {self._host}:{port} (in use or not allowed); choose another port "
                "(--port / --identity-port, or 0 for a free one)"
            ) from exc
        self._servers.append(server)
        return server

    @staticmethod
    def _make_tls(directory: Path) -> tuple[ssl.SSLContext, str]:
        import trustme

        ca = trustme.CA(organization_name="okr-sync sandbox")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        ca_path = directory / "sandbox-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        return context, str(ca_path)

    def pause(self, seconds: float) -> None:
        """Sleep up to ``seconds`` (a hang fault), returning early when the sandbox stops."""
        self._stopping.wait(seconds)

    # -- emulators, fixture, reset ------------------------------------------------------------------

    def _gates(self) -> list[TrackerGate]:
        gates = []
        for name, (_, _, default_mount) in EMULATORS.items():
            mount = getattr(type(self.emulators[name]), "mount", default_mount)
            gates.append(TrackerGate(self, name, mount if isinstance(mount, str) else default_mount))
        return gates

    def _build_emulators(self) -> dict[str, Any]:
        sections = copy.deepcopy(self._fixture)
        emulators = {}
        for name in EMULATORS:
            factory = self._factories[name] or _load_emulator_class(name)
            section = sections.get(name)
            kwargs: dict[str, Any] = {}
            if name == "jira" and self._jira_deployment:
                kwargs["deployment"] = self._jira_deployment
            if name == "planner":
                kwargs["token_ok"] = self.tokens.token_ok
            emulators[name] = factory(self.clock, section, **kwargs)
            if name in self._external_urls:
                _external_url_holder(name, emulators[name]).external_url = self._external_urls[name]
        return emulators

    def set_external_url(self, name: str, url: str | None) -> None:
        """Make emulator ``name`` build its absolute URLs from ``url`` (None: from the request again)."""
        _check_external_url(name, url)
        _external_url_holder(name, self.emulators.get(name)).external_url = url

    def external_urls(self) -> dict[str, str | None]:
        """Each emulator's external URL (None where it answers with the URL it was reached at)."""
        return {name: getattr(emulator, "external_url", None) for name, emulator in self.emulators.items()}

    def reset(self) -> None:
        """Reload the fixture into fresh emulators; clear faults and counters; clock to real time."""
        with self._reset_lock:
            fresh = self._build_emulators()
            self.clock.set(datetime.now(UTC))
            self._control.forget_clock()
            self.emulators.update(fresh)
            self.faults.clear()
            self.requests.reset()
            if self._info is not None:
                self._info["planner"]["plan_id"] = self._plan_id()

    def snapshot(self) -> dict[str, Any]:
        """Every emulator's ``snapshot()``, by tracker name."""
        return {name: emulator.snapshot() for name, emulator in self.emulators.items()}

    # -- info -------------------------------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        """The machine-readable contract of issue 5 (the ``--info`` file), once started."""
        if self._info is None:
            raise SandboxError("the sandbox is not running; call start() (or use `with Sandbox(...)`) first")
        return self._info

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the tracker listener."""
        return str(self.info["control"]).rsplit("/_sandbox", 1)[0]

    @property
    def control_url(self) -> str:
        """URL of the control API (``…/_sandbox``)."""
        return str(self.info["control"])

    def _build_info(self, port: int, identity_port: int, ca_path: str) -> dict[str, Any]:
        host = self._host if self._host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        base = f"http://{host}:{port}"
        mounts = {gate.name: gate.mount for gate in self._gates()}
        gitlab_meta = self._gitlab_names()
        jira_state = getattr(self.emulators["jira"], "state", None)
        deployment = getattr(jira_state, "deployment", None) or self._jira_deployment or \
            (self._fixture.get("jira") or {}).get("deployment") or "Cloud"
        return {
            "jira": {"url": base + mounts["jira"], "user": self._jira_login(jira_state, JIRA_USER, deployment),
                     "token": JIRA_TOKEN, "email": self._jira_email(jira_state),
                     "deployment": str(deployment),
                     "readonly_user": self._jira_login(jira_state, JIRA_READONLY[0], deployment),
                     "readonly_token": JIRA_READONLY[1]},
            "gitlab": {"url": base + mounts["gitlab"], "token": GITLAB_TOKEN,
                       "readonly_token": GITLAB_READONLY_TOKEN,
                       "group": gitlab_meta.get("group"), "project": gitlab_meta.get("project")},
            "planner": {"graph_url": base + mounts["planner"], "authority": f"https://{host}:{identity_port}",
                        "tenant_id": TENANT_ID, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "ca_cert": ca_path, "plan_id": self._plan_id()},
            "azure_devops": self._ado_info(base + mounts["azure_devops"]),
            "control": base + "/_sandbox",
            "fixture": self.fixture_name,
        }

    @staticmethod
    def _jira_login(state: Any, name: str, deployment: Any) -> str:
        """The basic-auth login of a Jira user: the e-mail on Cloud (which takes no user names), else the name."""
        if str(deployment) != "Cloud":
            return name
        user = next((u for u in getattr(state, "users", []) if u.name == name), None)
        return str(user.email) if user is not None else f"{name}@sandbox.example"

    @staticmethod
    def _jira_email(state: Any) -> str:
        """The bot's e-mail: the login of Jira Cloud's basic auth (e-mail + API token)."""
        bot = next((u for u in getattr(state, "users", []) if u.name == JIRA_USER), None)
        return str(bot.email) if bot is not None else f"{JIRA_USER}@sandbox.example"

    def _ado_info(self, mount_url: str) -> dict[str, Any]:
        """The Azure DevOps organisation URL, its PAT and first project."""
        ado = self.emulators["azure_devops"]
        state = getattr(ado, "state", None)
        organization = getattr(state, "organization", "okr")
        projects = list(getattr(state, "projects", {}) or ["Portal"])
        return {"url": f"{mount_url}/{organization}", "pat": getattr(ado, "pat", "sandbox-ado-pat"),
                "project": projects[0]}

    def _gitlab_names(self) -> dict[str, Any]:
        """The fixture's main GitLab group and project: from ``meta``, else its first ones, else okr."""
        meta = (self._fixture.get("meta") or {}).get("gitlab")
        if meta:
            return dict(meta)
        section = self._fixture.get("gitlab") or {}
        groups, projects = section.get("groups") or [], section.get("projects") or []
        return {"group": groups[0]["path"] if groups else "okr",
                "project": projects[0]["path"] if projects else "okr/work"}

    def _plan_id(self) -> str | None:
        graph = self.emulators["planner"]
        plan_id = getattr(graph, "default_plan_id", None)
        if isinstance(plan_id, str):
            return plan_id
        planner_meta = (self._fixture.get("meta") or {}).get("planner") or {}
        if isinstance(planner_meta.get("plan_id"), str):
            return str(planner_meta["plan_id"])
        wanted = planner_meta.get("plan")
        plans = graph.snapshot().get("plans") or []
        if isinstance(plans, dict):
            plans = [{"id": key, **(val if isinstance(val, dict) else {})} for key, val in plans.items()]
        for plan in plans:
            if wanted is None or plan.get("title") == wanted:
                return str(plan.get("id"))
        return None


def _check_external_url(name: str, url: str | None) -> None:
    if name not in EMULATORS:
        raise SandboxError(f"no emulator {name!r} for an external URL; use one of {', '.join(EMULATORS)}")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise SandboxError(f"the external URL of {name} must be an http:// or https:// URL (or null), "
                           f"got {url!r}")


def _external_url_holder(name: str, emulator: Any) -> Any:
    if emulator is None or not hasattr(emulator, "external_url"):
        raise SandboxError(f"the {name} emulator has no external URL setting")
    return emulator


def write_info(info: Mapping[str, Any], path: str | Path) -> None:
    """Write the info JSON to ``path`` atomically (readers never see a half-written file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)


def describe(info: Mapping[str, Any]) -> str:
    """The human-readable start-up banner: base URLs, credentials and the CA certificate path."""
    jira, gitlab, planner = info["jira"], info["gitlab"], info["planner"]
    return "\n".join([
        f"okr-sync sandbox running (fixture: {info.get('fixture')})",
        f"  Jira ({jira['deployment']}):".ljust(20) + f"{jira['url']}   user {jira['user']}  token {jira['token']}",
        "  GitLab:".ljust(20) + f"{gitlab['url']}   token {gitlab['token']}",
        "  Graph (Planner):".ljust(20) + f"{planner['graph_url']}   plan {planner.get('plan_id')}",
        *([("  Azure DevOps:".ljust(20) + f"{info['azure_devops']['url']}   PAT {info['azure_devops']['pat']}")]
          if "azure_devops" in info else []),
        "  Identity (TLS):".ljust(20) + f"{planner['authority']}   tenant {planner['tenant_id']}",
        " " * 20 + f"client {planner['client_id']}  secret {planner['client_secret']}",
        "  CA certificate:".ljust(20) + f"{planner['ca_cert']}",
        "  Control API:".ljust(20) + f"{info['control']}",
        "Press Ctrl-C to stop.",
    ])


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    fixture: str | Path = "demo",
    info_path: str | Path | None = None,
    *,
    jira_deployment: str | None = None,
    identity_port: int = 0,
    ready: Callable[[Sandbox], None] | None = None,
    external_urls: Mapping[str, str] | None = None,
) -> int:
    """Run a sandbox in the foreground until SIGINT or SIGTERM; return the process exit code (0).

    Prints the banner, writes ``info_path`` once ready (and removes it on stop, since the
    certificate it names is deleted then). Must be called from the main thread (signal handlers).
    """
    import signal
    import sys

    stop = threading.Event()
    sandbox = Sandbox(fixture, host=host, port=port, identity_port=identity_port,
                      jira_deployment=jira_deployment, external_urls=external_urls)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        sandbox.start()
        if info_path is not None:
            write_info(sandbox.info, info_path)
        print(describe(sandbox.info), flush=True)
        if info_path is not None:
            print(f"Info file: {info_path}", flush=True)
        if ready is not None:
            ready(sandbox)
        while not stop.wait(0.2):
            pass
        print("okr-sync sandbox stopping", file=sys.stderr, flush=True)
    finally:
        sandbox.stop()
        if info_path is not None:
            Path(info_path).unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
