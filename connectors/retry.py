"""The one retry layer okr-sync adds on top of a client library (tenacity, as dlt uses it).

It retries only :class:`RetriableError`, honours ``Retry-After`` when the tracker sent one, else backs off
exponentially with jitter, caps each wait and the total time, and takes an injectable ``sleep`` so tests
never wait. Connectors whose library already retries a failure (msgraph's RetryHandler, python-gitlab's
429 handling) pass ``attempts=1`` for those calls: exactly one layer retries a given failure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from okr_sync.config.errors import RetriableError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff curve."""

    attempts: int = 5
    max_total: float = 120.0
    base: float = 0.5
    cap: float = 30.0


def backoff(state: RetryCallState, policy: RetryPolicy) -> float:
    """``Retry-After`` if the tracker said so (capped), else exponential backoff with full jitter."""
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
    """Run ``call``; retry it on :class:`RetriableError` within ``policy``; re-raise the last error."""

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            error = state.outcome.exception()
            if isinstance(error, RetriableError):
                on_retry(error, state.next_action.sleep)

    retrying = Retrying(
        retry=retry_if_exception_type(RetriableError),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_total),
        wait=lambda state: backoff(state, policy),
        sleep=sleep,
        reraise=True,
        before_sleep=before_sleep,
    )
    return retrying(call)
