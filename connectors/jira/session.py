"""The Jira client as okr-sync uses it: one ``jira.JIRA`` per connector, counted, retried once, classified.

Retry layer (decided here, once): the ``jira`` library's ``ResilientSession`` retries 429 and 503 (and
dropped connections) itself, sleeping with ``time.sleep`` for *twice* the ``Retry-After`` value (or
``10 * 2**n`` seconds without one), up to ``max_retries`` times. That sleep cannot be injected, doubles
what the server asked for, and does not cover 500/502/504 or timeouts. So the library's retries are
switched off (``max_retries=0``) and :func:`connectors.retry.with_retries` is the *only* layer: it
retries every :class:`RetriableError` (429, 5xx, timeouts, dropped connections, unreadable bodies),
honours ``Retry-After`` exactly (one longer than 30 s or than the budget left defers the tracker
instead), caps each wait and the total at ``settings.max_retry_time``, and takes the connector's
injectable ``sleep``. Each retry repeats one HTTP request (one search page, one write),
never a whole pull.

Every request the library sends goes through :class:`CountingAdapter`, so ``requests_made`` counts
retries and failures too. Every exception becomes a :class:`SyncError` through
:func:`connectors.responses.classify_exception` with :data:`RULES` (Jira's rows first), which redacts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError
from requests.adapters import HTTPAdapter

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.jira.settings import BasicAuth, JiraTracker
from okr_sync.connectors.logs import tracker_log
from okr_sync.connectors.responses import (
    BAD_BODY,
    DEFAULT_RULES,
    Answer,
    Rule,
    classify_exception,
    transport_rules,
)
from okr_sync.connectors.retry import RetryPolicy, with_retries

T = TypeVar("T")
LOG = logging.getLogger("okr_sync.connectors.jira")

JIRA_RULES: tuple[Rule, ...] = (
    Rule(400, SkippableError, "Jira rejected the select option for {subject}: {detail}; create the option in "
                              "the field's context or change write.status_options",
         body_contains="option"),
    Rule(400, SkippableError, "Jira refused to set {subject}: {detail}; check that the field exists, is on "
                              "the issue's edit screen and takes this kind of value",
         body_contains="cannot be set"),
    Rule(400, SkippableError, "Jira rejected the query for {subject}: {detail}; fix scope.jql",
         body_contains="Error in the JQL"),
    Rule(401, AuthError, "Jira rejected the credentials on {subject}; check the token (or user and API token) "
                         "configured for this tracker and that it has not expired"),
    Rule(409, RetriableError, "Jira reported a conflicting edit of {subject}; will re-read and retry"),
    Rule(429, RetriableError, "Jira rate-limited {subject}; backing off as Retry-After asks"),
)
"""Jira's own rows, consulted before :data:`connectors.responses.DEFAULT_RULES`."""
RULES = JIRA_RULES + transport_rules(
    tls=requests.exceptions.SSLError, timeout=requests.Timeout,
    dropped=(requests.ConnectionError, requests.exceptions.ChunkedEncodingError), bad_body=(ValueError, KeyError),
    bad_body_detail=lambda exc: f"not the JSON Jira sends: {type(exc).__name__}") + DEFAULT_RULES


class CountingAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that counts every request it sends (retries and failures included)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.count = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Count, then send as usual."""
        self.count += 1
        return super().send(request, *args, **kwargs)


class JiraSession:
    """A lazily connected ``jira.JIRA`` with counted requests and the one retry layer."""

    def __init__(self, name: str, settings: JiraTracker, *, sleep: Callable[[float], None],
                 token: str | None = None) -> None:
        self.name = name
        self.log = tracker_log("jira", name)
        self.settings = settings
        self._sleep = sleep
        self._token = token if token is not None else settings.auth.token.get_secret_value()
        self._adapter = CountingAdapter()
        self._client: JIRA | None = None
        self.server_info: dict[str, Any] = {}
        self.known_info: dict[str, Any] | None = None
        """serverInfo remembered from an earlier process (the watermark), used instead of asking again."""
        self.cloud = settings.deployment == "cloud"
        self._time_zone: str | None = None
        self._me: str | None = None

    # --- connection ---------------------------------------------------------------------------------

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far."""
        return self._adapter.count

    @property
    def secrets(self) -> list[str]:
        """Every secret that must never appear in a message."""
        found = [self._token]
        if self.settings.webhook_secret is not None:
            found.append(self.settings.webhook_secret.get_secret_value())
        return found

    @property
    def base_url(self) -> str:
        """The configured site URL without a trailing slash."""
        return self.settings.url.rstrip("/")

    def client(self) -> JIRA:
        """The connected client; the first call reads ``serverInfo`` (deployment and version)."""
        if self._client is None:
            s = self.settings
            options: dict[str, Any] = {"server": self.base_url, "rest_api_version": "2", "check_update": False,
                                       "verify": s.ca_cert if s.ca_cert and s.verify_tls else s.verify_tls}
            auth: dict[str, Any] = ({"basic_auth": (s.auth.user, self._token)} if isinstance(s.auth, BasicAuth)
                                    else {"token_auth": self._token})
            client = JIRA(options=options, max_retries=0, timeout=s.timeout, get_server_info=False, **auth)
            client._session.mount("http://", self._adapter)
            client._session.mount("https://", self._adapter)
            try:
                info = self.known_info or self.call(client.server_info, subject="serverInfo (site, deployment type)")
                # What JIRA(get_server_info=True) would set; done here so the call is counted and retried.
                client._version = tuple(info.get("versionNumbers") or (0, 0, 0))
                deployment = {"cloud": "Cloud", "server": "Server"}.get(s.deployment) or info.get("deploymentType")
                client.deploymentType = deployment
            except BaseException:
                client.close()  # type: ignore[no-untyped-call]
                raise
            self.server_info = info
            self.cloud = deployment == "Cloud"
            self._client = client
            self.log.info("jira %s: connected to %s (%s)", self.name, self.base_url, deployment)
        return self._client

    def time_zone(self) -> str:
        """The okr-sync user's time zone (``myself.timeZone``; UTC when Jira does not show it). Read once."""
        if self._time_zone is None:
            self._myself()
        return self._time_zone or "UTC"

    def me(self) -> str:
        """okr-sync's own user: Cloud account id, Server user name (``myself``, read once with the time zone)."""
        if self._me is None:
            self._myself()
        return self._me or ""

    def _myself(self) -> None:
        me = self.call(self.client().myself, subject="myself (the okr-sync user)")
        self._time_zone = self._time_zone or str(me.get("timeZone") or "UTC")
        self._me = str(me.get("accountId") or me.get("name") or me.get("key") or "")

    def close(self) -> None:
        """Release the connection pool."""
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]
            self._client = None

    # --- calls ----------------------------------------------------------------------------------------

    def call(self, action: Callable[[], T], *, subject: str, retry: bool = True,
             before_retry: Callable[[], T | None] | None = None) -> T:
        """Run one library call, translating failures; retry retriable ones (``retry=False``: never).

        ``before_retry`` runs before each repeated attempt of a non-idempotent write; when it returns
        something other than None, the write already landed and that value is the result.
        """
        attempts, budget = {"n": 0}, self.settings.max_retry_time.total_seconds()

        def once() -> T:
            attempts["n"] += 1
            if attempts["n"] > 1 and before_retry is not None:
                landed = before_retry()
                if landed is not None:
                    return landed
            try:
                return action()
            except (JIRAError, requests.RequestException, ValueError, KeyError) as exc:
                raise self.translate(exc, subject) from None

        policy = RetryPolicy(attempts=5, max_total=budget, base=0.5, cap=max(0.0, min(30.0, budget)))
        if not retry:  # one attempt; a Retry-After beyond the cap still defers the tracker
            return with_retries(once, policy=replace(policy, attempts=1), sleep=self._sleep)
        return with_retries(once, policy=policy, sleep=self._sleep, on_retry=self._log_retry)

    def _log_retry(self, error: RetriableError, wait: float) -> None:
        self.log.warning("jira %s: %s (retrying in %.1f s)", self.name, error.message, wait)

    def translate(self, exc: BaseException, subject: str) -> SyncError:
        """The :class:`SyncError` for a library or transport exception (never carrying a secret)."""
        if isinstance(exc, SyncError):
            return exc
        return classify_exception(exc, tracker=self.name, subject=subject, rules=RULES, answer=_answer,
                                  secrets=self.secrets)


def _answer(exc: BaseException) -> Answer | None:
    """What Jira answered, from a ``JIRAError`` (None for any other exception)."""
    if not isinstance(exc, JIRAError):
        return None
    response = exc.response if isinstance(exc.response, requests.Response) else None
    return Answer(exc.status_code if isinstance(exc.status_code, int) else BAD_BODY,
                  _detail(exc.text or "", response), dict(response.headers) if response is not None else {})


def _detail(text: str, response: requests.Response | None) -> str:
    content_type = response.headers.get("Content-Type", "") if response is not None else ""
    if "html" in content_type.lower() or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return "an HTML page instead of Jira's JSON error (a proxy or gateway answered)"
    return text


