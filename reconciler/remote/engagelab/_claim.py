"""Concurrent writers: one schedule per name, even when two applies create it at once.

The API has no uniqueness and no locking: a laptop and a CI job that both plan "create
X" both POST X, and the app holds two schedules that both fire. A duplicate that lives
for a second fires as well if its time falls in that second, and a writer killed
between its POST and its clean-up leaves one behind for good. So creating is made a
claim that every writer settles the same way, without talking to the others:

1. **Park.** The POST carries the schedule *parked*: its name, `enabled`, trigger kind
   and `zone_type` (what a PUT cannot change later), but its fire times moved
   ``PARK_DAYS`` ahead (a single or intelligent time then; a periodical daily window
   ending then) and ``push.request_id`` set to the mark of ``reconciler.core.parked``
   (when it was parked, and a token of this writer). A parked schedule cannot fire
   for 350 days (see "Why a horizon" below), so no parked duplicate fires while it
   is being settled; one its writer left behind is completed or withdrawn by the
   next apply.
2. **Settle: the oldest X wins.** The list is in creation order, an order the server
   keeps and every writer sees. A writer promotes its X only when it has shown that no
   X older than its own exists; otherwise it withdraws (deletes) its own.
3. **Promote.** The winner PUTs the real body: from then on the schedule fires, once.
   The server judges the real trigger only now (a window without a fire time is
   28105): if it refuses, the parked copy is withdrawn and the create fails with the
   server's answer, as an unparked POST would have.

**Why a horizon, and not a trigger that never fires.** A parked copy that could never
fire would need no one to come back for it; the documents leave no such trigger:

* a single time (and an intelligent ``backup_time``) must lie ahead, and "the latest
  time for a scheduled task cannot exceed one year" (the emulator refuses both, 28103);
* a periodical window that holds no fire time is refused: 28105, "no push target for
  the set time";
* ``enabled: false`` is refused on a create ("it must be true when creating a task");
* the trigger kind and ``zone_type`` cannot change on a later PUT, so the copy must
  keep the kind it will be promoted to.

A PUT may disable a schedule, so the copy could be disabled right after its POST; but
a writer killed between the two requests would still leave an enabled copy, so the
horizon would be needed anyway, at the price of a third request per create. So the
parked times lie as far ahead as the API allows, with a margin: ``PARK_DAYS`` (358)
days after the apply's clock, a week inside the year, which leaves room for the site
zone's offset (up to 14 hours), a server clock running somewhat ahead and a year
counted as 365 days. A periodical copy fires daily in the last ``PARK_WINDOW_DAYS`` of
that (a window of one day could hold no fire time across a DST gap). A copy left
behind is therefore harmless for 350 days (351, less the site zone's offset): the
next plan completes or withdraws it whatever ``prune`` says, and drift flags any that
waited longer than a day (``reconciler.core.parked.STALE_AFTER``): an interrupted apply
that no one ran again.

Why no lease (a lock schedule in the app): a lease must expire, or a killed apply
locks everyone out; an expiring lease needs clocks that agree and a holder that never
pauses past its expiry (a laptop lid closing), and the API has no fencing to stop a
holder that woke up too late. The claim needs no clock and no timing.

**Settling, and why it is safe.** A round reads pages one after the other (each
request leaves after the previous answer): page 1, then T, T-1, ..., 1 (the
*descending pass*, as ``_listing.scan_for_names``), and, if something is still
undecided, 1, 2, ..., T (the *ascending pass*). Each answer is a *read* with its
number ``r`` (the order of the answers), its page ``p`` and the X's on it, in order.
A schedule's index in the list only falls while it exists (creates append after it,
deletes before it move it up), so its page only falls; and the relative order of two
schedules never changes. For mine M and another X:

* X is *older* if one read shows X before M; or X on page j at read r1 and M on
  page m > j at a later read r2 (at r1, M was on page >= m > j).
* X is *younger* if one read shows X after M; or M on page m at read r1 and X on page
  j >= m at a later read r2 whose answer does not hold M (at r2, M was on a page
  below j, or on page j and then in that answer).

Both follow from the order alone, so they hold whenever they are found. A writer wins
when every other X its descending pass saw is proven younger, and loses as soon as
one is proven older. Undecided ones make another round (bounded; then it withdraws).

*At most one X is ever promoted.* Suppose writers A and B both promoted, and A's X
is the older. B's round started after B's POST, so A's X existed before it started,
and A never deletes a schedule it promoted: A's X existed throughout B's descending
pass, which therefore saw it (the scan's guarantee, proven in ``_listing``). Being
older, A's X can never be proven younger than B's; so B could not have won. A loser
deletes only its own X, which was never promoted.

*At least one survives* while the writers live and the app lets a round read it
calmly: the oldest X's writer sees every other X after its own, on its page or a
later page of the ascending pass, and wins. A killed writer leaves a parked X: the
next plan completes it (a PUT of the desired body, the promotion it missed) when it
is the only X, or the oldest of parked ones; withdraws it when another X holds the
name (a promoted one, or an older parked one); and withdraws it when X is no longer
wanted (``reconciler/plan/leftovers.py``). Completing the oldest agrees with this
protocol: a live writer's younger X loses to it. The next plan cannot tell a copy
left behind from one a live writer is settling at that moment: completing a live
writer's copy is the PUT it was about to make, and withdrawing it ends its claim as
"gone" (nothing promoted twice; its create fails and the next plan makes it again).

What this does not cover: a PUT (a rename through ``previous_name``) that gives a
schedule the name X while the claim is settled; and writers that create X without
this protocol (the console, other tools): the next plan shows such doubles as
conflicts.

Cost: a create is a POST and a PUT; each round is 1 + T page reads (2T + 1 when
contended), shared by every create waiting at that moment (as ``NameFinder``
shares look-ups).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from reconciler.core import parked as parked_mark
from reconciler.remote.engagelab._listing import LIST_PATH, Fetch, _parse_page
from reconciler.remote.engagelab.errors import (
    ApiError,
    CreateAmbiguous,
    CreateContended,
    ScheduleNotFound,
)

#: How far ahead a parked schedule's fire times lie: the API's year, less a week of margin.
PARK_DAYS = 358
#: A parked periodical fires daily in the last days before the horizon (never sooner).
PARK_WINDOW_DAYS = 7
#: Rounds a claim may take before its writer withdraws rather than guess.
MAX_ROUNDS = 8
PARKED_PREFIX = parked_mark.PREFIX

Verdict = Literal["won", "lost", "gone", "unsettled"]


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def park(body: Mapping[str, Any], now: datetime, token: str) -> dict[str, Any]:
    """`body` parked at `now`: fire times ``PARK_DAYS`` ahead (a periodical's window ends
    then), the mark in ``push.request_id``, what a PUT cannot change kept."""
    parked = copy.deepcopy(dict(body))
    at = now + timedelta(days=PARK_DAYS)
    trigger = parked.get("trigger") or {}
    if "single" in trigger:
        single = {"time": _text(at)}
        if "zone_type" in trigger["single"]:
            single["zone_type"] = trigger["single"]["zone_type"]
        parked["trigger"] = {"single": single}
    elif "periodical" in trigger:
        old = trigger["periodical"]
        periodical = {
            "start": _text(at - timedelta(days=PARK_WINDOW_DAYS)),
            "end": _text(at),
            "time": old.get("time", "12:00:00"),
            "time_unit": "day",
            "point": [],
        }
        if "zone_type" in old:
            periodical["zone_type"] = old["zone_type"]
        parked["trigger"] = {"periodical": periodical}
    else:
        parked["trigger"] = {"intelligent": {"backup_time": _text(at)}}
    mark = parked_mark.request_id(now, token)
    parked["push"] = {**dict(parked.get("push") or {}), "request_id": mark}
    return parked


@dataclass(frozen=True)
class _Read:
    """One answer of a round: its order, its page, the ids there (wanted ones), in order."""

    number: int
    page: int
    ids: tuple[str, ...]
    names: tuple[str, ...]


@dataclass
class _Claim:
    name: str
    mine: str
    answer: asyncio.Future[tuple[Verdict, str]]
    rounds: int = 0
    younger: set[str] = field(default_factory=set)


def _older(mine: str, other: str, reads: Iterable[_Read]) -> bool:
    seen_other: list[_Read] = []
    for read in reads:  # in read order
        if mine in read.ids and other in read.ids:
            if read.ids.index(other) < read.ids.index(mine):
                return True
        elif other in read.ids:
            seen_other.append(read)
        elif mine in read.ids and any(o.page < read.page for o in seen_other):
            return True
    return False


def _younger(mine: str, other: str, reads: Iterable[_Read]) -> bool:
    seen_mine: list[_Read] = []
    for read in reads:  # in read order
        if mine in read.ids:
            if other in read.ids and read.ids.index(other) > read.ids.index(mine):
                return True
            seen_mine.append(read)
        elif other in read.ids and any(m.page <= read.page for m in seen_mine):
            return True
    return False


def _judge(
    claim: _Claim, descending: list[_Read], reads: list[_Read]
) -> tuple[Verdict | None, str]:
    """The claim's verdict from this round's reads (None: undecided), and the older X's id."""
    if not any(claim.mine in read.ids for read in descending):
        return "gone", ""
    others = {
        schedule_id
        for read in descending
        for schedule_id, name in zip(read.ids, read.names, strict=True)
        if name == claim.name and schedule_id != claim.mine
    }
    for other in sorted(others - claim.younger):
        if _older(claim.mine, other, reads):
            return "lost", other
        if _younger(claim.mine, other, reads):
            claim.younger.add(other)
    return ("won" if others <= claim.younger else None), ""


