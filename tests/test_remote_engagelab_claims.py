"""Claimed creates (reconciler/remote/engagelab/_claim.py): the oldest schedule of a name wins, every time.

Two clients create the same names at once against one emulator, in-process, with
and without faults; the verdicts of a round from hand-made reads; the parked body.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from reconciler.emulator import AppCredentials, Settings
from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.engagelab import (
    CreateContended,
    RemoteSchedule,
    RetryPolicy,
    ScheduleNotFound,
)
from reconciler.remote.engagelab._claim import (
    MAX_ROUNDS,
    PARK_DAYS,
    PARK_WINDOW_DAYS,
    PARKED_PREFIX,
    _Claim,
    _judge,
    _Read,
    park,
)
from tests.support.api import (
    Admin,
    HookTransport,
    client_for,
    create_body,
    emulator_app,
    plain,
)
from tests.support.clock import NOW
from tests.support.emulator import Api

FAST = RetryPolicy(max_attempts=12, base_delay=0.0005, max_delay=0.004, retry_after_cap=0.004)
NAMES = [f"n{i:03d}" for i in range(60)]


def parked(r: RemoteSchedule) -> bool:
    return str(r.push.get("request_id", "")).startswith(PARKED_PREFIX)


async def race(app: Any, *, faults: list[str] | None = None, seed: int = 0) -> list[Any]:
    """Two claiming clients create NAMES at once; their outcomes (ids or errors)."""
    clients = [
        client_for(app, transport=EmulatorTransport(app), retry=FAST, park_creates_from=NOW)
        for _ in range(2)
    ]
    async with Admin(EmulatorTransport(app)) as admin:
        await admin.faults(faults or [], seed=seed)
        async with clients[0] as one, clients[1] as two:
            outcomes = await asyncio.gather(
                *(c.create_schedule(create_body(name)) for name in NAMES for c in (one, two)),
                return_exceptions=True,
            )
        await admin.faults([])
    return outcomes


async def listing(app: Any) -> list[RemoteSchedule]:
    async with client_for(app) as client:
        return await client.list_schedules()


def test_two_writers_leave_each_name_once_promoted() -> None:
    app = emulator_app()
    outcomes = asyncio.run(race(app))
    found = asyncio.run(listing(app))
    assert Counter(r.name for r in found) == Counter(NAMES)
    assert [r.name for r in found if parked(r)] == []
    bodies = {r.name: plain(r.body()) for r in found}
    assert all(bodies[name] == plain(create_body(name)) for name in NAMES)
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert lost, "the writers never contended: the test proves nothing"
    assert all(isinstance(o, CreateContended) for o in lost), lost[:3]
    assert len(lost) == len(NAMES)  # one winner, one loser, per name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_under_faults_no_name_is_ever_live_twice(seed: int) -> None:
    app = emulator_app()
    faults = ["error=503:0.2", "error=429:0.05", "drop-after-commit=0.05"]
    outcomes = asyncio.run(race(app, faults=faults, seed=seed))
    found = asyncio.run(listing(app))
    live = Counter(r.name for r in found if not parked(r))
    assert max(live.values()) == 1
    assert set(r.name for r in found) == set(NAMES)  # live, or parked for the next apply
    unexpected = [o for o in outcomes if isinstance(o, Exception) and "first" not in str(o)]
    assert all("POST" in str(o) or "PUT" in str(o) for o in unexpected), unexpected[:3]


def test_the_parked_body_lies_a_year_ahead_less_a_week_and_keeps_what_a_put_cannot_change() -> None:
    now = datetime.fromisoformat("2026-11-21T00:00:00+00:00")
    single = park(create_body("s"), now, "t")
    assert single["trigger"] == {"single": {"time": "2027-11-14 00:00:00", "zone_type": 1}}
    assert single["push"]["request_id"] == PARKED_PREFIX + "20261121T000000Z:t"
    body = create_body("p")
    body["trigger"] = {
        "periodical": {
            "start": "2026-11-22 00:00:00",
            "end": "2027-06-01 00:00:00",
            "time": "08:00:00",
            "time_unit": "month",
            "point": ["31"],
            "frequency": 100,
            "zone_type": 2,
        }
    }
    assert park(body, now, "t")["trigger"] == {
        "periodical": {
            "start": "2027-11-07 00:00:00",
            "end": "2027-11-14 00:00:00",
            "time": "08:00:00",
            "time_unit": "day",
            "point": [],
            "zone_type": 2,
        }
    }
    body["trigger"] = {"intelligent": {"backup_time": "2027-01-01 00:00:00"}}
    assert park(body, now, "t")["trigger"] == {
        "intelligent": {"backup_time": "2027-11-14 00:00:00"}
    }


TRIGGERS = {
    "single": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}},
    "single_device": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 2}},
    "periodical": {
        "periodical": {
            "start": "2026-12-01 00:00:00",
            "end": "2027-03-01 00:00:00",
            "time": "02:30:00",
            "time_unit": "week",
            "point": ["MON"],
            "zone_type": 1,
        }
    },
    "intelligent": {"intelligent": {"backup_time": "2027-01-01 09:00:00"}},
}


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "America/New_York"])
def test_every_parked_body_is_accepted_and_fires_nothing_for_350_days(zone: str) -> None:
    """The horizon is as far as the API's year allows in any site zone, and holds (less a
    day: a site zone's times may fall up to 14 hours before the same times in UTC)."""
    settings = Settings(apps=(AppCredentials("k", "s", zone),), now=NOW)
    with Api(settings) as api:
        ids = {}
        for kind, trigger in TRIGGERS.items():
            parked = park({**create_body(kind), "trigger": trigger}, NOW, "t")
            ids[kind] = api.create(parked)
        api.set_clock((NOW + timedelta(days=PARK_DAYS - PARK_WINDOW_DAYS - 1)).isoformat())
        assert {kind: api.runs(sid) for kind, sid in ids.items()} == {k: [] for k in ids}
        api.set_clock((NOW + timedelta(days=PARK_DAYS + 2)).isoformat())
        assert all(api.runs(sid) for sid in ids.values())  # they would fire: the next plan must act


