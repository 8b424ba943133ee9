"""Runs: the msg-ids of many schedules at once, one request each, as politely as a listing.

`health` reads the runs of every managed schedule of an app: one msg-ids request
per schedule, all started together; the provider keeps them within its
concurrency and rate limit (the EngageLab client's semaphore and limiter, as
for a listing's details). Expired schedules leave the listing but keep their
runs, so any id may be asked for, listed or not (as `history` does). The first
failure stops the rest and is raised naming the schedule; runs older than
`since` are dropped as they arrive, so a long history costs no memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.remote.protocol import Run, ScheduleMissing, ScheduleProvider

__all__ = ["all_of", "first_error", "read_runs", "runs_if_known", "runs_of"]

T = TypeVar("T")


async def all_of(work: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run every coroutine at once; their results in order, or the first of our errors (the
    rest cancelled): never an exception group, which no caller of ours would read."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in work]
    except BaseExceptionGroup as failed:
        raise first_error(failed) from None
    return [task.result() for task in tasks]


async def runs_of(
    remote: ScheduleProvider, schedule_id: str, name: str, since: datetime
) -> list[Run]:
    """The runs at or after `since` of one schedule; an error names it."""
    try:
        runs = await remote.msg_ids(schedule_id)
    except ReconcilerError as err:
        raise ReconcilerError(f"reading the runs of {name} ({schedule_id}): {err}") from None
    return [run for run in runs if run.timestamp >= since]


async def runs_if_known(
    remote: ScheduleProvider, schedule_id: str, name: str, since: datetime
) -> list[Run] | None:
    """The runs at or after `since` of a schedule the app no longer lists (by an id remembered
    from earlier); None when the app does not know the id any more (deleted)."""
    try:
        runs = await remote.msg_ids(schedule_id)
    except ScheduleMissing:
        return None
    except ReconcilerError as err:
        raise ReconcilerError(f"reading the runs of {name} ({schedule_id}): {err}") from None
    return [run for run in runs if run.timestamp >= since]


async def read_runs(
    remote: ScheduleProvider, names: Mapping[str, str], since: datetime
) -> dict[str, list[Run]]:
    """The runs at or after `since` of each schedule id in `names` (id -> name, for errors)."""
    found = await all_of(runs_of(remote, sid, name, since) for sid, name in names.items())
    return dict(zip(names, found, strict=True))


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first of our errors in `group` (the one a user should read), else the first."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop(0)
        if isinstance(error, BaseExceptionGroup):
            pending[:0] = list(error.exceptions)
        else:
            leaves.append(error)
    ours: Sequence[BaseException] = [e for e in leaves if isinstance(e, ReconcilerError)]
    return (ours or leaves)[0]