class Claims:
    """Settles claims in shared rounds, one round at a time (single flight, as NameFinder).

    A claim is asked for after its POST was answered, and served only by rounds that
    started after that: its own X exists throughout each of them. A round starts
    only when none of this writer's claimed POSTs is under way: a batch of creates
    then shares one round, whose page reads (one after another) do not queue behind
    the POSTs.
    """

    def __init__(self, pause: Callable[[int], Awaitable[None]]) -> None:
        self._queue: list[_Claim] = []
        self._driver: asyncio.Task[None] | None = None
        self._pause = pause
        self._reads = 0
        self._posting = 0
        self._idle = asyncio.Event()
        self.rounds = 0

    async def post(
        self, create: Callable[[Mapping[str, Any]], Awaitable[str]], body: Mapping[str, Any]
    ) -> str:
        """`create(body)`, counted as a claimed POST under way."""
        self._posting += 1
        try:
            return await create(body)
        finally:
            self._posting -= 1
            if not self._posting:
                self._idle.set()

    async def _posts_done(self) -> None:
        while self._posting:
            self._idle.clear()
            await self._idle.wait()

    async def settle(self, name: str, mine: str, fetch: Fetch) -> tuple[Verdict, str]:
        """("won"|"lost"|"gone"|"unsettled", the older X's id when lost)."""
        answer: asyncio.Future[tuple[Verdict, str]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Claim(name, mine, answer))
        if self._driver is None:
            self._driver = asyncio.create_task(self._drive(fetch))
        return await answer

    async def _drive(self, fetch: Fetch) -> None:
        batch: list[_Claim] = []
        try:
            while self._queue:
                await self._posts_done()
                batch, self._queue = self._queue, []
                try:
                    undecided = await self._round(batch, fetch)
                except Exception as failed:  # an ApiError, or a bug: each claimant sees it
                    for claim in batch:
                        if not claim.answer.done():
                            claim.answer.set_exception(failed)
                    continue
                for claim in undecided:
                    claim.rounds += 1
                    if claim.answer.done():
                        continue  # its requester was cancelled
                    if claim.rounds >= MAX_ROUNDS:
                        claim.answer.set_result(("unsettled", ""))
                    else:
                        self._queue.append(claim)
                if undecided and self._queue:
                    await self._pause(min(c.rounds for c in undecided))
        except BaseException:
            for claim in batch + self._queue:
                claim.answer.cancel()
            self._queue = []
            raise
        finally:
            self._driver = None

    async def _round(self, batch: list[_Claim], fetch: Fetch) -> list[_Claim]:
        """One round for `batch`: the claims still undecided after it."""
        self.rounds += 1
        names = {claim.name for claim in batch}
        mine = {claim.mine for claim in batch}
        reads: list[_Read] = []

        async def read(number: int) -> int:
            page = _parse_page(await fetch(f"{LIST_PATH}?page={number}"), number)
            kept = [
                (str(e["schedule_id"]), str(e.get("name")))
                for e in page.entries
                if e.get("name") in names or e["schedule_id"] in mine
            ]
            self._reads += 1
            ids = tuple(i for i, _ in kept)
            reads.append(_Read(self._reads, number, ids, tuple(n for _, n in kept)))
            return page.total_pages

        total = await read(1)
        for number in range(total, 0, -1) if total > 1 else ():
            await read(number)
        descending = list(reads)
        pending = self._decide(batch, descending, reads)
        if pending:
            total = await read(1)
            for number in range(2, total + 1):
                await read(number)
            pending = self._decide(pending, descending, reads)
        return pending

    @staticmethod
    def _decide(batch: list[_Claim], descending: list[_Read], reads: list[_Read]) -> list[_Claim]:
        pending: list[_Claim] = []
        for claim in batch:
            verdict, older = _judge(claim, descending, reads)
            if verdict is None:
                pending.append(claim)
            elif not claim.answer.done():
                claim.answer.set_result((verdict, older))
        return pending


