"""The Microsoft Graph client of the Planner connector: auth, transport, one retry layer, errors.

msgraph-sdk is asynchronous (kiota over httpx). The connector is synchronous, so a :class:`GraphSession`
owns one private event loop and runs every call on it (``run``); the httpx connection pool lives on
that loop for the connector's lifetime. The middleware chain is the SDK's default one except for the
retry handler, which is configured deliberately (:class:`BoundedRetryHandler`): it retries 429/503/504
on every method up to ``max_retries`` times, waits what ``Retry-After`` says (else exponential backoff
with jitter, without kiota's 3-second base delay), never beyond the connector's total retry budget,
and sleeps through an injectable ``sleep`` so tests do not wait. Nothing else retries those statuses.
kiota's own handler would sleep a ``Retry-After`` of up to 180 s inside the call; a ``Retry-After``
above okr-sync's cap (30 s) instead ends the call and defers the tracker (:func:`connectors.retry.defers`).

Every HTTP request reaches the network through :class:`CountingTransport`, which counts it (retries
included) and turns a successful answer that is not JSON (no ``Content-Type``: the SDK would silently
return nothing) into :class:`UnreadableBody`.

msgraph, kiota and azure-identity are imported here only — and this module is imported only when a
:class:`~okr_sync.connectors.planner.connector.PlannerConnector` is constructed — because importing msgraph takes
noticeable time and memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ssl
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.identity import ClientSecretCredential
from kiota_abstractions.api_error import APIError
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.planner.settings import PlannerTracker
from okr_sync.connectors.redact import redact
from okr_sync.connectors.responses import (
    BAD_BODY,
    DEFAULT_RULES,
    Answer,
    Rule,
    classify_exception,
    transport_rules,
)
from okr_sync.connectors.retry import RetryPolicy, deferred, defers, with_retries

T = TypeVar("T")
MAX_RETRIES = 3
"""429/503/504 retries by the SDK's retry handler (Graph's documented default)."""

PLANNER_RULES: tuple[Rule, ...] = (
    Rule(401, AuthError, "credentials rejected by Microsoft Graph or the identity platform ({detail}); check "
                         "tenant_id, client_id and auth.client_secret of this tracker (and that the secret "
                         "has not expired)"),
    Rule(403, SkippableError, "Planner refused the change to {subject}: {detail}",
         body_contains="Maximum"),
    Rule(403, AuthError, "permission missing for {subject}: {detail}; grant the app registration the "
                         "Tasks.ReadWrite.All application permission (admin consent) and add it to the "
                         "plan's group"),
    Rule(412, RetriableError, "{subject} changed since it was read (stale ETag, If-Match failed); it will be "
                              "re-read and written again"),
)
NOT_RETRIED_HERE = frozenset({412, 429, 503, 504})


SDK_DEPRECATIONS = ("This class is deprecated. Please use the generic RequestConfiguration",
                    "GetQueryParameters is deprecated")


@contextlib.contextmanager
def quiet_sdk() -> Iterator[None]:
    """Silence the DeprecationWarnings msgraph's generated builders raise about themselves when loaded."""
    with warnings.catch_warnings():
        for message in SDK_DEPRECATIONS:
            warnings.filterwarnings("ignore", message, DeprecationWarning)
        yield


class UnreadableBody(Exception):
    """A successful answer okr-sync cannot read (not JSON); the SDK would return nothing for it."""


RULES = PLANNER_RULES + transport_rules(
    tls=(), timeout=httpx.TimeoutException, dropped=(httpx.TransportError, AzureError),
    bad_body=(UnreadableBody, ValueError), bad_body_detail=lambda exc: str(exc) or type(exc).__name__) + DEFAULT_RULES


class CountingTransport(httpx.AsyncBaseTransport):
    """The innermost transport: counts every request and refuses successful answers that are not JSON."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.count = 0
        self.last_date: str | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request (counted) and check the answer's Content-Type."""
        self.count += 1
        response = await self.inner.handle_async_request(request)
        self.last_date = response.headers.get("date") or self.last_date
        if response.status_code < 300 and response.status_code != 204:
            content_type = response.headers.get("content-type", "")
            if "json" not in content_type.lower():
                body = await response.aread()
                await response.aclose()
                if body.strip():
                    shown = content_type or "no Content-Type"
                    raise UnreadableBody(f"HTTP {response.status_code} with {shown} instead of JSON")
                return httpx.Response(response.status_code, headers=response.headers, content=b"",
                                      request=request)
        return response

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.inner.aclose()


class BoundedRetryHandler(RetryHandler):
    """kiota's RetryHandler with an injectable sleep, no base delay and a total time budget."""

    def __init__(self, *, max_retries: int, budget: float, sleep: Callable[[float], None],
                 cap: float = RetryPolicy().cap) -> None:
        super().__init__(RetryHandlerOption(delay=0.0, max_retries=max_retries))
        self.budget = budget
        self.cap = cap
        self._sleep = sleep
        self.waits: list[float] = []

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        """Send, retrying 429/503/504 while retries and the time budget last."""
        options = self._get_current_options(request)
        started = time.monotonic()
        retries = 0
        while True:
            response = await super(RetryHandler, self).send(request, transport)  # the next middleware
            if not (options.should_retry and retries < options.max_retry
                    and self.should_retry(request, options, response)):
                return response
            delay = self.get_delay_time(retries + 1, response, options.max_delay)
            if time.monotonic() - started + delay > self.budget or delay > self.cap:
                return response  # the caller sees the 429/503/504 with its Retry-After (and defers)
            await response.aclose()
            self.waits.append(delay)
            if self._sleep is time.sleep:
                await asyncio.sleep(delay)
            else:
                self._sleep(delay)
            retries += 1
            request.headers["Retry-Attempt"] = str(retries)


