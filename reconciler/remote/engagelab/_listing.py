"""Read a whole app as one consistent, complete, creation-ordered list of schedules.

The API pages 50 schedules at a time by creation time, and someone else may create
or delete while we read; a delete shifts every later entry one page up, so a naive
reader skips one schedule or sees one twice. So one listing attempt:

1. reads page 1, which tells ``total_count`` and ``total_pages``;
2. reads pages 2..N concurrently, and as each page arrives, fetches the details of
   its entries that carry only ``schedule_id``/``name``/``enabled`` (pipelining the
   two phases; the client's semaphore and rate limiter keep it polite);
3. de-duplicates by ``schedule_id`` (first occurrence wins: creation order is kept).

It is trusted only if every page reported page 1's ``total_count``, the unique ids
number exactly that, and no listed schedule vanished (404) before its details came.
Otherwise the app moved under us: read it all again, a bounded number of times,
then raise ``ListingUnstable``. Details are not carried over between attempts: a
schedule changed between attempts would otherwise mix two moments.

``scan_for_names`` answers a smaller question that needs no stable app: which
schedules of some names exist (used by the safe POST's look-up, see its docstring).

Why ``scan_for_names`` (page 1, to learn T = ``total_pages``, then pages T, T-1, ...,
1, one after the other) sees every schedule that exists from before its first read
until after its last one, whatever is created or deleted meanwhile: the list is in
creation order, so while a schedule S exists its index can only
fall (a create appends after it, a delete before it moves it up by one, a delete
after it or an update leaves it alone), and so can its page, ``pg(t)``. Let
``f(k)`` be S's page when page k is read. S existed at the first read, so
``f(T) <= pg(first read) <= T``; and ``f(1) >= 1``. Going from k = T down to 1,
``f(k) - k`` starts at or below 0, ends at or above 0, and rises by at most 1
per step (``f`` never rises as time goes on, ``k`` falls by 1). An integer that
rises in steps of at most 1 cannot jump over 0: for some k, ``f(k) = k``, which
means S was on page k when page k was read. (T <= 1: S was on page 1 at the first
read, which is therefore the whole scan.)
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.limits import LIST_WINDOW, MAX_LISTED
from reconciler.remote.engagelab._models import (
    RemoteSchedule,
    is_complete,
    schedule_from_json,
    unreadable,
    unwrap_detail,
)
from reconciler.remote.engagelab.errors import (
    ApiError,
    ListingUnstable,
    MalformedResponse,
    ScheduleNotFound,
)
from reconciler.remote.engagelab.settings import SETTINGS

log = logging.getLogger("reconciler.api")

# The settings' path and page size, under the names the listing's readers share.
LIST_PATH = SETTINGS.schedules_path
PAGE_SIZE = SETTINGS.page_size
#: The first listing plus three more when the app moves under us.
LIST_ATTEMPTS = 4

Fetch = Callable[[str], Awaitable[Any]]


def detail_path(schedule_id: str) -> str:
    return SETTINGS.detail_path(quote(schedule_id, safe=""))


class _Moved(Exception):
    """The app changed during this attempt (internal: never leaves this module)."""


@dataclass(frozen=True)
class _Page:
    number: int
    total_count: int
    total_pages: int
    entries: tuple[Mapping[str, Any], ...]


def _int_field(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedResponse(f"{where}: {key} is not an integer")
    return value


def _parse_page(data: Any, number: int) -> _Page:
    """One page, refused (MalformedResponse) unless its numbers can be true.

    Checked before anything is scheduled from it: a ``total_count`` no app can hold,
    a ``total_pages`` that does not follow from ``total_count`` at 50 a page, more
    than 50 entries. A server claiming ten million pages is refused on page 1.
    """
    where = f"GET {LIST_PATH}?page={number}"
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{where}: expected an object with total_count and schedules")
    total_count = _int_field(data, "total_count", where)
    if total_count is None:
        raise MalformedResponse(f"{where}: no total_count")
    if not 0 <= total_count <= MAX_LISTED:
        raise MalformedResponse(
            f"{where}: total_count {total_count} is not a number of schedules an app can "
            f"hold (0..{MAX_LISTED})"
        )
    expected_pages = math.ceil(total_count / PAGE_SIZE)
    total_pages = _int_field(data, "total_pages", where)
    if total_pages is None:
        total_pages = expected_pages
    elif total_pages != expected_pages and not (total_count == 0 and total_pages == 1):
        raise MalformedResponse(
            f"{where}: total_pages {total_pages} does not fit total_count {total_count} "
            f"at {PAGE_SIZE} a page ({expected_pages} expected)"
        )
    schedules = data.get("schedules") or []
    if not isinstance(schedules, list):
        raise MalformedResponse(f"{where}: schedules is not an array")
    if len(schedules) > PAGE_SIZE:
        raise MalformedResponse(f"{where}: {len(schedules)} schedules on one page, not {PAGE_SIZE}")
    for entry in schedules:
        if not isinstance(entry, Mapping):
            raise MalformedResponse(f"{where}: a schedules entry is not an object")
        if not isinstance(entry.get("schedule_id"), str) or not entry["schedule_id"]:
            raise MalformedResponse(f"{where}: an entry without a schedule_id")
    return _Page(number, total_count, total_pages, tuple(schedules))


def _check_fill(page: _Page, total_count: int) -> None:
    """Every page but the last holds 50; the last the rest (one answer: one moment)."""
    pages = math.ceil(total_count / PAGE_SIZE)
    if page.number > pages:
        expected = 0
    elif page.number < pages:
        expected = PAGE_SIZE
    else:
        expected = total_count - PAGE_SIZE * (pages - 1)
    if len(page.entries) != expected:
        raise _Moved(
            f"page {page.number} holds {len(page.entries)} schedules where total_count "
            f"{total_count} means {expected}"
        )


async def _work(
    window: int,
    pages: Iterator[int],
    get_page: Callable[[int], Awaitable[None]],
    details: deque[str],
    get_detail: Callable[[str], Awaitable[None]],
) -> None:
    """Read the remaining pages, and the details their entries ask for, `window` at a time.

    Pages go first (the client's semaphore is FIFO, and a moved count is best seen
    early). However many pages a server claims, at most `window` requests are
    scheduled at once: memory stays flat.
    """
    busy = 0
    changed = asyncio.Event()

    async def worker() -> None:
        nonlocal busy
        while True:
            number = next(pages, None)
            if number is not None:
                job = get_page(number)
            elif details:
                job = get_detail(details.popleft())
            elif busy:  # a page in flight may still ask for details
                changed.clear()
                await changed.wait()
                continue
            else:
                changed.set()
                return
            busy += 1
            try:
                await job
            finally:
                busy -= 1
                changed.set()

    async with asyncio.TaskGroup() as group:
        for _ in range(window):
            group.create_task(worker())


async def _attempt(fetch: Fetch) -> list[RemoteSchedule]:
    first = _parse_page(await fetch(f"{LIST_PATH}?page=1"), 1)
    _check_fill(first, first.total_count)
    pages: dict[int, tuple[Mapping[str, Any], ...]] = {1: first.entries}
    # A detail, or why it cannot be read (the schedule is then reported, not the listing).
    details: dict[str, Mapping[str, Any] | str] = {}
    requested: set[str] = set()
    wanted: deque[str] = deque()

    async def get_detail(schedule_id: str) -> None:
        path = detail_path(schedule_id)
        try:
            data = await fetch(path)
        except ScheduleNotFound:
            raise _Moved(f"schedule {schedule_id} was deleted while listing") from None
        try:
            detail = unwrap_detail(data, schedule_id, where=f"GET {path}")
        except MalformedResponse as unreadable:
            details[schedule_id] = f"its details are not the documented shape ({unreadable})"
            return
        if detail is None:
            raise _Moved(f"schedule {schedule_id} was deleted while listing")
        details[schedule_id] = detail

    def complete(entries: tuple[Mapping[str, Any], ...]) -> None:
        for entry in entries:
            schedule_id: str = entry["schedule_id"]
            if schedule_id not in requested and not is_complete(entry):
                requested.add(schedule_id)
                wanted.append(schedule_id)

    async def get_page(number: int) -> None:
        page = _parse_page(await fetch(f"{LIST_PATH}?page={number}"), number)
        if page.total_count != first.total_count:
            raise _Moved(
                f"total_count moved from {first.total_count} to {page.total_count} "
                f"between page 1 and page {number}"
            )
        _check_fill(page, first.total_count)
        pages[number] = page.entries
        complete(page.entries)

    complete(first.entries)
    await _work(LIST_WINDOW, iter(range(2, first.total_pages + 1)), get_page, wanted, get_detail)
    return _assemble(pages, details, first.total_count)


def _assemble(
    pages: dict[int, tuple[Mapping[str, Any], ...]],
    details: dict[str, Mapping[str, Any] | str],
    total_count: int,
) -> list[RemoteSchedule]:
    ordered: dict[str, Mapping[str, Any]] = {}
    for number in sorted(pages):
        for entry in pages[number]:
            ordered.setdefault(entry["schedule_id"], entry)
    if len(ordered) != total_count:
        raise _Moved(f"{len(ordered)} distinct schedules listed but total_count is {total_count}")
    result: list[RemoteSchedule] = []
    for position, (schedule_id, entry) in enumerate(ordered.items()):
        where = f"GET {detail_path(schedule_id)}"
        detail = entry if is_complete(entry) else details[schedule_id]
        if isinstance(detail, str):
            result.append(unreadable(entry, position=position, problem=detail))
        else:
            summary = None if detail is entry else entry
            result.append(
                schedule_from_json(detail, position=position, summary=summary, where=where)
            )
    return result


async def list_app(
    fetch: Fetch,
    *,
    pause: Callable[[int], Awaitable[None]],
    attempts: int = LIST_ATTEMPTS,
) -> list[RemoteSchedule]:
    """The whole app, complete and in creation order.

    ``fetch(path)`` GETs a path with the client's retries and returns the parsed JSON;
    ``pause(n)`` waits before listing attempt ``n + 1``.
    """
    reason = ""
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            log.info(
                "the app changed while being listed (%s); listing again (attempt %d of %d)",
                reason,
                attempt,
                attempts,
            )
            await pause(attempt - 1)
        outcome: list[RemoteSchedule] | None = None
        failure: ApiError | None = None
        try:
            outcome = await _attempt(fetch)
        except _Moved as moved:
            reason = str(moved)
        except BaseExceptionGroup as group:
            leaves = _leaves(group)
            if any(not isinstance(leaf, ApiError | _Moved) for leaf in leaves):
                raise  # a bug, not a remote's doing: show it as it is
            # A request that failed for good outweighs a moved app: listing again
            # would meet the same failure.
            failure = next((leaf for leaf in leaves if isinstance(leaf, ApiError)), None)
            reason = next((str(leaf) for leaf in leaves if isinstance(leaf, _Moved)), "")
        if outcome is not None:
            return outcome
        if failure is not None:
            # Raised outside the handler, so the task group is not its context.
            raise failure
    raise ListingUnstable(
        f"the app kept changing while being listed ({attempts} attempts; last: {reason}); "
        "try again when no one else is changing it",
        method="GET",
        path=LIST_PATH,
    )


def _leaves(group: BaseExceptionGroup[Any]) -> list[BaseException]:
    found: list[BaseException] = []
    for item in group.exceptions:
        if isinstance(item, BaseExceptionGroup):
            found.extend(_leaves(item))
        else:
            found.append(item)
    return found


async def scan_for_names(fetch: Fetch, names: Collection[str]) -> dict[str, list[RemoteSchedule]]:
    """The schedules named one of ``names``, read while the app may change; by name.

    Reads page 1 (to learn ``total_pages`` = T), then pages T, T-1, ..., 1, one after
    the other, each request leaving only after the previous answer came.

    Guarantee (proved in the module docstring): every schedule that exists from before the
    first read until after the last one is seen at least once.

    Schedules created during the scan may or may not be seen; schedules deleted
    during it may be seen too. Summary entries of a wanted name get their details
    fetched (concurrently with the next pages); a 404 (or an empty answer) there
    means deleted meanwhile, and the entry is left out. Ids are de-duplicated, and
    a schedule is kept under the name its details give. Positions are -1: entries
    read at different moments have no common order.
    """
    wanted = frozenset(names)
    complete: dict[str, Mapping[str, Any]] = {}
    summaries: dict[str, Mapping[str, Any]] = {}
    details: dict[str, Mapping[str, Any]] = {}

    async def get_detail(schedule_id: str) -> None:
        path = detail_path(schedule_id)
        try:
            data = await fetch(path)
        except ScheduleNotFound:
            return  # deleted since it was listed: it cannot be the one looked for
        detail = unwrap_detail(data, schedule_id, where=f"GET {path}")
        if detail is not None:
            details[schedule_id] = detail

    async def read(number: int, group: asyncio.TaskGroup) -> int:
        page = _parse_page(await fetch(f"{LIST_PATH}?page={number}"), number)
        for entry in page.entries:
            name = entry.get("name")
            if not isinstance(name, str) or name not in wanted:
                continue
            schedule_id: str = entry["schedule_id"]
            if is_complete(entry):
                complete[schedule_id] = entry  # a later read is the fresher one
            elif schedule_id not in summaries:
                summaries[schedule_id] = entry
                group.create_task(get_detail(schedule_id))
        return page.total_pages

    failure: ApiError | None = None
    try:
        async with asyncio.TaskGroup() as group:
            total_pages = await read(1, group)
            if total_pages > 1:
                for number in range(total_pages, 0, -1):
                    await read(number, group)
    except BaseExceptionGroup as errors:
        leaves = _leaves(errors)
        if any(not isinstance(leaf, ApiError) for leaf in leaves):
            raise  # a bug, not a remote's doing: show it as it is
        failure = next(leaf for leaf in leaves if isinstance(leaf, ApiError))
    if failure is not None:
        # Raised outside the handler, so the task group is not its context.
        raise failure

    found: dict[str, list[RemoteSchedule]] = {name: [] for name in wanted}
    for entry in complete.values():
        schedule = schedule_from_json(entry, position=-1, where=f"GET {LIST_PATH}")
        found[schedule.name].append(schedule)
    for schedule_id, summary in summaries.items():
        if schedule_id in complete or schedule_id not in details:
            continue
        where = f"GET {detail_path(schedule_id)}"
        schedule = schedule_from_json(
            details[schedule_id], position=-1, summary=summary, where=where
        )
        if schedule.name in found:  # renamed meanwhile to a name not asked about: not ours
            found[schedule.name].append(schedule)
    return found
