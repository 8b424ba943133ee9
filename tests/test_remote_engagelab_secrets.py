"""The master secret and the Authorization value never show: not in a log record (at DEBUG,
every logger), not in any error's str, repr, args, attributes or chain, in-process or over
HTTP, on success and on every kind of failure."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.emulator import DEMO_APP, Settings
from reconciler.emulator.server import serve_in_thread
from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import ApiError, RetryPolicy, ScheduleClient
from tests.support.api import (
    BASE_URL,
    CANARY_APP,
    CANARY_KEY,
    CANARY_SECRET,
    CANARY_TOKEN,
    Admin,
    create_body,
    emulator_app,
)
from tests.support.clock import NOW
from tests.support.faults import chain

WRONG_SECRET = "S3CRET-canary-wrong-7d6c"
WRONG_TOKEN = base64.b64encode(f"{CANARY_KEY}:{WRONG_SECRET}".encode()).decode()
FORBIDDEN = (CANARY_SECRET, CANARY_TOKEN, WRONG_SECRET, WRONG_TOKEN, "S3CRET")
QUICK = RetryPolicy(max_attempts=2, base_delay=0.0005, max_delay=0.001, retry_after_cap=0.001)


class Everything(logging.Handler):
    """Keeps every record fully formatted (message, args, traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _texts_of(error: BaseException) -> list[str]:
    texts: list[str] = []
    for link in chain(error):
        texts += [str(link), repr(link), repr(link.args)]
        texts += [repr(value) for value in vars(link).values()]
    return texts


Call = Callable[[ScheduleClient], Awaitable[Any]]


async def _exercise(make: Callable[..., ScheduleClient], admin: Admin) -> list[BaseException]:
    """Every public method, succeeding and failing in every way; the errors raised."""
    errors: list[BaseException] = []

    async def attempt(client: ScheduleClient, call: Call) -> None:
        try:
            await call(client)
        except Exception as exc:
            errors.append(exc)

    async with make() as client:
        schedule_id = await client.create_schedule(create_body("canary"))
        await client.list_schedules()
        await client.get_schedule(schedule_id)
        await client.update_schedule(schedule_id, create_body("canary", alert="x"))
        await client.msg_ids(schedule_id)
        await attempt(client, lambda c: c.get_schedule("0eac1b80-c2ac-4b69-948b-c65b34b96512"))
        await attempt(client, lambda c: c.delete_schedule("0eac1b80-c2ac-4b69-948b-c65b34b96512"))
        await attempt(client, lambda c: c.create_schedule({"name": "bad name!"}))
        for faults in (["error=503:1"], ["error=500:1"], ["error=429:1"], ["drop-after-commit=1"]):
            await admin.faults(faults)
            await attempt(client, lambda c: c.list_schedules())
            await attempt(client, lambda c: c.create_schedule(create_body("faulted")))
            await attempt(client, lambda c: c.update_schedule(schedule_id, create_body("canary")))
            await attempt(client, lambda c: c.msg_ids(schedule_id))
        await admin.faults(["latency=300"])
        await attempt(client, lambda c: c.get_schedule(schedule_id))
        await admin.faults([])
        await client.delete_schedule(schedule_id)
    async with make(master_secret=WRONG_SECRET) as client:
        for call in (
            lambda c: c.list_schedules(),
            lambda c: c.create_schedule(create_body("x")),
            lambda c: c.delete_schedule(schedule_id),
        ):
            await attempt(client, call)
    return errors


def _assert_clean(errors: list[BaseException], handler: Everything, client: ScheduleClient) -> None:
    assert len(errors) >= 15
    assert all(isinstance(error, ApiError) for error in errors), errors
    texts = handler.texts + [text for error in errors for text in _texts_of(error)]
    texts.append(repr(client))
    assert any("-> 200" in text for text in handler.texts)  # the DEBUG lines were on
    assert any("retrying" in text for text in handler.texts)
    for text in texts:
        for secret in FORBIDDEN:
            assert secret not in text, text


def _exercise_canary(
    base_url: str,
    admin_transport: httpx.AsyncBaseTransport,
    *,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
) -> tuple[list[BaseException], ScheduleClient]:
    """Every method through clients of the canary app at base_url: the errors, and a client."""

    def make(master_secret: str = CANARY_SECRET) -> ScheduleClient:
        return ScheduleClient(
            base_url=base_url,
            app_key=CANARY_KEY,
            master_secret=master_secret,
            transport=transport,
            retry=QUICK,
            timeout=timeout,
        )

    async def scenario() -> list[BaseException]:
        async with Admin(admin_transport, base_url=base_url) as admin:
            return await _exercise(make, admin)

    return asyncio.run(scenario()), make()


def test_no_secret_in_logs_or_errors_in_process(captured: Everything) -> None:
    transport = EmulatorTransport(emulator_app(apps=(DEMO_APP, CANARY_APP)))
    errors, client = _exercise_canary(BASE_URL, transport, transport=transport, timeout=0.05)
    _assert_clean(errors, captured, client)


def test_no_secret_in_logs_or_errors_over_http(captured: Everything) -> None:
    with serve_in_thread(Settings(now=NOW, apps=(DEMO_APP, CANARY_APP))) as url:
        errors, client = _exercise_canary(
            url, httpx.AsyncHTTPTransport(), transport=None, timeout=0.1
        )
    _assert_clean(errors, captured, client)


# --- a server that echoes the credentials back ---------------------------------------------------

ECHO_KEY = "echo_key_51"
ECHO_SECRET = "S3CRET-echo-4b2a9c"
ECHO_TOKEN = base64.b64encode(f"{ECHO_KEY}:{ECHO_SECRET}".encode()).decode()
#: Every form the secret could come back in.
ECHOED = (ECHO_SECRET, ECHO_TOKEN, f"Basic {ECHO_TOKEN}", f"{ECHO_KEY}:{ECHO_SECRET}")


def echo_app(answer: str) -> Any:
    """A lying server: every request is answered with what it carried, in `answer`'s way."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def echo(request: Request) -> Response:
        said = " ".join([*ECHOED, request.headers.get("authorization", "")])
        if answer == "error-json":
            return JSONResponse({"error": {"code": 28100, "message": f"bad: {said}"}}, 400)
        if answer == "error-text":
            return PlainTextResponse(f"proxy error: {said}", 502)
        # A success that is not JSON, the secret straddling where the message is cut.
        return PlainTextResponse("x" * 70 + said, 200)

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{anything:path}", echo, methods=methods)])


class EchoingTransport(httpx.AsyncBaseTransport):
    """A transport whose failure message carries the request's Authorization header."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f"peer said {request.headers['authorization']} {ECHOED}")


def _fail(base_url: str, transport: httpx.AsyncBaseTransport | None) -> ApiError:
    async def scenario() -> ApiError:
        client = ScheduleClient(
            base_url=base_url,
            app_key=ECHO_KEY,
            master_secret=ECHO_SECRET,
            transport=transport,
            retry=QUICK,
            timeout=5,
        )
        async with client:
            try:
                await client.list_schedules()
            except ApiError as err:
                return err
        raise AssertionError("the echoing server was believed")

    return asyncio.run(scenario())


@pytest.mark.parametrize("answer", ["error-json", "error-text", "not-json", "transport"])
def test_an_echoed_credential_shows_as_stars(answer: str, captured: Everything) -> None:
    from tests.support.github_service import serve_asgi

    if answer == "transport":
        error = _fail("http://127.0.0.1:9", EchoingTransport())
    else:
        with serve_asgi(echo_app(answer)) as url:
            error = _fail(url, None)
    texts = [str(error), repr(error), str(error.server_message), *captured.texts]
    texts += _texts_of(error)
    assert "***" in str(error) + repr(error), str(error)
    for text in texts:
        for form in ECHOED:
            assert form not in text, text
        # Nor a piece of one cut at a message's end.
        assert ECHO_SECRET[:8] not in text, text
        assert ECHO_TOKEN[:12] not in text, text


def test_an_echoed_credential_never_reaches_the_verbose_log(tmp_path: Path) -> None:
    """`reconciler -v plan` against the lying server, as a real process."""
    from tests.support.github_service import serve_asgi

    (tmp_path / "schedules.d").mkdir()
    canary = {
        "name": "echo_push",
        "enabled": True,
        "trigger": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "hi"}}},
    }
    (tmp_path / "schedules.d" / "echo.yaml").write_text(yaml.safe_dump(canary), encoding="utf-8")
    config = {"default_target": "echo", "targets": {"echo": {"endpoint": "URL"}}}
    for answer in ("error-json", "error-text", "not-json"):
        with serve_asgi(echo_app(answer)) as url:
            config["targets"]["echo"]["endpoint"] = url  # type: ignore[index]
            (tmp_path / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
            env = {
                **os.environ,
                "ENGAGELAB_APP_KEY": ECHO_KEY,
                "ENGAGELAB_MASTER_SECRET": ECHO_SECRET,
            }
            env.pop("RECONCILER_ENDPOINT", None)
            done = subprocess.run(
                [sys.executable, "-m", "reconciler", "-vv", "--chdir", str(tmp_path), "plan"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        assert done.returncode == 1, done.stderr
        assert "***" in done.stderr, done.stderr
        assert "GET /v4/schedules" in done.stderr
        for form in ECHOED:
            assert form not in done.stdout + done.stderr
