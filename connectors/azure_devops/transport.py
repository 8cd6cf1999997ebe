"""The one road from the Azure DevOps connector to Azure DevOps: ``requests`` with okr-sync's rules on top.

Raw REST 7.1 over one ``requests`` session rather than the ``azure-devops`` package: that package sits on
``msrest``, which Microsoft has retired, retries on its own inside msrest's pipeline, and has no call for
``workitemsbatch`` with a field list or for the comments API's continuation tokens; with raw REST the one
retry layer is okr-sync's (:func:`okr_sync.connectors.retry.with_retries`).

* PAT auth is HTTP Basic with an empty user name; ``X-TFS-FedAuthRedirect: Suppress`` asks the service for a
  401 instead of its 203 sign-in page — a 203 still counts as rejected credentials, never as data.
* Redirects are not followed (the PAT would travel with them); every attempt is counted at the adapter.
* Every failure goes through the one response table (:func:`okr_sync.connectors.responses.classify`) with the
  subject named and secrets redacted; ``Retry-After`` on 429 (and ``X-RateLimit-*``) is honoured.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import requests
import requests.adapters

from okr_sync.config.errors import AuthError, RetriableError, SkippableError, SyncError
from okr_sync.config.plugins import secret_values
from okr_sync.connectors.azure_devops.settings import AzureDevOpsTracker
from okr_sync.connectors.logs import tracker_log
from okr_sync.connectors.responses import BAD_BODY, DEFAULT_RULES, Rule, classify, classify_exception, transport_rules
from okr_sync.connectors.retry import RetryPolicy, with_retries

T = TypeVar("T")
API = "7.1"
PREVIEW = "7.1-preview.4"
"""The comments API exists only as a preview version; without ``-preview`` the service answers 400 VS800060."""
CONFLICT = "TF26071"
TOO_MANY = "VS402337"

ADO_RULES: tuple[Rule, ...] = (
    Rule(203, AuthError, "credentials rejected on {subject}: Azure DevOps answered its sign-in page; check the "
                         "PAT in trackers.{tracker}.auth.token (scope Work Items Read & Write, not expired)"),
    Rule(401, AuthError, "credentials rejected on {subject}; check the PAT in trackers.{tracker}.auth.token "
                         "(scope Work Items Read & Write, not expired, organisation right)"),
    Rule(403, AuthError, "permission missing for {subject}: {detail}; the okr-sync account needs the Contributors "
                         "role on the project (edit work items in this node)"),
    Rule(412, SkippableError, "{subject} was changed by someone else since okr-sync read it ({detail})",
         body_contains=CONFLICT),
    Rule(409, SkippableError, "{subject} was changed by someone else since okr-sync read it ({detail})",
         body_contains=CONFLICT),
    Rule(400, SkippableError, "{subject} was changed by someone else since okr-sync read it ({detail})",
         body_contains=CONFLICT),
    Rule(400, SkippableError, "{subject} matches more than Azure DevOps returns at once ({detail})",
         body_contains=TOO_MANY),
    Rule(404, SkippableError, "{subject} not found, or the okr-sync account cannot see it: {detail}"),
    Rule(429, RetriableError, "rate limited by Azure DevOps on {subject}; backing off (Retry-After honoured)"),
    Rule((300, 399), SkippableError, "{subject}: Azure DevOps redirected elsewhere ({detail}) and okr-sync did not "
                                     "follow (the PAT would go with it); check trackers.{tracker}.url"),
)
RULES: tuple[Rule, ...] = (
    *ADO_RULES,
    *transport_rules(tls=requests.exceptions.SSLError, timeout=requests.exceptions.Timeout,
                     dropped=(requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError),
                     bad_body=ValueError),
    *DEFAULT_RULES,
)


def is_conflict(error: SyncError) -> bool:
    """Whether ``error`` is Azure DevOps refusing a stale ``/rev`` test (TF26071 in a 412, 400 or 409; a bare
    412 is retried as it is, by the default rule)."""
    return CONFLICT in error.message


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """Counts every request sent (retries and failed connections included)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)  # urllib3 retries nothing: one retry layer, okr-sync's
        self.sent = 0
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Count, then send."""
        with self._lock:
            self.sent += 1
        return super().send(request, *args, **kwargs)


class AdoTransport:
    """One organisation's REST API: counted, retried once (by okr-sync), errors classified."""

    def __init__(self, tracker: str, settings: AzureDevOpsTracker, *, sleep: Callable[[float], None]) -> None:
        self.tracker = tracker
        self.log = tracker_log("azure_devops", tracker)
        self.url = settings.url.rstrip("/")
        self._secrets = secret_values(settings)
        self._adapter = _CountingAdapter()
        self.session = requests.Session()
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)
        self.session.auth = ("", settings.auth.token.get_secret_value())
        self.session.headers.update({"Accept": "application/json", "X-TFS-FedAuthRedirect": "Suppress"})
        self.session.verify = settings.ca_cert if settings.verify_tls and settings.ca_cert else settings.verify_tls
        self.timeout = settings.timeout
        self._sleep = sleep
        self.policy = RetryPolicy(max_total=settings.max_retry_time.total_seconds())

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, every retry and failed attempt included."""
        return self._adapter.sent

    @property
    def secrets(self) -> list[str]:
        """Secrets of this tracker (redacted from anything shown)."""
        return list(self._secrets)

    def call(self, verb: str, path: str, *, subject: str, query: Mapping[str, Any] | None = None,
             body: Any = None, patch: bool = False, preview: bool = False,
             headers: Mapping[str, str] | None = None, retry: bool = True) -> tuple[Any, Mapping[str, str]]:
        """One request (``path`` under the organisation URL, or absolute) → (JSON body, response headers).

        ``patch`` sends a JSON Patch document; ``retry=False`` makes a single attempt, for callers that
        retry a whole operation themselves (:meth:`retried`).
        """
        def attempt() -> tuple[Any, Mapping[str, str]]:
            return self._once(verb, path, subject=subject, query=query, body=body, patch=patch, preview=preview,
                              headers=headers)

        return self.retried(attempt) if retry else attempt()

    def json(self, verb: str, path: str, **kwargs: Any) -> Any:
        """:meth:`call`, the body only."""
        return self.call(verb, path, **kwargs)[0]

    def retried(self, operation: Callable[[], T]) -> T:
        """Run a whole operation (made of ``retry=False`` calls) under the one retry layer."""
        return with_retries(operation, policy=self.policy, sleep=self._sleep, on_retry=self._log_retry)

    def continued(self, path: str, *, subject: str, rows: str, query: Mapping[str, Any] | None = None,
                  preview: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list API that continues with a token (body ``continuationToken`` or the
        ``x-ms-continuationtoken`` header), each page retried on its own; ``rows`` names the list in the body."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = {**(query or {}), **({"continuationToken": token} if token else {})}
            body, headers = self.call("get", path, subject=subject, query=params, preview=preview)
            page = body.get(rows) if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise self._error(BAD_BODY, subject, f"expected a JSON object with a {rows} list")
            yield [row for row in page if isinstance(row, dict)]
            token = (body.get("continuationToken") if isinstance(body, dict) else None) or \
                next((v for k, v in headers.items() if k.lower() == "x-ms-continuationtoken"), None)
            if not token or token in seen:  # a token repeated would loop for ever: the list ends here
                return
            seen.add(token)

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    # -- internals ---------------------------------------------------------------------------------

    def _once(self, verb: str, path: str, *, subject: str, query: Mapping[str, Any] | None, body: Any,
              patch: bool, preview: bool, headers: Mapping[str, str] | None) -> tuple[Any, Mapping[str, str]]:
        url = path if "://" in path else f"{self.url}/{path.lstrip('/')}"
        params = {"api-version": PREVIEW if preview else API, **(query or {})}
        sent = {"Content-Type": "application/json-patch+json" if patch else "application/json", **(headers or {})}
        try:
            response = self.session.request(verb.upper(), url, params=params, headers=sent,
                                            data=None if body is None else json.dumps(body), timeout=self.timeout,
                                            allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            raise classify_exception(exc, tracker=self.tracker, subject=subject, rules=RULES,
                                     secrets=self._secrets) from None
        if response.status_code >= 300 or response.status_code == 203:
            raise classify(response.status_code, tracker=self.tracker, subject=subject, detail=_detail(response),
                           headers=dict(response.headers), rules=RULES, secrets=self._secrets)
        try:
            return response.json(), response.headers
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise self._error(BAD_BODY, subject, f"HTTP {response.status_code}, {kind}, not JSON") from None

    def _error(self, status: int | str, subject: str, detail: str) -> SyncError:
        return classify(status, tracker=self.tracker, subject=subject, detail=detail, rules=RULES,
                        secrets=self._secrets)

    def _log_retry(self, error: SyncError, wait: float) -> None:
        self.log.info("azure_devops %s: retrying in %.1fs: %s", self.tracker, wait, error.message)


def _detail(response: requests.Response) -> str:
    """The service's own message (``{"message": …}``), or the start of a non-JSON body."""
    try:
        body = response.json()
    except ValueError:
        location = response.headers.get("Location")
        return f"to {location}" if location else response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return json.dumps(body)[:300]
