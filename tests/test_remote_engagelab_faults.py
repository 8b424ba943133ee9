"""Every fault the emulator injects, in-process: the client gets through, or fails with one
of our errors; a POST whose answer is lost never leaves two schedules of one name."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import (
    ApiError,
    ConnectionFailed,
    CreateAmbiguous,
    InvalidRequest,
    RetryPolicy,
    ScheduleNotFound,
    ServiceUnavailable,
)
from tests.support.api import FAST, Admin, client_for, create_body, emulator_app
from tests.support.faults import FAULT_KINDS, STUBBORN, chain, workload


class Counting(httpx.AsyncBaseTransport):
    """Delegates to another transport and counts the statuses of its answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response


@pytest.mark.parametrize("fault", FAULT_KINDS)
@pytest.mark.parametrize("list_detail", ["full", "summary"])
def test_every_fault_kind_is_ridden_out(fault: str, list_detail: str) -> None:
    app = emulator_app(list_detail=list_detail, faults=(fault,), seed=11)

    async def scenario() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], int]:
        async with client_for(app, retry=FAST, concurrency=8) as client:
            expected = await workload(client, "w")
            sent = client.requests_sent
        async with Admin(EmulatorTransport(app)) as admin:
            return expected, await admin.schedules(), sent

    expected, state, sent = asyncio.run(scenario())
    assert {row["name"]: row["body"] for row in state} == expected
    assert len(state) == len(expected)  # in particular: no duplicate from a lost POST answer
    assert sent > 0


def test_defaults_provoke_no_429_from_a_server_limited_to_500_per_second() -> None:
    """At the default rate_limit (400/s) a server holding the documented 500/s never refuses."""
    app = emulator_app(list_detail="summary", rate_limit=500)
    inner = EmulatorTransport(app)
    counting = Counting(inner)

    async def scenario() -> int:
        async with client_for(app, rate_limit=100_000) as filler:
            # The filler is as fast as it can be; let the server's bucket refill after it.
            await asyncio.gather(
                *(filler.create_schedule(create_body(f"r{i:03d}")) for i in range(300))
            )
        counting.statuses.clear()
        await asyncio.sleep(1.1)
        async with client_for(app, transport=counting, rate_limit=400, retry=FAST) as client:
            assert len(await client.list_schedules()) == 300
            return client.requests_sent

    sent = asyncio.run(scenario())
    assert sent == 1 + 5 + 300
    assert counting.statuses == {200: 306}


