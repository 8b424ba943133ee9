"""One attempt of one request: polite (concurrency, rate), timed, logged, translated.

Every request passes, in this order, an ``asyncio.Semaphore`` (at most ``concurrency``
in flight), a shared pause (after a 429 every request waits out Retry-After, not only
the one refused), and a leaky bucket (``aiolimiter``) of a tenth of a second's worth
of requests: a bucket holding a whole second's rate would let twice the rate through
in the first second, this one lets no one-second window exceed the rate by more than
a tenth. The token is taken last, right before the request leaves.

Answers become parsed JSON or an ApiError; httpx failures become ConnectionFailed,
raised outside the ``except`` block so no httpx object (whose request carries the
Authorization header) hangs off ``__context__``. Nothing here logs headers; the secret
and the encoded Authorization value are scrubbed from any text the server sends back.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from aiolimiter import AsyncLimiter

from reconciler._version import __version__
from reconciler.remote.engagelab._json import parse_json
from reconciler.remote.engagelab._pool import AnswerTooLarge, ShardedTransport, proxy_configured
from reconciler.remote.engagelab.errors import (
    ApiError,
    AuthenticationFailed,
    ConnectionFailed,
    InvalidRequest,
    MalformedResponse,
    NoPushTarget,
    RateLimited,
    ScheduleNotFound,
    ServerError,
    ServiceUnavailable,
)
from reconciler.remote.engagelab.settings import SETTINGS

log = logging.getLogger("reconciler.api")

USER_AGENT = f"reconciler/{__version__} (engagelab-schedule-reconciler; httpx/{httpx.__version__})"
#: Requests a rate limiter lets through at once: a tenth of a second's worth.
BUCKET_SLICE = 0.1


def _jsonable(value: object) -> object:
    # Bodies may be read-only views (Mapping) rather than dicts.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _default_transport(concurrency: int) -> httpx.AsyncBaseTransport | None:
    """Small sharded pools over the network (see ``_pool``); httpx's own under a proxy."""
    return None if proxy_configured() else ShardedTransport(concurrency)


