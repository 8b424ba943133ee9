"""The client against the emulator in-process: every method, both list and detail shapes,
a 1000-schedule app, and listing while someone else changes the app."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import ListingUnstable, RemoteSchedule, ScheduleNotFound
from tests.support.api import (
    BASE_URL,
    FAST,
    Admin,
    HookTransport,
    client_for,
    create_body,
    emulator_app,
    fill,
    plain,
)


def test_round_trip_through_every_method() -> None:
    app = emulator_app()

    async def scenario() -> None:
        async with client_for(app, retry=FAST) as client:
            assert await client.list_schedules() == []
            first = await client.create_schedule(create_body("morning"))
            second = await client.create_schedule(create_body("evening", day=2))
            fetched = await client.get_schedule(first)
            assert fetched.body() == plain(create_body("morning"))
            assert fetched.position == -1

            changed = create_body("morning", alert="changed")
            await client.update_schedule(first, changed)
            listed = await client.list_schedules()
            assert [s.schedule_id for s in listed] == [first, second]
            assert [s.position for s in listed] == [0, 1]
            assert listed[0].body() == plain(changed)
            assert listed[1].name == "evening"

            assert await client.msg_ids(first) == []
            await client.delete_schedule(second)
            assert [s.schedule_id for s in await client.list_schedules()] == [first]
            with pytest.raises(ScheduleNotFound):
                await client.get_schedule(second)

    asyncio.run(scenario())


@pytest.mark.parametrize("list_detail", ["full", "summary"])
@pytest.mark.parametrize("detail_shape", ["array", "object"])
def test_listing_is_complete_in_every_shape(list_detail: str, detail_shape: str) -> None:
    app = emulator_app(list_detail=list_detail, detail_shape=detail_shape)

    async def scenario() -> tuple[list[RemoteSchedule], RemoteSchedule, int]:
        ids = await fill(app, 120)
        async with client_for(app, retry=FAST) as client:
            listed = await client.list_schedules()
            lone = await client.get_schedule(ids[7])
            sent = client.requests_sent
        assert [s.schedule_id for s in listed] == ids
        return listed, lone, sent

    listed, lone, sent = asyncio.run(scenario())
    assert [s.position for s in listed] == list(range(120))
    assert [s.name for s in listed] == [f"s{i:04d}" for i in range(120)]
    assert all(s.body() == plain(create_body(s.name)) for s in listed)
    assert lone.body() == listed[7].body()
    pages = 3
    assert sent == (pages + 120 + 1 if list_detail == "summary" else pages + 1)


def test_a_thousand_schedules_in_summary_mode() -> None:
    app = emulator_app(list_detail="summary", quota=1000)

    async def scenario() -> tuple[list[RemoteSchedule], list[str], int]:
        ids = await fill(app, 1000)
        async with client_for(app, retry=FAST, concurrency=32) as client:
            listed = await client.list_schedules()
            return listed, ids, client.requests_sent

    listed, ids, sent = asyncio.run(scenario())
    assert [s.schedule_id for s in listed] == ids
    assert len({s.schedule_id for s in listed}) == 1000
    assert all(s.trigger and s.push for s in listed)
    # Page 1, pages 2..20, one detail each: no request wasted, none repeated.
    assert sent == 1 + 19 + 1000


def test_requests_in_flight_never_exceed_concurrency() -> None:
    app = emulator_app(list_detail="summary", faults=("latency=2",))
    inner = EmulatorTransport(app)
    in_flight = 0
    peak = 0

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await inner.handle_async_request(request)
            finally:
                in_flight -= 1

    async def scenario() -> None:
        await fill(app, 100)
        async with client_for(app, transport=Counting(), concurrency=5) as client:
            assert len(await client.list_schedules()) == 100

    asyncio.run(scenario())
    assert peak == 5


# -- listing while the app changes ---------------------------------------------------


def test_a_create_during_the_listing_makes_it_list_again() -> None:
    """Someone creates a schedule right before page 2 is read: page 2's total_count differs
    from page 1's, so the first attempt is discarded and the second one is trusted."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    interloper_done = False

    async def hook(request: httpx.Request) -> None:
        nonlocal interloper_done
        if request.url.params.get("page") == "2" and not interloper_done:
            interloper_done = True
            async with client_for(app) as other:
                await other.create_schedule(create_body("interloper"))

    async def scenario() -> tuple[list[RemoteSchedule], list[dict[str, Any]]]:
        await fill(app, 60)
        async with client_for(app, transport=HookTransport(inner, hook), retry=FAST) as client:
            listed = await client.list_schedules()
        async with Admin(inner) as admin:
            return listed, await admin.schedules()

    listed, state = asyncio.run(scenario())
    assert interloper_done
    assert [s.schedule_id for s in listed] == [row["schedule_id"] for row in state]
    assert listed[-1].name == "interloper"
    assert len(listed) == 61


