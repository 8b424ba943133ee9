"""Real HTTP: uvicorn on a bound socket, in the foreground (the CLI) or a thread (tests)."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from reconciler.emulator.app import create_app
from reconciler.emulator.errors import ConnectionCut
from reconciler.emulator.settings import Settings

__all__ = ["EmulatorServer", "base_url", "bind", "make_server", "serve_in_thread"]


class _QuietCuts(logging.Filter):
    """Drop uvicorn's traceback for a simulated cut: it is the fault working, not a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionCut)


class EmulatorServer(uvicorn.Server):
    """uvicorn.Server that stops on SIGINT/SIGTERM and returns normally (exit status 0)
    instead of re-raising the signal after its graceful shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one. Raises OSError when it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP, and without it every answer waits ~40 ms on Nagle.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listening now lets a client that read the printed address queue up before uvicorn
        # has started serving.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: ASGIApp, *, access_log: bool = False) -> EmulatorServer:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=5,
        # Longer than uvicorn's 5 s so that pooled client connections idle between plan and
        # apply are not closed under a request that is just being sent.
        timeout_keep_alive=30,
    )
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietCuts) for f in error_log.filters):
        error_log.addFilter(_QuietCuts())
    return EmulatorServer(config)


@contextmanager
def serve_in_thread(settings: Settings, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run uvicorn in a background thread on a free loopback port; yield the base URL
    ("http://127.0.0.1:PORT"); stop it on exit. For tests and benchmarks."""
    app = create_app(settings)
    sock = bind(host, port)
    server = make_server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="emulator-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.01)
        yield base_url(host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
