"""Shared helpers of the API client tests: the emulator in-process, bodies, state, a canary."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import RetryPolicy, ScheduleClient
from tests.support.clock import NOW

DEMO_KEY = DEMO_APP.key
DEMO_SECRET = DEMO_APP.secret
#: The day create_body's day=1 means: five months after NOW.
FIRST_DAY = date(2027, 4, 21)
BASE_URL = "http://emulator.test"
#: Retries in microseconds, so fault tests run in milliseconds; many attempts, so that a
#: fault rate of a half still lets every operation through in the end.
FAST = RetryPolicy(max_attempts=12, base_delay=0.0005, max_delay=0.004, retry_after_cap=0.004)

CANARY_KEY = "canary_app_key"
CANARY_SECRET = "S3CRET-canary-9f8e"
CANARY_APP = AppCredentials(CANARY_KEY, CANARY_SECRET)
CANARY_TOKEN = base64.b64encode(f"{CANARY_KEY}:{CANARY_SECRET}".encode()).decode()


def emulator_app(**settings: Any) -> Starlette:
    settings.setdefault("now", NOW)
    return create_app(Settings(**settings))


def client_for(
    app: Starlette,
    *,
    app_key: str = DEMO_KEY,
    master_secret: str = DEMO_SECRET,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> ScheduleClient:
    """A client talking to ``app`` in-process (through the emulator's own transport)."""
    options.setdefault("rate_limit", 100_000)  # the limiter is the benchmark's business
    return ScheduleClient(
        base_url=BASE_URL,
        app_key=app_key,
        master_secret=master_secret,
        transport=transport or EmulatorTransport(app),
        **options,
    )


def create_body(name: str, *, alert: str = "hello", day: int = 1) -> dict[str, Any]:
    """A small valid schedule: one push to everyone at 12:00 on day ``day`` from FIRST_DAY."""
    when = FIRST_DAY + timedelta(days=day - 1)
    return {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": f"{when:%Y-%m-%d} 12:00:00", "zone_type": 1}},
        "push": {
            "to": "all",
            "body": {"platform": "all", "notification": {"alert": alert}},
        },
    }


class Admin:
    """The emulator's /_emulator API, over any transport (no auth, never faulted)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, base_url: str = BASE_URL) -> None:
        self._http = httpx.AsyncClient(transport=transport, base_url=base_url)

    async def __aenter__(self) -> Admin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def schedules(self, app_key: str = DEMO_KEY) -> list[dict[str, Any]]:
        """Every unexpired schedule of the app, oldest first."""
        response = await self._http.get("/_emulator/state")
        response.raise_for_status()
        rows = response.json()["apps"].get(app_key, {}).get("schedules", [])
        live = [row for row in rows if not row["expired"]]
        return sorted(live, key=lambda row: row["created"])

    async def faults(
        self, faults: list[str], *, seed: int = 0, rate_limit: float | None = None
    ) -> None:
        response = await self._http.put(
            "/_emulator/faults", json={"faults": faults, "seed": seed, "rate_limit": rate_limit}
        )
        response.raise_for_status()

    async def reset(self) -> None:
        (await self._http.post("/_emulator/reset")).raise_for_status()


async def fill(app: Starlette, count: int, *, prefix: str = "s") -> list[str]:
    """Create ``count`` schedules named prefix0000.. through the client; their ids in order."""
    async with client_for(app) as client:
        # One at a time keeps creation order equal to name order.
        return [await client.create_schedule(create_body(f"{prefix}{i:04d}")) for i in range(count)]


async def fill_concurrently(app: Starlette, count: int, *, prefix: str = "s") -> None:
    async with client_for(app) as client:
        await asyncio.gather(
            *(client.create_schedule(create_body(f"{prefix}{i:04d}")) for i in range(count))
        )


def plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


class HookTransport(httpx.AsyncBaseTransport):
    """Delegates to another transport, first running ``hook(request)`` (to interleave a
    second writer at an exact point of a listing); not a mock: the emulator answers."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        hook: Callable[[httpx.Request], Awaitable[None]],
    ) -> None:
        self.inner = inner
        self.hook = hook

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.hook(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
