"""The client over real HTTP (uvicorn on loopback): sockets, keep-alive, cut connections,
timeouts and a refused port behave as in-process."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import Settings
from reconciler.emulator.server import serve_in_thread
from reconciler.remote.engagelab import (
    ConnectionFailed,
    RetryPolicy,
    ScheduleClient,
    ScheduleNotFound,
)
from reconciler.remote.engagelab._http import _default_transport
from reconciler.remote.engagelab._pool import ShardedTransport
from tests.support.api import DEMO_KEY, DEMO_SECRET, FAST, Admin, create_body, plain
from tests.support.clock import NOW
from tests.support.faults import FAULT_KINDS, STUBBORN, workload


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_in_thread(Settings(now=NOW, list_detail="summary")) as url:
        yield url


def http_client(url: str, **options: Any) -> ScheduleClient:
    options.setdefault("rate_limit", 100_000)
    options.setdefault("retry", FAST)
    return ScheduleClient(base_url=url, app_key=DEMO_KEY, master_secret=DEMO_SECRET, **options)


def admin(url: str) -> Admin:
    return Admin(httpx.AsyncHTTPTransport(), base_url=url)


async def _reset(url: str, faults: list[str] | None = None, seed: int = 0) -> None:
    async with admin(url) as emulator:
        await emulator.reset()
        await emulator.faults(faults or [], seed=seed)


def test_round_trip_and_a_paged_summary_listing_over_http(server: str) -> None:
    async def scenario() -> None:
        await _reset(server)
        async with http_client(server) as client:
            ids = [await client.create_schedule(create_body(f"h{i:03d}")) for i in range(120)]
            listed = await client.list_schedules()
            assert [s.schedule_id for s in listed] == ids
            assert all(s.body() == plain(create_body(s.name)) for s in listed)
            await client.update_schedule(ids[0], create_body("h000", alert="changed"))
            assert (await client.get_schedule(ids[0])).push["body"]["notification"]["alert"] == (
                "changed"
            )
            assert await client.msg_ids(ids[0]) == []
            await client.delete_schedule(ids[1])
            with pytest.raises(ScheduleNotFound):
                await client.get_schedule(ids[1])
            assert len(await client.list_schedules()) == 119

    asyncio.run(scenario())


@pytest.mark.parametrize("fault", FAULT_KINDS)
def test_every_fault_kind_over_http(server: str, fault: str) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        await _reset(server, [fault], seed=5)
        async with http_client(server, concurrency=8) as client:
            expected = await workload(client, "x")
        async with admin(server) as emulator:
            await emulator.faults([])
            return expected, await emulator.schedules()

    expected, state = asyncio.run(scenario())
    assert {row["name"]: row["body"] for row in state} == expected


def test_drop_after_commit_over_http_never_duplicates(server: str) -> None:
    async def scenario() -> None:
        for seed in range(25):
            await _reset(server, ["drop-after-commit=0.5"], seed=seed)
            names = [f"n{seed}_{i}" for i in range(3)]
            async with http_client(server, retry=STUBBORN) as client:
                ids = await asyncio.gather(*(client.create_schedule(create_body(n)) for n in names))
            async with admin(server) as emulator:
                await emulator.faults([])
                state = await emulator.schedules()
            assert {row["name"]: row["schedule_id"] for row in state} == dict(
                zip(names, ids, strict=True)
            ), f"seed {seed}"
            assert len(state) == 3

    asyncio.run(scenario())


def test_a_slow_server_times_out(server: str) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002)

    async def scenario() -> ConnectionFailed:
        await _reset(server, ["latency=500"])
        try:
            async with http_client(server, retry=policy, timeout=0.1) as client:
                with pytest.raises(ConnectionFailed) as caught:
                    await client.list_schedules()
                assert client.requests_sent == 2
        finally:
            await _reset(server)
        return caught.value

    err = asyncio.run(scenario())
    assert "no answer within 0.1 s" in str(err)
    assert "retried 1 times" in str(err)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_a_connection_failure_and_post_is_just_resent() -> None:
    """Nothing listens: the request never left, so even a POST is simply sent again (no
    look-up), and the error says what happened."""
    url = f"http://127.0.0.1:{_closed_port()}"
    policy = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)

    async def scenario() -> tuple[ConnectionFailed, ConnectionFailed, int]:
        async with http_client(url, retry=policy) as client:
            with pytest.raises(ConnectionFailed) as listing:
                await client.list_schedules()
            with pytest.raises(ConnectionFailed) as creating:
                await client.create_schedule(create_body("x"))
            return listing.value, creating.value, client.requests_sent

    listing, creating, sent = asyncio.run(scenario())
    assert sent == 6  # three tries each; the POST's failures triggered no look-up GETs
    # What follows is httpx's name and words for the failure.
    assert str(listing).startswith("GET /v4/schedules?page=1: connection failed (")
    assert "retried 2 times" in str(listing)
    assert not creating.request_sent
    assert "no schedule of that name was created" in str(creating)


def test_sharded_pools_unless_a_proxy_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    assert isinstance(_default_transport(32), ShardedTransport)
    # Behind a proxy, httpx's own transport (which reads the proxy settings) is used.
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    assert _default_transport(32) is None


def test_sharded_pools_never_queue_and_reuse_connections(server: str) -> None:
    """32 concurrent requests over 16 pools of 2: every request finds a free connection,
    and a second wave reuses the connections of the first."""

    async def scenario() -> None:
        await _reset(server)
        async with http_client(server, concurrency=32) as client:
            for _ in range(3):
                await asyncio.gather(*(client.list_schedules() for _ in range(32)))
            pools = client._open._http._transport._pools  # type: ignore[attr-defined]
            assert len(pools) == 16
            opened = sum(len(pool._pool.connections) for pool in pools)
            assert opened <= 32

    asyncio.run(scenario())
