"""In-process transport: httpx talks to the emulator app directly, with socket-like failures."""

from __future__ import annotations

from typing import Any, cast

import httpx
from starlette.types import ASGIApp

from reconciler.emulator.errors import ConnectionCut

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Wraps httpx.ASGITransport(app); a drop-after-commit (or any connection cut the app
    simulates) surfaces as httpx.ReadError / httpx.RemoteProtocolError, exactly as over a
    real socket, never as a foreign exception."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=cast(Any, app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError:
            raise
        except ConnectionCut as exc:
            # What httpx says when uvicorn closes the socket mid-body.
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                "(emulator: drop-after-commit)",
                request=request,
            ) from exc
        except Exception as exc:
            raise httpx.ReadError(
                f"emulator connection failed: {type(exc).__name__}: {exc}", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
