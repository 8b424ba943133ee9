"""The master secret and the Authorization value never show: not in a log record (at DEBUG,
every logger), not in any error's str, repr, args, attributes or chain, in-process or over
HTTP, on success and on every kind of failure."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

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
