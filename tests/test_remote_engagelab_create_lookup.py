"""The safe POST's look-up: a scan that needs no stable app, shared by concurrent look-ups.

Against the emulator in-process (no mocks); churn is made by a second client, either
between two requests of the scan (HookTransport: the worst moments, deterministically)
or concurrently.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest

from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import (
    CreateAmbiguous,
    RemoteSchedule,
    ScheduleClient,
    ServiceUnavailable,
)
from reconciler.remote.engagelab._create import NameFinder
from reconciler.remote.engagelab._listing import PAGE_SIZE, scan_for_names
from tests.support.api import (
    FAST,
    Admin,
    HookTransport,
    client_for,
    create_body,
    emulator_app,
    fill_concurrently,
    plain,
)

CHAOS_FAULTS = ["error=503:0.2", "error=429:0.05", "drop-after-commit=0.05"]


def _fetch(client: ScheduleClient) -> Any:
    # The client's own GET with retries: exactly what the look-up reads with.
    return client._get


def _page_of(rows: list[dict[str, Any]], schedule_id: str) -> int:
    index = [row["schedule_id"] for row in rows].index(schedule_id)
    return index // PAGE_SIZE + 1


@pytest.mark.parametrize("list_detail", ["summary", "full"])
def test_the_scan_never_misses_a_schedule_while_older_ones_go_and_newer_ones_come(
    list_detail: str,
) -> None:
    """Before every request of the scan, another writer deletes a random number (up to
    more than a page) of schedules older than the target and creates newer ones: the
    deletes drag the target towards page 1 while the scan walks the other way, the worst
    case for any page order. Thirty rounds per mode, the target anywhere: never missed.
    Also: a name deleted before the scan and a name that never existed are not found."""
    app = emulator_app(list_detail=list_detail)
    inner = EmulatorTransport(app)
    rng = random.Random(f"scan-{list_detail}")
    created = 0
    state: dict[str, Any] = {"target": None, "moved": 0}

    async def churn(writer: ScheduleClient, admin: Admin) -> None:
        nonlocal created
        rows = await admin.schedules()
        ids = [row["schedule_id"] for row in rows]
        older = ids[: ids.index(state["target"])]
        doomed = rng.sample(older, min(len(older), rng.randint(0, 60)))
        await asyncio.gather(*(writer.delete_schedule(i) for i in doomed))
        # Creates too, keeping the app at a few pages (and within its quota).
        fresh = [
            f"new{created + i:05d}" for i in range(rng.randint(0, 40) if len(ids) < 300 else 0)
        ]
        created += len(fresh)
        await asyncio.gather(*(writer.create_schedule(create_body(n)) for n in fresh))

    async def scenario() -> int:
        await fill_concurrently(app, 200, prefix="base")
        async with (
            Admin(inner) as admin,
            client_for(app, transport=inner) as writer,
        ):
            # Detail reads run beside page reads: one churn at a time, or two would
            # delete the same schedule, and the hook's own 404 would pass for the
            # answer to the request it delays.
            one_at_a_time = asyncio.Lock()

            async def hook(request: httpx.Request) -> None:
                if state["target"] is not None and request.method == "GET":
                    async with one_at_a_time:
                        await churn(writer, admin)

            async with client_for(app, transport=HookTransport(inner, hook), retry=FAST) as reader:
                for round_ in range(30):
                    rows = await admin.schedules()
                    if len(rows) < 120:  # keep a few pages to walk
                        await fill_concurrently(app, 150, prefix=f"refill{round_}_")
                        rows = await admin.schedules()
                    target = rng.choice(rows[1:])
                    gone = rng.choice([row for row in rows if row is not target])
                    await writer.delete_schedule(gone["schedule_id"])
                    page_before = _page_of(rows, target["schedule_id"])
                    state["target"] = target["schedule_id"]
                    found = await scan_for_names(
                        _fetch(reader), {target["name"], gone["name"], "never-existed"}
                    )
                    state["target"] = None
                    page_after = _page_of(await admin.schedules(), target["schedule_id"])
                    state["moved"] += page_after < page_before
                    assert [s.schedule_id for s in found[target["name"]]] == [
                        target["schedule_id"]
                    ], f"round {round_}: missed"
                    assert found[target["name"]][0].body() == plain(target["body"])
                    assert found[gone["name"]] == []
                    assert found["never-existed"] == []
        return int(state["moved"])

    moved = asyncio.run(scenario())
    # The churn did bite: in most rounds the target changed page during the scan.
    assert moved >= 15


def test_a_free_running_writer_never_hides_a_schedule_from_the_scan() -> None:
    """The same promise with real concurrency: a writer task deletes old schedules and
    creates new ones as fast as it can while the reader scans for targets again and
    again (a little latency so that requests interleave)."""
    app = emulator_app(list_detail="summary", faults=("latency=1,jitter=1",))
    inner = EmulatorTransport(app)
    rng = random.Random(5)

    async def scenario() -> int:
        await fill_concurrently(app, 200, prefix="base")
        done = asyncio.Event()
        async with Admin(inner) as admin:
            rows = await admin.schedules()
            # The targets are never touched by the writer; everything else may be.
            targets = {row["name"]: row["schedule_id"] for row in rng.sample(rows, 12)}
            others = [row["schedule_id"] for row in rows if row["name"] not in targets]

            async def write() -> None:
                async with client_for(app, transport=inner, retry=FAST) as writer:
                    for i in range(300):
                        if others and rng.random() < 0.5:
                            await writer.delete_schedule(others.pop(rng.randrange(len(others))))
                        else:
                            others.append(await writer.create_schedule(create_body(f"w{i:04d}")))
                done.set()

            async def read() -> int:
                scans = 0
                async with client_for(app, transport=inner, retry=FAST, concurrency=4) as reader:
                    while not done.is_set():
                        found = await scan_for_names(_fetch(reader), set(targets))
                        scans += 1
                        assert {n: [s.schedule_id for s in f] for n, f in found.items()} == {
                            n: [i] for n, i in targets.items()
                        }
                return scans

            _, scans = await asyncio.gather(write(), read())
        return scans

    assert asyncio.run(scenario()) >= 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_200_concurrent_creates_under_chaos_faults_each_make_exactly_one(seed: int) -> None:
    """The apply's situation: 200 creates in flight together (and deletes besides), 20%
    503, 5% 429, 5% answers lost after commit. Every create returns an id (no
    CreateAmbiguous from an app that kept changing), and each name exists once, under
    the id returned. The look-ups shared scans."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)

    async def scenario() -> tuple[int, int]:
        await fill_concurrently(app, 150, prefix="old")
        async with Admin(inner) as admin:
            doomed = [row["schedule_id"] for row in await admin.schedules()][:60]
            await admin.faults(CHAOS_FAULTS, seed=seed)
            names = [f"n{i:03d}" for i in range(200)]
            async with client_for(app, transport=inner, retry=FAST) as client:
                finder = client._finder
                results = await asyncio.gather(
                    *(client.create_schedule(create_body(n)) for n in names),
                    *(client.delete_schedule(i) for i in doomed),
                    return_exceptions=True,
                )
                errors = [r for r in results if isinstance(r, BaseException)]
                assert errors == [], errors[:3]
                ids = results[: len(names)]
                await admin.faults([])
                rows = await admin.schedules()
                scans, asked = finder.scans, finder.asked
        counts = Counter(row["name"] for row in rows)
        assert [n for n, c in counts.items() if c > 1] == []
        assert len(rows) == 150 - 60 + 200
        by_name = {row["name"]: row["schedule_id"] for row in rows}
        assert {n: by_name.get(n) for n in names} == dict(zip(names, ids, strict=True))
        return scans, asked

    scans, asked = asyncio.run(scenario())
    assert asked >= 10  # the faults did bite
    assert scans * 3 <= asked, (scans, asked)


