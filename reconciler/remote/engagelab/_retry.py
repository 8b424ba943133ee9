"""When and how long to wait before trying again: the retry policy, on tenacity.

Idempotent requests (GET, full-replacement PUT, DELETE) are retried on what may pass
by itself: a connection error or timeout, 429 (waiting at least its Retry-After),
500/28200 and 503/28203. Anything else (400, 401, 404) is an answer, not an accident,
and is raised at once. Waits grow exponentially from ``base_delay``, are capped at
``max_delay``, and carry jitter so that 32 requests failing together do not come
back together. POST is not retried here: see ``_create``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from reconciler.remote.engagelab.errors import (
    ApiError,
    ConnectionFailed,
    RateLimited,
    ServerError,
    ServiceUnavailable,
)

T = TypeVar("T")

log = logging.getLogger("reconciler.api")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with capped exponential backoff and jitter.

    ``max_attempts`` counts the first try. ``retry_after_cap`` bounds how long a
    server's Retry-After is honoured (a broken header must not stall a run for hours).
    """

    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise ValueError("delays must not be negative")

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        # "Equal jitter": never less than half the step, so retries do spread out,
        # yet never in lockstep with the other requests that failed at the same time.
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self.retry_after_cap))
        return wait


def is_transient(error: BaseException) -> bool:
    """Whether the same request may well succeed if sent again."""
    return isinstance(error, ConnectionFailed | RateLimited | ServerError | ServiceUnavailable)


def gave_up(error: ApiError, attempts: int, outcome: str = "") -> ApiError:
    """The last error, its explanation saying how hard we tried (and ``outcome``, if any)."""
    if isinstance(error, ServiceUnavailable):
        explanation = "the schedule service timed out"
    else:
        explanation = error.explanation
    if attempts > 1:
        explanation += f"; retried {attempts - 1} times"
    if outcome:
        explanation += f"; {outcome}"
    if explanation == error.explanation:
        return error
    return error.with_explanation(explanation)


async def call_with_retries(
    policy: RetryPolicy,
    what: str,
    attempt: Callable[[int], Awaitable[T]],
    deadline: float | None = None,
) -> T:
    """Run ``attempt(n)`` until it succeeds, fails for good, or the attempts run out.

    ``attempt`` receives its 1-based number (a DELETE needs to know whether an earlier
    try may already have done the work). ``deadline`` (seconds) bounds the whole call,
    waits included: a hung endpoint fails within it, whatever the backoff would
    still allow. Whatever is finally raised is an ApiError whose explanation counts
    the retries.
    """
    attempts = 0
    last: ApiError | None = None

    async def once() -> T:
        nonlocal attempts, last
        attempts += 1
        try:
            return await attempt(attempts)
        except ApiError as error:
            last = error
            raise

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return policy.delay(state.attempt_number, error)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        level = logging.WARNING if isinstance(error, RateLimited) else logging.INFO
        log.log(
            level,
            "retrying %s in %.2f s (attempt %d of %d failed: %s)",
            what,
            seconds,
            state.attempt_number,
            policy.max_attempts,
            error,
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception(is_transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    failure: ApiError
    try:
        async with asyncio.timeout(deadline):
            return await retrying(once)
    except ApiError as error:
        failure = gave_up(error, attempts)
    except TimeoutError:
        failure = out_of_time(what, deadline, attempts, last)
    # Raised outside the handler: the chain stays free of the attempts' internals.
    raise failure


def out_of_time(
    what: str, deadline: float | None, attempts: int, last: ApiError | None
) -> ApiError:
    """The error of a call cut off by its deadline: the last failure, or a plain time-out."""
    outcome = f"gave up after {deadline:g} s"
    if last is not None:
        return gave_up(last, attempts, outcome)
    method, _, path = what.partition(" ")
    return ConnectionFailed(f"timed out: no answer; {outcome}", method=method, path=path)