# --- verdicts from hand-made reads ------------------------------------------------------


def read(number: int, page: int, *ids: str) -> _Read:
    return _Read(number, page, ids, ("x",) * len(ids))


def verdict(descending: list[_Read], ascending: tuple[_Read, ...] = ()) -> tuple[Any, str]:
    claim = _Claim("x", "M", answer=None)  # type: ignore[arg-type] # the judge never answers
    return _judge(claim, descending, [*descending, *ascending])


def test_alone_wins() -> None:
    assert verdict([read(1, 1), read(2, 2, "M"), read(3, 1)]) == ("won", "")


def test_seen_after_mine_in_one_answer_is_younger() -> None:
    assert verdict([read(1, 1, "M", "X")]) == ("won", "")


def test_seen_before_mine_in_one_answer_is_older() -> None:
    assert verdict([read(1, 1, "X", "M")]) == ("lost", "X")


def test_across_pages_the_ascending_pass_decides() -> None:
    descending = [read(1, 1), read(2, 3, "X"), read(3, 2, "M"), read(4, 1)]
    assert verdict(descending) == (None, "")  # X on a later page, read earlier: undecided
    younger = (read(5, 1), read(6, 2, "M"), read(7, 3, "X"))
    assert verdict(descending, younger) == ("won", "")
    older = (read(5, 1), read(6, 2, "X"), read(7, 3, "M"))
    assert verdict([read(1, 1), read(2, 3, "M"), read(3, 2, "X"), read(4, 1)], older) == (
        "lost",
        "X",
    )


def test_mine_not_seen_is_gone() -> None:
    assert verdict([read(1, 1, "X")]) == ("gone", "")


def test_a_promotion_whose_copy_another_writer_deleted_says_so_and_what_comes_next() -> None:
    app = emulator_app()

    async def scenario() -> str:
        async with client_for(app) as other:

            async def withdraw_first(request: httpx.Request) -> None:
                if request.method == "PUT":  # the promotion: another writer was quicker
                    await other.delete_schedule(request.url.path.rsplit("/", 1)[1])

            transport = HookTransport(EmulatorTransport(app), withdraw_first)
            claiming = client_for(app, transport=transport, retry=FAST, park_creates_from=NOW)
            async with claiming:
                with pytest.raises(ScheduleNotFound) as caught:
                    await claiming.create_schedule(create_body("a"))
        return str(caught.value)

    message = asyncio.run(scenario())
    assert "HTTP 404, 28104 our parked copy of 'a' was deleted by another writer" in message
    assert "nothing of this create is left in the app, and the next plan shows it as a create" in (
        message
    )
    assert asyncio.run(listing(app)) == []


def test_a_claim_that_cannot_settle_withdraws_its_copy_and_never_promotes() -> None:
    """Driven to its last round by a server whose listing never lets the order be shown:
    another `x` appears on page 3 only when page 3 is read right after page 1 (the
    descending pass), never in the ascending one, and ours stays on page 2."""
    seen: list[tuple[str, str]] = []
    previous_page = [0]

    def lying_app(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(200, json={"schedule_id": "ours", "name": "x"})
        if request.method != "GET":
            return httpx.Response(200)
        page = int(request.url.params["page"])
        entries = {
            2: [{"schedule_id": "ours", "name": "x", "enabled": True}],
            3: [{"schedule_id": "theirs", "name": "x", "enabled": True}]
            if previous_page[0] == 1
            else [],
        }.get(page, [])
        previous_page[0] = page
        listing = {"total_count": 150, "total_pages": 3, "page": page, "schedules": entries}
        return httpx.Response(200, json=listing)

    async def scenario() -> str:
        client = client_for(
            emulator_app(),
            transport=httpx.MockTransport(lying_app),
            retry=FAST,
            park_creates_from=NOW,
        )
        async with client:
            with pytest.raises(CreateContended) as caught:
                await client.create_schedule(create_body("x"))
        return str(caught.value)

    message = asyncio.run(scenario())
    assert "could not settle who created 'x' first (the app kept changing)" in message
    assert "ours was withdrawn before it could fire" in message
    methods = Counter(method for method, _ in seen)
    assert methods == {"POST": 1, "GET": MAX_ROUNDS * 7, "DELETE": 1}  # never a PUT
    assert seen[-1] == ("DELETE", "/v4/schedules/ours")
