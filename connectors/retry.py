"""The one retry layer okr-sync adds on top of a client library (tenacity, as dlt uses it).

It retries only :class:`RetriableError`, honours ``Retry-After`` exactly when the tracker sent one, else
backs off exponentially with jitter, caps each wait and the total time, and takes an injectable ``sleep``
so tests never wait. A ``Retry-After`` longer than the cap (or than the time budget left) is not
shortened: the attempt ends with a :class:`DeferredError` and the engine leaves the tracker alone until
then — never a request before the server allows one.

Exactly one layer retries a given failure: the Jira connector switches ``ResilientSession``'s retries off
(``max_retries=0``), the GitLab connector python-gitlab's (``obey_rate_limit=False``,
``retry_transient_errors=False``); Planner's 429/503/504 are retried by the Graph SDK's ``RetryHandler``
(bounded the same way, :func:`defers`), the rest by this layer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from okr_sync.config.errors import DeferredError, RetriableError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff curve (``cap``: the longest single wait)."""

    attempts: int = 5
    max_total: float = 120.0
    base: float = 0.5
    cap: float = 30.0


def defers(retry_after: float | None, policy: RetryPolicy, *, slept: float = 0.0) -> bool:
    """Whether a ``Retry-After`` asks for more than this attempt may wait (the cap, or the budget left)."""
    return retry_after is not None and (retry_after > policy.cap or slept + retry_after > policy.max_total)


def deferred(error: RetriableError) -> DeferredError:
    """``error`` as the end of the attempt: the tracker is to be left alone for ``retry_after`` seconds."""
    if isinstance(error, DeferredError):
        return error
    wait = error.retry_after or 0.0
    message = (f"{error.message}; the tracker asks okr-sync to wait {wait:.0f} s (Retry-After), longer than "
               "it waits within a cycle, so this tracker is left alone until then")
    later = DeferredError(message, tracker=error.tracker, subject=error.subject, retry_after=wait)
    later.http_status = error.http_status
    return later


def backoff(state: RetryCallState, policy: RetryPolicy) -> float:
    """``Retry-After`` if the tracker said so (within the cap by then), else exponential backoff with jitter."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetriableError) and error.retry_after is not None:
        return min(error.retry_after, policy.cap)
    exponential = min(policy.cap, policy.base * 2 ** (state.attempt_number - 1))
    return random.uniform(0, exponential)  # noqa: S311 - jitter, not cryptography


def with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[RetriableError, float], None] | None = None,
) -> T:
    """Run ``call``; retry it on :class:`RetriableError` within ``policy``; re-raise the last error.

    A ``Retry-After`` beyond the cap or the budget left raises :class:`DeferredError` at once.
    """
    slept = [0.0]

    def attempt() -> T:
        try:
            return call()
        except RetriableError as error:
            if defers(error.retry_after, policy, slept=slept[0]):
                raise deferred(error) from None
            raise

    def wait_and_count(seconds: float) -> None:
        slept[0] += seconds
        sleep(seconds)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            error = state.outcome.exception()
            if isinstance(error, RetriableError):
                on_retry(error, state.next_action.sleep)

    retrying = Retrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, RetriableError) and not isinstance(exc, DeferredError)),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_total),
        wait=lambda state: backoff(state, policy),
        sleep=wait_and_count,
        reraise=True,
        before_sleep=before_sleep,
    )
    return retrying(attempt)