def test_a_delete_between_listing_and_details_makes_it_list_again() -> None:
    """A listed schedule is deleted before its details are read: 404 on the detail, and
    the listing starts over rather than returning a schedule that no longer exists."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    victim: list[str] = []

    async def hook(request: httpx.Request) -> None:
        if victim and request.url.path.endswith(victim[0]) and request.method == "GET":
            doomed = victim.pop()
            async with client_for(app) as other:
                await other.delete_schedule(doomed)

    async def scenario() -> list[RemoteSchedule]:
        ids = await fill(app, 10)
        victim.append(ids[3])
        async with client_for(app, transport=HookTransport(inner, hook), retry=FAST) as client:
            listed = await client.list_schedules()
        assert [s.schedule_id for s in listed] == ids[:3] + ids[4:]
        return listed

    listed = asyncio.run(scenario())
    assert [s.position for s in listed] == list(range(9))


def test_a_listing_that_never_settles_fails_clearly() -> None:
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    created = 0

    async def hook(request: httpx.Request) -> None:
        nonlocal created
        if request.url.params.get("page") == "2":
            created += 1
            async with client_for(app) as other:
                await other.create_schedule(create_body(f"churn{created}"))

    async def scenario() -> ListingUnstable:
        await fill(app, 60)
        async with client_for(app, transport=HookTransport(inner, hook), retry=FAST) as client:
            with pytest.raises(ListingUnstable) as caught:
                await client.list_schedules()
        return caught.value

    err = asyncio.run(scenario())
    assert created == 4  # bounded: the first listing and three more
    assert str(err).startswith("GET /v4/schedules: the app kept changing while being listed")
    assert "4 attempts" in str(err)
    assert "total_count moved" in str(err)


def test_listing_while_another_client_creates_and_deletes() -> None:
    """A second client churns the app while the first lists it again and again: every
    listing that succeeds is a consistent snapshot (unique ids, complete bodies, names in
    creation order, never a half-deleted schedule); once the churn stops, the listing
    equals the emulator's state."""
    app = emulator_app(list_detail="summary", faults=("latency=1,jitter=1",))
    rng = random.Random(7)

    async def scenario() -> tuple[int, int]:
        await fill(app, 120, prefix="base")
        done = asyncio.Event()
        outcomes = {"ok": 0, "unstable": 0}

        async def churn() -> None:
            async with client_for(app, retry=FAST) as writer:
                alive: list[str] = []
                for i in range(150):
                    if alive and rng.random() < 0.45:
                        await writer.delete_schedule(alive.pop(rng.randrange(len(alive))))
                    else:
                        alive.append(await writer.create_schedule(create_body(f"churn{i:04d}")))
                    await asyncio.sleep(rng.uniform(0, 0.004))
            done.set()

        async def read() -> None:
            async with client_for(app, retry=FAST, concurrency=8) as reader:
                while not done.is_set():
                    try:
                        listed = await reader.list_schedules()
                    except ListingUnstable:
                        outcomes["unstable"] += 1
                        continue
                    outcomes["ok"] += 1
                    ids = [s.schedule_id for s in listed]
                    assert len(ids) == len(set(ids))
                    assert [s.position for s in listed] == list(range(len(listed)))
                    names = [s.name for s in listed]
                    base = [n for n in names if n.startswith("base")]
                    assert base == [f"base{i:04d}" for i in range(120)]
                    churned = [n for n in names if n.startswith("churn")]
                    assert churned == sorted(churned)
                    assert all(s.body() == plain(create_body(s.name)) for s in listed)

        await asyncio.gather(churn(), read())
        async with client_for(app) as reader:
            final = await reader.list_schedules()
        async with Admin(EmulatorTransport(app)) as admin:
            state = await admin.schedules()
        assert [s.schedule_id for s in final] == [row["schedule_id"] for row in state]
        return outcomes["ok"], outcomes["unstable"]

    ok, unstable = asyncio.run(scenario())
    print(f"listings during churn: {ok} consistent, {unstable} unstable")
    assert ok + unstable >= 1


def test_expired_schedules_leave_the_listing() -> None:
    app = emulator_app()
    transport = EmulatorTransport(app)

    async def scenario() -> list[RemoteSchedule]:
        async with client_for(app, transport=transport) as client:
            await client.create_schedule(create_body("soon", day=1))
            await client.create_schedule(create_body("later", day=20))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as admin:
            later = datetime(2027, 4, 30, tzinfo=UTC) + timedelta(hours=1)  # day 10
            (
                await admin.put("/_emulator/clock", json={"now": later.isoformat()})
            ).raise_for_status()
        async with client_for(app, transport=transport) as client:
            return await client.list_schedules()

    listed = asyncio.run(scenario())
    assert [s.name for s in listed] == ["later"]
    assert listed[0].position == 0