class Session:
    """The connection pool and the politeness shared by every request of one client."""

    def __init__(
        self,
        *,
        base_url: str,
        app_key: str,
        master_secret: str,
        concurrency: int,
        rate_limit: float,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float,
        credential_names: tuple[str, str],
        retry_after_cap: float,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if rate_limit <= 0:
            raise ValueError("rate_limit must be positive")
        self.timeout = timeout
        self.retry_after_cap = retry_after_cap
        self.credential_names = credential_names
        token = base64.b64encode(f"{app_key}:{master_secret}".encode()).decode("ascii")
        # Whatever could give the secret away, in the forms it could come back in.
        self._secrets = tuple(
            s for s in {master_secret, token, f"Basic {token}", f"{app_key}:{master_secret}"} if s
        )
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=httpx.BasicAuth(app_key, master_secret),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport if transport is not None else _default_transport(concurrency),
            follow_redirects=False,
        )
        self._semaphore = asyncio.Semaphore(concurrency)
        burst = max(1.0, rate_limit * BUCKET_SLICE)
        self._limiter = AsyncLimiter(burst, burst / rate_limit)
        self._resume_at = 0.0  # monotonic time before which nobody sends (429 Retry-After)
        self.sent = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    async def _wait_out_pause(self) -> None:
        # A loop, not one sleep: another 429 may push the pause further meanwhile.
        while (delay := self._resume_at - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    async def send(self, method: str, path: str, body: Any = None) -> Any:
        """Send once; the parsed JSON answer (None for an empty body), or an ApiError."""
        content = (
            None
            if body is None
            else json.dumps(body, ensure_ascii=False, default=_jsonable).encode()
        )
        headers = {"Content-Type": "application/json; charset=utf-8"} if content else None
        failure: ApiError | None = None
        response: httpx.Response | None = None
        async with self._semaphore:
            await self._wait_out_pause()
            await self._limiter.acquire()
            self.sent += 1
            started = time.perf_counter()
            try:
                # httpx's own timeouts guard each network phase; this deadline also
                # holds for transports without a network (the in-process emulator).
                async with asyncio.timeout(self.timeout):
                    response = await self._http.request(
                        method, path, content=content, headers=headers
                    )
            except TimeoutError:
                failure = ConnectionFailed(
                    f"timed out: no answer within {self.timeout:g} s", method=method, path=path
                )
            except AnswerTooLarge as too_large:
                failure = MalformedResponse(str(too_large), method=method, path=path)
            except httpx.TimeoutException as exc:
                failure = ConnectionFailed(
                    f"timed out: no answer within {self.timeout:g} s ({type(exc).__name__})",
                    method=method,
                    path=path,
                )
                failure.request_sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                failure = ConnectionFailed(
                    f"connection failed ({type(exc).__name__}: {self.redact(str(exc)) or 'no detail'})",
                    method=method,
                    path=path,
                )
                # These fail before a byte of the request leaves.
                failure.request_sent = not isinstance(
                    exc, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.InvalidURL
                )
            elapsed_ms = (time.perf_counter() - started) * 1000
        if failure is not None or response is None:
            assert failure is not None
            log.debug("%s %s -> %s (%.1f ms)", method, path, failure.explanation, elapsed_ms)
            raise failure
        log.debug("%s %s -> %d (%.1f ms)", method, path, response.status_code, elapsed_ms)
        if response.is_success:
            return self._json(response, method, path)
        error = self._error(response, method, path)
        if isinstance(error, RateLimited) and error.retry_after:
            pause = min(error.retry_after, self.retry_after_cap)
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
        raise error

    def _json(self, response: httpx.Response, method: str, path: str) -> Any:
        if not response.content.strip():
            return None
        try:
            return parse_json(response.content)
        except ValueError:
            failure = MalformedResponse(
                # Scrubbed before it is cut: a secret across the cut would leave a piece.
                f"the answer is not JSON: {self.redact(response.text)[:80]!r}",
                status=response.status_code,
                method=method,
                path=path,
            )
        raise failure

    def _error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        status = response.status_code
        code: int | None = None
        message: str | None = None
        try:
            data = parse_json(response.content) if response.content.strip() else None
        except ValueError:
            data = None
            message = self.redact(response.text.strip())[:200] or None
        if isinstance(data, dict):
            inner = data.get("error", data)
            if isinstance(inner, dict):
                raw_code = inner.get("code")
                if isinstance(raw_code, int) and not isinstance(raw_code, bool):
                    code = raw_code
                elif isinstance(raw_code, str) and raw_code.isdigit():
                    code = int(raw_code)
                raw_message = inner.get("message")
                if raw_message is not None:
                    message = str(raw_message)
        if message is not None:
            message = self.redact(message)

        def make(kind: type[ApiError], explanation: str) -> ApiError:
            return kind(
                explanation,
                status=status,
                code=code,
                server_message=message,
                method=method,
                path=path,
            )

        meaning = SETTINGS.code_meanings.get(code or 0)
        if status == 429 or code == 2001:
            return RateLimited(
                "rate limit exceeded",
                retry_after=_retry_after(response.headers.get("Retry-After")),
                status=status,
                code=code,
                server_message=message,
                method=method,
                path=path,
            )
        if status in (401, 403) or code == 28101:
            key_env, secret_env = self.credential_names
            return make(
                AuthenticationFailed, f"authentication failed: check {key_env} / {secret_env}"
            )
        if code == 28105:
            return make(NoPushTarget, meaning or "no push target")
        if status == 404 or code in (28104, 28404):
            if code is None and path.split("?")[0].rstrip("/") == SETTINGS.schedules_path:
                return make(
                    ScheduleNotFound,
                    f"the endpoint has no {SETTINGS.schedules_path}: check the target's endpoint",
                )
            return make(ScheduleNotFound, meaning or "the schedule does not exist")
        if status == 503 or code == 28203:
            return make(ServiceUnavailable, SETTINGS.code_meanings[28203])
        if status >= 500:
            return make(ServerError, meaning or "internal server error")
        if 400 <= status < 500:
            return make(InvalidRequest, meaning or "the server refused the request")
        return make(MalformedResponse, f"unexpected HTTP status {status}")