async def create_claimed(
    body: Mapping[str, Any],
    *,
    now: datetime,
    token: str,
    create: Callable[[Mapping[str, Any]], Awaitable[str]],
    settle: Callable[[str, str], Awaitable[tuple[Verdict, str]]],
    promote: Callable[[str, Mapping[str, Any]], Awaitable[None]],
    withdraw: Callable[[str], Awaitable[object]],
) -> str:
    """Create `body` parked, settle the claim, then promote it or withdraw it (module doc)."""
    name = str(body.get("name"))
    schedule_id = await create(park(body, now, token))
    verdict, older = await settle(name, schedule_id)
    if verdict == "won":
        refused: ApiError | None = None
        try:
            await promote(schedule_id, body)
        except ApiError as failed:
            # The server judges the real trigger only now (a window with no fire time
            # is 28105): the parked copy must not stay behind as if it were the create.
            refused = failed
        if refused is None:
            return schedule_id
        if isinstance(refused, ScheduleNotFound):
            raise refused.with_explanation(
                f"our parked copy of {name!r} was deleted by another writer before it could "
                "be promoted: nothing of this create is left in the app, and the next plan "
                "shows it as a create"
            )
        await _withdraw_quietly(withdraw, schedule_id)
        raise refused
    if verdict == "gone":
        raise CreateAmbiguous(
            f"{name!r} ({schedule_id}) was deleted by someone else while it was being created; "
            "re-plan",
            method="POST",
            path=LIST_PATH,
        )
    problem: ApiError | None = None
    try:
        await withdraw(schedule_id)
    except ApiError as failed:
        problem = failed
    why = (
        f"another writer created {name!r} first (id {older})"
        if verdict == "lost"
        else f"could not settle who created {name!r} first (the app kept changing)"
    )
    outcome = (
        "ours was withdrawn before it could fire"
        if problem is None
        else f"withdrawing ours ({schedule_id}, parked: it cannot fire for months) failed "
        f"({problem}); plan again and resolve the conflict"
    )
    raise CreateContended(f"{why}: {outcome}; run plan to see it", method="POST", path=LIST_PATH)


async def _withdraw_quietly(withdraw: Callable[[str], Awaitable[object]], schedule_id: str) -> None:
    """Delete a parked copy; if that fails too, the next plan shows it (it cannot fire)."""
    with contextlib.suppress(ApiError):
        await withdraw(schedule_id)