class GraphSession:
    """A GraphServiceClient for one tracker, its credential, its event loop and its counters."""

    def __init__(self, name: str, settings: PlannerTracker, *, secret: str,
                 sleep: Callable[[float], None]) -> None:
        self.name = name
        self.settings = settings
        self.secrets = [secret]
        verify: str | bool = settings.ca_cert or settings.verify_tls
        self.credential = ClientSecretCredential(
            settings.tenant_id, settings.client_id, secret, authority=settings.authority,
            disable_instance_discovery=True, connection_verify=verify)
        graph = urlsplit(settings.graph_url)
        auth = AzureIdentityAuthenticationProvider(
            self.credential, scopes=[f"{graph.scheme}://{graph.netloc}/.default"], allowed_hosts=[graph.hostname or ""])
        tls: ssl.SSLContext | bool = ssl.create_default_context(cafile=settings.ca_cert) if settings.ca_cert \
            else settings.verify_tls
        self.transport = CountingTransport(httpx.AsyncHTTPTransport(verify=tls))
        self.retry = BoundedRetryHandler(max_retries=MAX_RETRIES, budget=settings.max_retry_time.total_seconds(),
                                         sleep=sleep)
        middleware = [self.retry if isinstance(m, RetryHandler) else m
                      for m in KiotaClientFactory.get_default_middleware(None)]
        client = httpx.AsyncClient(transport=self.transport, timeout=httpx.Timeout(settings.timeout))
        client = KiotaClientFactory.create_with_custom_middleware(middleware, client)
        adapter = GraphRequestAdapter(auth, client=client)
        adapter.base_url = settings.graph_url.rstrip("/")
        self.adapter = adapter
        self.http = client
        self.client = GraphServiceClient(request_adapter=adapter)
        self.loop = asyncio.new_event_loop()
        self.sleep = sleep
        self.policy = RetryPolicy(attempts=MAX_RETRIES + 1, max_total=settings.max_retry_time.total_seconds())

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one coroutine on the session's loop (the SDK's own deprecation notices silenced)."""
        with quiet_sdk():
            return self.loop.run_until_complete(_awaited(call))

    def last_date(self) -> datetime | None:
        """The server's ``Date`` of the latest answer (when a change was observed), if it sent one."""
        if not self.transport.last_date:
            return None
        try:
            return email.utils.parsedate_to_datetime(self.transport.last_date).astimezone(UTC)
        except (TypeError, ValueError):
            return None

    def close(self) -> None:
        """Close connections, the credential and the loop (idempotent; safe from a GC finalizer)."""
        if self.loop.is_closed():
            return
        if asyncio._get_running_loop() is not None:  # collected while another loop runs: close elsewhere
            worker = threading.Thread(target=self.close, name="planner-session-close")
            worker.start()
            worker.join()
            return
        self.loop.run_until_complete(self.http.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        self.credential.close()

    def call(self, make: Callable[[], Awaitable[T]], *, subject: str) -> T:
        """Run one Graph call; a SyncError (named after ``subject``) when it fails.

        500/502, timeouts and dropped connections are retried here (:func:`with_retries`, bounded by
        ``max_retry_time``); 429/503/504 were already retried by the SDK and 412 needs a re-read, so
        those are raised at once: exactly one layer retries a given failure.
        """
        def attempt() -> T:
            try:
                return self.run(make)
            except Exception as exc:  # every library failure becomes a SyncError
                error = self.error(exc, subject=subject)
                if isinstance(error, RetriableError) and defers(error.retry_after, self.policy):
                    raise deferred(error) from None  # Graph asks for a longer pause than a cycle waits
                if not isinstance(error, RetriableError) or _status(exc) in NOT_RETRIED_HERE:
                    raise _Final(error) from None
                raise error from None

        try:
            return with_retries(attempt, policy=self.policy, sleep=self.sleep)
        except _Final as final:
            raise final.error from None

    def error(self, exc: BaseException, *, subject: str) -> SyncError:
        """The SyncError for anything a Graph call raised (secrets redacted)."""
        return translate(exc, tracker=self.name, subject=subject, secrets=self.secrets)


class _Final(Exception):
    """Carries an error past :func:`with_retries` that must not be retried there."""

    def __init__(self, error: SyncError) -> None:
        super().__init__(str(error))
        self.error = error


def _status(exc: BaseException) -> int | None:
    return exc.response_status_code if isinstance(exc, APIError) else None


async def _awaited(call: Callable[[], Awaitable[T]]) -> T:
    return await call()


def translate(exc: BaseException, *, tracker: str, subject: str, secrets: list[str]) -> SyncError:
    """Classify a Graph/identity/transport exception through the one response table (secrets redacted)."""
    if isinstance(exc, SyncError):
        return exc
    error = classify_exception(exc, tracker=tracker, subject=subject, rules=RULES, answer=_answer, secrets=secrets)
    if subject not in error.message:
        error.subject = redact(subject, secrets)  # shown by str(error): "tracker: subject: message"
    return error


def _answer(exc: BaseException) -> Answer | None:
    """What Graph or the identity platform answered (None for a transport failure)."""
    if isinstance(exc, APIError):
        return Answer(exc.response_status_code or BAD_BODY, _odata_detail(exc),
                      {str(k): str(v) for k, v in (exc.response_headers or {}).items()})
    if isinstance(exc, ClientAuthenticationError):
        return Answer(401, _first_line(getattr(exc, "message", None) or str(exc)))
    return None


def _odata_detail(exc: APIError) -> str:
    if isinstance(exc, ODataError) and exc.error is not None:
        code, message = exc.error.code or "", exc.error.message or ""
        return f"{code}: {message}" if code else message
    return exc.message or ""


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""
