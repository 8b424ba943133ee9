"""Loopback servers that write down every request they get, with the credentials it carried.

The end-to-end suite serves the EngageLab emulator as the production target
through `Recorded`, and a second server ("elsewhere", answering 404 to
everything) where a hostile reconciler.yaml points: a story then asserts which
server saw which credentials, and when.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.github_service import serve_asgi


@dataclass(frozen=True)
class Seen:
    """One request: its method, path and the Basic credentials (key, secret) it carried."""

    method: str
    path: str
    credentials: tuple[str, str] | None
    raw_authorization: str | None


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        key, _, secret = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return key, secret


@dataclass
class Recorded:
    """An ASGI app in front of another that records each HTTP request it passes on."""

    app: Any
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            auth = headers.get("authorization")
            with self.lock:
                self.seen.append(Seen(scope["method"], scope["path"], _credentials(auth), auth))
        await self.app(scope, receive, send)

    def since(self, mark: int) -> list[Seen]:
        with self.lock:
            return self.seen[mark:]

    def carrying(self, secret: str) -> list[Seen]:
        """Every request whose Authorization holds `secret` (as Basic or verbatim)."""
        with self.lock:
            return [
                s
                for s in self.seen
                if (s.credentials and secret in s.credentials)
                or (s.raw_authorization and secret in s.raw_authorization)
            ]


def nowhere() -> Starlette:
    """A server that knows nothing: 404 to every request (it is there to be recorded)."""

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"error": {"code": 404, "message": "nothing here"}}, 404)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{anything:path}", refuse, methods=methods)])


@contextmanager
def recorded(app: Any) -> Iterator[tuple[str, Recorded]]:
    """`app` served on loopback behind a recorder; yields (base URL, recorder)."""
    recorder = Recorded(app)
    with serve_asgi(recorder) as url:
        yield url, recorder
