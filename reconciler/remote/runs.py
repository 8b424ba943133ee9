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
from collections.abc import Mapping, Sequence
from datetime import datetime

from reconciler.errors import ReconcilerError
from reconciler.remote.protocol import Run, ScheduleProvider

__all__ = ["read_runs"]


async def read_runs(
    remote: ScheduleProvider, names: Mapping[str, str], since: datetime
) -> dict[str, list[Run]]:
    """The runs at or after `since` of each schedule id in `names` (id -> name, for errors)."""

    async def one(schedule_id: str) -> list[Run]:
        try:
            runs = await remote.msg_ids(schedule_id)
        except ReconcilerError as err:
            raise ReconcilerError(
                f"reading the runs of {names[schedule_id]} ({schedule_id}): {err}"
            ) from None
        return [run for run in runs if run.timestamp >= since]

    try:
        async with asyncio.TaskGroup() as group:
            tasks = {sid: group.create_task(one(sid)) for sid in names}
    except BaseExceptionGroup as failed:
        raise _first(failed) from None
    return {sid: task.result() for sid, task in tasks.items()}


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
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
