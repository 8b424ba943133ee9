"""The pipeline in front of the routes: the clock tick, then on /v4 Basic auth, the rate limit
and the injected faults; and everywhere a JSON 500 (code 28200), never a traceback, for
anything unexpected.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator import errors
from reconciler.emulator.errors import ConnectionCut

if TYPE_CHECKING:
    from reconciler.emulator.app import Emulator

__all__ = [
    "APP_KEY",
    "DOCUMENTED_RATE_LIMIT",
    "INJECTED",
    "NOW_KEY",
    "EmulatorMiddleware",
    "send_json",
]

logger = logging.getLogger("reconciler.emulator")

# Keys under which the pipeline hands the authenticated app and the clock to the handlers.
APP_KEY = "reconciler.emulator.app"
NOW_KEY = "reconciler.emulator.now"
# The documented per-AppKey limit, quoted in 429 headers when no --rate-limit is set.
DOCUMENTED_RATE_LIMIT = 500

INJECTED = {
    500: (errors.INTERNAL, "Server Internal error. (injected fault)"),
    503: (errors.RETRY_LATER, "Execute action timeout, please try later again (injected fault)"),
    429: (errors.RATE_LIMITED, "Rate limit exceeded"),
}


async def send_json(
    send: Send, status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()
) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _error(code: int, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


def _rate_headers(limit: int, retry_after: int) -> tuple[tuple[str, str], ...]:
    # JPush's 429 headers; EngageLab documents none.
    return (
        ("Retry-After", str(retry_after)),
        ("X-Rate-Limit-Limit", str(limit)),
        ("X-Rate-Limit-Remaining", "0"),
        ("X-Rate-Limit-Reset", str(retry_after)),
    )


class EmulatorMiddleware:
    """Pure ASGI middleware; faults and the rate limit touch /v4 only, never /_emulator."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emu = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/v4" or path.startswith("/v4/"):
            await self._api(scope, receive, send)
        else:
            await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            scope[NOW_KEY] = self.emu.tick()
            await self.app(scope, receive, tracking)
        except ConnectionCut:
            raise
        except ClientDisconnect:
            return  # the client hung up mid-request: there is no one to answer
        except Exception as exc:
            if started:
                raise ConnectionCut("internal error after the answer started") from exc
            # One line, no traceback: a bad request must never look like a crash.
            logger.error(
                "emulator: internal error on %s %s: %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                exc,
            )
            await send_json(send, 500, _error(errors.INTERNAL, "Server Internal error."))

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        emu = self.emu
        # Every draw happens here, before the first await, so that the random stream is
        # consumed in request arrival order.
        decision = emu.injector.decide()
        if decision.delay > 0:
            await asyncio.sleep(decision.delay)
        app = emu.authenticate(Headers(scope=scope).get("authorization"))
        if app is None:
            await send_json(
                send,
                401,
                _error(errors.AUTH_FAILED, "Basic authentication failed."),
                (("WWW-Authenticate", 'Basic realm="EngageLab"'),),
            )
            return
        throttled = emu.injector.admit(app.key)
        if throttled is not None:
            await send_json(
                send,
                429,
                _error(errors.RATE_LIMITED, "Rate limit exceeded"),
                _rate_headers(throttled.limit, throttled.retry_after),
            )
            return
        if decision.error is not None:
            code, message = INJECTED[decision.error]
            headers: tuple[tuple[str, str], ...] = ()
            if decision.error == 429:
                limit = emu.injector.rate_limit or DOCUMENTED_RATE_LIMIT
                headers = _rate_headers(int(limit), 1)
            await send_json(send, decision.error, _error(code, message), headers)
            return
        scope[APP_KEY] = app
        if not decision.drop:
            await self._guarded(scope, receive, send)
            return
        messages: list[Message] = []

        async def buffer(message: Message) -> None:
            messages.append(message)

        await self._guarded(scope, receive, buffer)
        await self._cut(messages, send)

    @staticmethod
    async def _cut(messages: list[Message], send: Send) -> None:
        """The change is committed: announce the whole answer, send half of it, cut."""
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start is None:
            # No answer was made: the client left before its request was read whole
            # (the app saw ClientDisconnect). There is no one to cut off.
            return
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        # An empty answer (DELETE) still has to be visibly incomplete.
        declared = len(body) if body else 2
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(declared).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        raise ConnectionCut("drop-after-commit: connection cut after the change was made")
