"""The one road from the GitLab connector to GitLab: python-gitlab underneath, okr-sync's rules on top.

Every request goes through :meth:`GitLabTransport.request`, which

* calls ``Gitlab.http_request`` with the library's own retries switched off (``obey_rate_limit=False``,
  ``retry_transient_errors=False``, ``max_retries=0``): python-gitlab would otherwise retry 429 up to ten
  times with ``time.sleep`` — not injectable and not bounded in total time — so okr-sync's
  :func:`connectors.retry.with_retries` is the *one* layer that retries 429, 5xx, timeouts and dropped
  connections, honouring ``Retry-After`` and ``settings.max_retry_time``;
* counts every attempt at the HTTP adapter (so retries and failed connections are counted too) and keeps
  the last answer's headers, since the library's exceptions do not carry them (``Retry-After``);
* turns every library or ``requests`` exception into a :class:`config.errors.SyncError` through the one
  response table (:func:`connectors.responses.classify`), with the subject named and secrets redacted.

:meth:`pages` follows ``Link: <…>; rel="next"`` itself (one retried request per page), because a failed
page must be fetched again, never skipped. GitLab builds that link from its own ``external_url``, which is
often not the URL okr-sync is configured with (internal DNS name, reverse proxy): the link is re-based onto
the configured URL (:func:`okr_sync.connectors.urls.rebase`, python-gitlab's ``keep_base_url`` rule), or
refused when it is not under ``/api/v4`` — the token never goes to another host. For the same reason a
redirect to another scheme, host or port is not followed (requests would carry ``PRIVATE-TOKEN`` along).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import gitlab
import gitlab.exceptions
import requests
import requests.adapters

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.connectors.logs import tracker_log
from okr_sync.connectors.responses import (
    BAD_BODY,
    DEFAULT_RULES,
    Answer,
    Rule,
    classify,
    classify_exception,
    transport_rules,
)
from okr_sync.connectors.retry import RetryPolicy, with_retries
from okr_sync.connectors.urls import rebase

T = TypeVar("T")
PAGE_SIZE = 100

GITLAB_RULES: tuple[Rule, ...] = (
    Rule(401, AuthError, "credentials rejected on {subject}; check the token configured for this tracker (api "
                         "scope, not expired, not revoked)"),
    Rule(409, RetriableError, "{subject} is locked by another change on GitLab; will retry",
         body_contains="Resource lock"),
    Rule(409, SkippableError, "GitLab refused the change to {subject} as a conflict: {detail}"),
    Rule(429, RetriableError, "rate limited by GitLab on {subject}; backing off (Retry-After honoured)"),
    Rule(403, AuthError,
         "permission missing for {subject}: {detail}; the okr-sync token needs the api scope and at least "
         "Reporter (read) or Developer (write) access there"),
    Rule(404, SkippableError,
         "{subject} not found, or the okr-sync token cannot see it (check the path and the token's access)"),
)


class _OffHostRedirect(requests.exceptions.RequestException):
    """GitLab answered with a redirect to another host; it was not followed."""


RULES: tuple[Rule, ...] = (
    *GITLAB_RULES,
    Rule(_OffHostRedirect, SkippableError, "{subject}: {detail} and okr-sync did not follow (the token would go "
         "with it); check trackers.{tracker}.url — it should be the address GitLab answers on without redirecting",
         detail=str),
    *transport_rules(tls=requests.exceptions.SSLError, timeout=requests.exceptions.Timeout,
                     dropped=(requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError),
                     bad_body=ValueError),
    *DEFAULT_RULES,
)


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """An HTTP adapter that counts every request it sends and remembers the last answer's headers."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)  # urllib3 retries nothing: one retry layer, okr-sync's
        self.sent = 0
        self._lock = threading.Lock()
        self.local = threading.local()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Count, send, remember headers."""
        with self._lock:
            self.sent += 1
        self.local.headers = {}
        response = super().send(request, *args, **kwargs)
        self.local.headers = dict(response.headers)
        return response


class _HomeSession(requests.Session):
    """A session that follows redirects only within the configured scheme, host and port."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.origin = _origin(url)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """The redirect target, or :class:`_OffHostRedirect` when it leaves the configured origin."""
        target = super().get_redirect_target(resp)
        if target is not None and _origin(urljoin(resp.url, target)) != self.origin:
            raise _OffHostRedirect(f"GitLab redirected to {_origin(urljoin(resp.url, target))}")
        return target


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class GitLabTransport:
    """python-gitlab configured for okr-sync: counted, retried once (by okr-sync), errors classified."""

    def __init__(self, tracker: str, settings: GitLabTracker, *, sleep: Callable[[float], None]) -> None:
        self.tracker = tracker
        self.log = tracker_log("gitlab", tracker)
        self.url = settings.url.rstrip("/")
        self._token = settings.auth.token.get_secret_value()
        self._secrets = [s for s in (self._token, _secret(settings.webhook_secret)) if s]
        self._adapter = _CountingAdapter()
        session = _HomeSession(settings.url)
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        verify: bool | str = settings.ca_cert if settings.verify_tls and settings.ca_cert else settings.verify_tls
        self.gl = gitlab.Gitlab(settings.url, private_token=self._token, timeout=settings.timeout,
                                ssl_verify=verify, retry_transient_errors=False, session=session,
                                keep_base_url=True)
        self._sleep = sleep
        self.policy = RetryPolicy(max_total=settings.max_retry_time.total_seconds())

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, every retry and failed attempt included."""
        return self._adapter.sent

    @property
    def secrets(self) -> list[str]:
        """Secrets this transport knows (to be redacted from anything shown)."""
        return list(self._secrets)

    def request(self, verb: str, path: str, *, subject: str, query: Mapping[str, Any] | None = None,
                body: Mapping[str, Any] | None = None, retry: bool = True) -> requests.Response:
        """One request (``path`` relative to ``/api/v4`` or an absolute URL); a SyncError on failure.

        ``retry=False`` makes a single attempt, for callers that retry a whole operation themselves.
        """

        def attempt() -> requests.Response:
            return self._once(verb, path, subject=subject, query=query, body=body)

        if not retry:
            return attempt()
        return with_retries(attempt, policy=self.policy, sleep=self._sleep, on_retry=self._log_retry)

    def retried(self, operation: Callable[[], T]) -> T:
        """Run a whole operation (made of ``retry=False`` requests) under the one retry layer."""
        return with_retries(operation, policy=self.policy, sleep=self._sleep, on_retry=self._log_retry)

    def json(self, verb: str, path: str, *, subject: str, query: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None, retry: bool = True) -> Any:
        """:meth:`request` and its JSON body (an unreadable body is retried like a 5xx)."""

        def attempt() -> Any:
            return self._parse(self._once(verb, path, subject=subject, query=query, body=body), subject)

        if not retry:
            return attempt()
        return with_retries(attempt, policy=self.policy, sleep=self._sleep, on_retry=self._log_retry)

    def pages(self, path: str, *, subject: str, query: Mapping[str, Any],
              retry: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, ``per_page=100``, following ``Link: rel="next"``.

        Each page is retried on its own (a failed page is fetched again, never skipped).
        """
        url: str | None = path
        params: Mapping[str, Any] | None = {**query, "per_page": PAGE_SIZE}
        while url is not None:
            fetch = functools.partial(self._page, url, params, subject)
            rows, url = self.retried(fetch) if retry else fetch()
            params = None  # the next URL carries every filter
            yield rows

    def _page(self, url: str, params: Mapping[str, Any] | None,
              subject: str) -> tuple[list[dict[str, Any]], str | None]:
        response = self._once("get", url, subject=subject, query=params, body=None)
        rows = self._parse(response, subject)
        if not isinstance(rows, list):
            raise self._error(BAD_BODY, subject, "expected a JSON list")
        link = response.links.get("next", {}).get("url")
        if not link:
            return rows, None
        return rows, rebase(link, self.url, "/api/v4", tracker=self.tracker, what=f"the next-page link of {subject}")

    def close(self) -> None:
        """Release pooled connections."""
        self.gl.session.close()

    # -- internals ---------------------------------------------------------------------------------

    def _once(self, verb: str, path: str, *, subject: str, query: Mapping[str, Any] | None,
              body: Mapping[str, Any] | None) -> requests.Response:
        try:
            return self.gl.http_request(verb, path, query_data=dict(query or {}),
                                        post_data=dict(body) if body is not None else None,
                                        obey_rate_limit=False, retry_transient_errors=False, max_retries=0)
        except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException) as exc:
            raise classify_exception(exc, tracker=self.tracker, subject=subject, rules=RULES, answer=self._answer,
                                     secrets=self._secrets) from None

    def _parse(self, response: requests.Response, subject: str) -> Any:
        try:
            return response.json()
        except (ValueError, requests.exceptions.JSONDecodeError):
            kind = response.headers.get("Content-Type", "no content type")
            raise self._error(BAD_BODY, subject, f"HTTP {response.status_code}, {kind}, not JSON") from None

    def _answer(self, exc: BaseException) -> Answer | None:
        """What GitLab answered, from python-gitlab's error (None for a transport failure)."""
        if not isinstance(exc, gitlab.exceptions.GitlabError):
            return None
        status: int | str = exc.response_code or BAD_BODY
        detail = exc.error_message
        text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        headers = getattr(self._adapter.local, "headers", None) if status == 429 else None
        return Answer(status, text, headers)

    def _error(self, status: int | str, subject: str, detail: str) -> SyncError:
        return classify(status, tracker=self.tracker, subject=subject, detail=detail, rules=RULES,
                        secrets=self._secrets)

    def _log_retry(self, error: SyncError, wait: float) -> None:
        self.log.info("gitlab %s: retrying in %.1fs: %s", self.tracker, wait, error.message)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
