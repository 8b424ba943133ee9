"""Faults for the API client tests: the kinds to ride out, a policy that outlasts them, a
workload to run through them, and the chain of whatever error escapes."""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.remote.engagelab import RetryPolicy, ScheduleClient
from tests.support.api import create_body, plain

FAULT_KINDS = [
    "latency=3,jitter=3",
    "error=500:0.3",
    "error=503:0.3",
    "error=429:0.3",
    "drop-after-commit=0.3",
]

# Half of all answers are lost here: 20 attempts make giving up a one-in-a-million event.
STUBBORN = RetryPolicy(max_attempts=20, base_delay=0.0005, max_delay=0.002, retry_after_cap=0.002)


async def workload(client: ScheduleClient, tag: str) -> dict[str, dict[str, Any]]:
    """Create, list, read, update, read runs, delete; the bodies that should remain, by name."""
    names = [f"{tag}{i:02d}" for i in range(12)]
    ids = await asyncio.gather(*(client.create_schedule(create_body(n)) for n in names))
    by_name = dict(zip(names, ids, strict=True))
    listed = await client.list_schedules()
    assert sorted(s.name for s in listed) == sorted(names)
    for schedule in await asyncio.gather(*(client.get_schedule(i) for i in ids[:4])):
        assert schedule.body() == plain(create_body(schedule.name))
    expected = {n: plain(create_body(n)) for n in names}
    for n in names[:4]:
        expected[n] = plain(create_body(n, alert="updated"))
        await client.update_schedule(by_name[n], expected[n])
    assert await client.msg_ids(ids[0]) == []
    await asyncio.gather(*(client.delete_schedule(by_name[n]) for n in names[-4:]))
    for n in names[-4:]:
        del expected[n]
    final = await client.list_schedules()
    assert {s.name: s.body() for s in final} == expected
    return expected


def chain(error: BaseException) -> list[BaseException]:
    """The error and every cause, context and group member hanging off it, each once."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__]
        if isinstance(item, BaseExceptionGroup):
            todo += list(item.exceptions)
    return seen