def _limited_listing(schedules: int, server_rate: int) -> Counter[int]:
    """The statuses a fast client (16 at once, no rate limit of its own) meets listing
    `schedules` from a server limited to `server_rate` requests a second."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    counting = Counting(inner)

    async def scenario() -> None:
        async with client_for(app) as filler:
            await asyncio.gather(
                *(filler.create_schedule(create_body(f"q{i:03d}")) for i in range(schedules))
            )
        async with Admin(inner) as admin:
            await admin.faults([], rate_limit=server_rate)
        patient = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, retry_after_cap=2.0)
        async with client_for(app, transport=counting, retry=patient, concurrency=16) as client:
            assert len(await client.list_schedules()) == schedules

    asyncio.run(scenario())
    return counting.statuses


def test_a_server_rate_limit_is_honoured_for_every_request_not_only_the_refused_one() -> None:
    """Client unlimited, server at 100/s: after the first 429 everyone waits Retry-After
    (1 s), so only the requests already in flight are refused, not every retry after it.

    The server's bucket holds a second's worth (100): a 429 needs a client faster than
    the refill, which a machine busy with other work may not be. The bound is asserted on
    every try; the listing is tried again (at most three times) only while the premise,
    a first 429, did not happen."""
    tried: list[Counter[int]] = []
    while len(tried) < 3 and not (tried and tried[-1][429]):
        statuses = _limited_listing(150, 100)
        assert statuses[200] == 1 + 2 + 150
        assert statuses[429] <= 2 * 16, statuses
        tried.append(statuses)
    assert tried[-1][429] >= 1, f"the client never outran the server's refill: {tried}"


def test_28203_says_how_often_it_was_retried() -> None:
    app = emulator_app(faults=("error=503:1",))
    policy = RetryPolicy(max_attempts=4, base_delay=0.0005, max_delay=0.001)

    async def scenario() -> tuple[ServiceUnavailable, int]:
        async with client_for(app, retry=policy) as client:
            with pytest.raises(ServiceUnavailable) as caught:
                await client.get_schedule("0eac1b80-c2ac-4b69-948b-c65b34b96512")
            return caught.value, client.requests_sent

    err, sent = asyncio.run(scenario())
    assert sent == 4
    assert err.status == 503
    assert err.code == 28203
    assert err.explanation == "the schedule service timed out; retried 3 times"
    assert str(err).startswith(
        "GET /v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512: HTTP 503, 28203 "
        "the schedule service timed out; retried 3 times (the server's message: "
    )


def test_a_clear_refusal_is_never_retried() -> None:
    app = emulator_app()

    async def scenario() -> tuple[InvalidRequest, int]:
        async with client_for(app, retry=FAST) as client:
            body = create_body("bad")
            body["trigger"]["single"]["time"] = "2027-4-21 12:00"
            with pytest.raises(InvalidRequest) as caught:
                await client.create_schedule(body)
            return caught.value, client.requests_sent

    err, sent = asyncio.run(scenario())
    assert sent == 1
    assert err.status == 400
    assert err.code == 28103
    assert "invalid push time" in str(err)


def test_a_timeout_is_a_connection_failure_and_a_timed_out_post_is_looked_up() -> None:
    app = emulator_app(faults=("latency=400",))
    policy = RetryPolicy(max_attempts=2, base_delay=0.0005, max_delay=0.001)

    async def scenario() -> tuple[ConnectionFailed, CreateAmbiguous]:
        async with client_for(app, retry=policy, timeout=0.05) as client:
            with pytest.raises(ConnectionFailed) as read:
                await client.list_schedules()
            with pytest.raises(CreateAmbiguous) as created:
                await client.create_schedule(create_body("slow"))
            return read.value, created.value

    read, created = asyncio.run(scenario())
    assert "no answer within 0.05 s; retried 1 times" in str(read)
    assert read.status is None
    assert "may or may not exist now: re-plan" in str(created)


def test_drop_after_commit_on_post_never_makes_two_schedules_200_seeds() -> None:
    """Two hundred seeds, three concurrent creates each, answers lost half the time (and
    503/500 besides, which commit nothing): each name exists exactly once, under the id
    the client returned."""
    app = emulator_app()
    transport = EmulatorTransport(app)
    lost_answers = 0

    async def scenario() -> None:
        nonlocal lost_answers
        async with Admin(transport) as admin:
            for seed in range(200):
                await admin.reset()
                if seed % 2:
                    faults = ["drop-after-commit=0.3", "error=503:0.15", "error=500:0.1"]
                else:
                    faults = ["drop-after-commit=0.5"]
                await admin.faults(faults, seed=seed)
                names = [f"d{seed}_{i}" for i in range(3)]
                async with client_for(app, transport=transport, retry=STUBBORN) as client:
                    ids = await asyncio.gather(
                        *(client.create_schedule(create_body(n)) for n in names)
                    )
                    lost_answers += client.requests_sent - 3
                await admin.faults([])
                state = await admin.schedules()
                assert sorted(row["name"] for row in state) == names, f"seed {seed}"
                assert {row["name"]: row["schedule_id"] for row in state} == dict(
                    zip(names, ids, strict=True)
                ), f"seed {seed}"

    asyncio.run(scenario())
    assert lost_answers > 200  # the faults did bite


async def _a_stranger_then(
    app: Starlette, admin: Admin, transport: EmulatorTransport, fault: str, seed: int
) -> None:
    """Start afresh with someone else's schedule named "shared", then switch on one fault."""
    await admin.reset()
    async with client_for(app, transport=transport) as other:
        await other.create_schedule(create_body("shared", alert="theirs"))
    await admin.faults([fault], seed=seed)