def test_concurrent_ambiguous_failures_share_few_scans() -> None:
    """Sixty creates whose POSTs fail ambiguously half the time: dozens of look-ups, a
    handful of scans (each costs one page-1 read more than the app has pages)."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    page_reads = 0

    async def count(request: httpx.Request) -> None:
        nonlocal page_reads
        page_reads += "page" in request.url.params

    async def scenario() -> tuple[int, int]:
        await fill_concurrently(app, 120, prefix="old")
        async with Admin(inner) as admin:
            await admin.faults(["error=503:0.5"], seed=4)
            async with client_for(app, transport=HookTransport(inner, count), retry=FAST) as client:
                names = [f"c{i:02d}" for i in range(60)]
                await asyncio.gather(*(client.create_schedule(create_body(n)) for n in names))
                finder = client._finder
                await admin.faults([])
                assert sorted(row["name"] for row in await admin.schedules())[:60] == names
                return finder.scans, finder.asked

    scans, asked = asyncio.run(scenario())
    assert asked >= 30
    assert scans * 4 <= asked, (scans, asked)
    # One look-up per failure, each listing the app, would read >= 4 pages per look-up.
    assert page_reads < asked * 2, (page_reads, asked)


def test_a_scan_that_started_before_a_request_never_serves_it() -> None:
    """Scan 1 is held just before its last read (page 1 again); meanwhile "late" is
    created (landing on page 2, which scan 1 has already read) and then looked up. Scan
    1 must not answer that look-up (it would say "not there", and the POST would be sent
    twice): the look-up waits for scan 2, which finds it. Requests queued together before
    a scan starts share it."""
    app = emulator_app(list_detail="summary")
    inner = EmulatorTransport(app)
    page_one_reads = 0
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold(request: httpx.Request) -> None:
        nonlocal page_one_reads
        if request.url.params.get("page") == "1":
            page_one_reads += 1
            if page_one_reads == 2:  # scan 1's closing read
                held.set()
                await release.wait()

    async def scenario() -> tuple[list[RemoteSchedule], list[RemoteSchedule], int]:
        await fill_concurrently(app, 60, prefix="old")
        finder = NameFinder()
        async with (
            client_for(app, transport=HookTransport(inner, hold), retry=FAST) as reader,
            client_for(app, transport=inner) as writer,
        ):
            fetch = _fetch(reader)
            early = [asyncio.create_task(finder.find(f"old{i:04d}", fetch)) for i in range(3)]
            first = asyncio.create_task(finder.find("late", fetch))
            await held.wait()
            assert finder.scans == 1  # the four requests above share scan 1
            late_id = await writer.create_schedule(create_body("late"))
            second = asyncio.create_task(finder.find("late", fetch))
            for _ in range(5):
                await asyncio.sleep(0)
            assert finder.scans == 1  # no second scan while the first runs
            assert not second.done()
            release.set()
            from_first, from_second = await first, await second
            assert [len(await task) for task in early] == [1, 1, 1]
            assert finder.scans == 2
            assert [s.schedule_id for s in from_second] == [late_id]
            return from_first, from_second, finder.asked

    from_first, from_second, asked = asyncio.run(scenario())
    assert from_first == []  # requested before "late" existed: rightly not found
    assert [s.name for s in from_second] == ["late"]
    assert asked == 5


def test_a_failed_scan_fails_every_look_up_it_served_and_the_next_scan_starts_afresh() -> None:
    """Every GET answered 503: the look-ups waiting on that scan all fail with the
    ServiceUnavailable, and the create says it may or may not exist (CreateAmbiguous);
    with the faults gone, the same finder scans again and finds nothing."""
    app = emulator_app()
    inner = EmulatorTransport(app)

    async def scenario() -> None:
        await fill_concurrently(app, 60, prefix="old")
        async with Admin(inner) as admin, client_for(app, transport=inner, retry=FAST) as client:
            await admin.faults(["error=503:1"])
            with pytest.raises(CreateAmbiguous) as caught:
                await client.create_schedule(create_body("x"))
            assert "looking it up failed too" in str(caught.value)
            assert "may or may not exist now: re-plan" in str(caught.value)
            finder = NameFinder()
            lookups = [finder.find(f"n{i}", _fetch(client)) for i in range(4)]
            outcomes = await asyncio.gather(*lookups, return_exceptions=True)
            assert all(isinstance(o, ServiceUnavailable) for o in outcomes), outcomes
            assert finder.scans == 1
            await admin.faults([])
            assert await finder.find("old0001", _fetch(client)) != []
            assert await finder.find("x", _fetch(client)) == []
            assert finder.scans == 3

    asyncio.run(scenario())