def test_a_same_named_schedule_with_another_payload_is_not_adopted() -> None:
    """Our POST fails ambiguously (503) and the look-up finds a schedule of that name that
    is not ours: someone else is creating it too. Refuse rather than guess."""
    app = emulator_app()
    transport = EmulatorTransport(app)

    async def scenario() -> list[CreateAmbiguous]:
        refused: list[CreateAmbiguous] = []
        async with Admin(transport) as admin:
            for seed in range(8):
                # Seeds whose first POST gets a 503 are the point; on the others the POST
                # goes through and makes a second "shared", as it was asked to.
                await _a_stranger_then(app, admin, transport, "error=503:0.5", seed)
                async with client_for(app, transport=transport, retry=STUBBORN) as client:
                    try:
                        await client.create_schedule(create_body("shared", alert="ours"))
                    except CreateAmbiguous as err:
                        refused.append(err)
                        await admin.faults([])
                        assert len(await admin.schedules()) == 1  # nothing was created
                    else:
                        await admin.faults([])
                        assert len(await admin.schedules()) == 2
        return refused

    refused = asyncio.run(scenario())
    assert refused
    for err in refused:
        assert "now 1 schedule of that name exists, 0 with our payload" in str(err)
        assert "re-plan" in str(err)


def test_our_lost_post_is_adopted_even_beside_a_same_named_stranger() -> None:
    app = emulator_app()
    transport = EmulatorTransport(app)

    async def scenario() -> None:
        async with Admin(transport) as admin:
            for seed in range(8):
                await _a_stranger_then(app, admin, transport, "drop-after-commit=0.5", seed)
                async with client_for(app, transport=transport, retry=STUBBORN) as client:
                    ours = await client.create_schedule(create_body("shared", alert="ours"))
                await admin.faults([])
                rows = await admin.schedules()
                assert [row["body"]["push"]["body"]["notification"]["alert"] for row in rows] == [
                    "theirs",
                    "ours",
                ]
                assert rows[1]["schedule_id"] == ours

    asyncio.run(scenario())


def test_a_delete_whose_answer_was_lost_counts_as_done() -> None:
    app = emulator_app()
    transport = EmulatorTransport(app)

    async def scenario() -> None:
        async with Admin(transport) as admin:
            for seed in range(40):
                await admin.reset()
                async with client_for(app, transport=transport) as client:
                    schedule_id = await client.create_schedule(create_body("gone"))
                await admin.faults(["drop-after-commit=0.6"], seed=seed)
                async with client_for(app, transport=transport, retry=FAST) as client:
                    await client.delete_schedule(schedule_id)
                await admin.faults([])
                assert await admin.schedules() == []
        async with client_for(app, transport=transport) as client:
            with pytest.raises(ScheduleNotFound):  # but a first-try 404 is an answer
                await client.delete_schedule(schedule_id)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "fault", [*FAULT_KINDS, "latency=100", "error=503:1", "drop-after-commit=1"]
)
def test_no_httpx_exception_ever_escapes(fault: str) -> None:
    """Heavy faults and few attempts, so that calls do fail: whatever escapes any public
    method is one of ours, and nothing of httpx hangs off it."""
    app = emulator_app(list_detail="summary", faults=(fault,), seed=3)
    policy = RetryPolicy(max_attempts=2, base_delay=0.0005, max_delay=0.001, retry_after_cap=0.001)
    escaped: list[BaseException] = []

    async def scenario() -> None:
        async with client_for(app, rate_limit=100_000) as filler:
            await Admin(EmulatorTransport(app)).faults([])
            ids = [await filler.create_schedule(create_body(f"e{i}")) for i in range(5)]
        async with Admin(EmulatorTransport(app)) as admin:
            await admin.faults([fault, "error=500:0.5"] if "=1" not in fault else [fault], seed=3)
        async with client_for(app, retry=policy, timeout=0.05) as client:
            calls = [
                client.list_schedules(),
                client.get_schedule(ids[0]),
                client.create_schedule(create_body("new")),
                client.update_schedule(ids[1], create_body("e1", alert="x")),
                client.delete_schedule(ids[2]),
                client.msg_ids(ids[3]),
                client.get_schedule("0eac1b80-c2ac-4b69-948b-c65b34b96512"),
            ]
            for call in calls:
                try:
                    await call
                except Exception as exc:  # the point: catch anything, then inspect it
                    escaped.append(exc)

    asyncio.run(scenario())
    for error in escaped:
        assert isinstance(error, ApiError), repr(error)
        for link in chain(error):
            assert not isinstance(link, httpx.HTTPError | httpx.InvalidURL), repr(link)
            assert type(link).__module__.split(".")[0] != "httpx"
        assert "\n" not in str(error)
