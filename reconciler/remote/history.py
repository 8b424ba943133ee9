"""History: find one schedule by name or id, and read its runs (msg-ids)."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core import parked
from reconciler.errors import ReconcilerError
from reconciler.remote.protocol import Run, ScheduleProvider

__all__ = ["runs_of"]


async def runs_of(remote: ScheduleProvider, ref: str) -> tuple[str, str, Sequence[Run]]:
    """(name, schedule id, runs) of the schedule named `ref`, or whose id is `ref`.

    Expired schedules leave the list but keep their runs, so an id that is not
    listed is still asked for.
    """
    listed = await remote.list_schedules()
    matches = [r for r in listed if r.name == ref]
    # A parked copy beside the schedule of its name is half a create that lost or was
    # interrupted (reconciler.core.parked): it never ran, and the name means the schedule.
    settled = [r for r in matches if parked.mark_of(r.body()) is None]
    matches = settled or matches
    if len(matches) > 1:
        ids = ", ".join(r.schedule_id for r in matches)
        raise ReconcilerError(f"several remote schedules are named {ref!r} ({ids}): pass an id")
    if matches:
        found = matches[0]
        return found.name, found.schedule_id, list(await remote.msg_ids(found.schedule_id))
    by_id = [r for r in listed if r.schedule_id == ref]
    name = by_id[0].name if by_id else ref
    try:
        return name, ref, list(await remote.msg_ids(ref))
    except ReconcilerError:
        if by_id:
            raise
        raise ReconcilerError(
            f"no active remote schedule is named {ref!r}; an expired one leaves the list, "
            "so pass its schedule id instead"
        ) from None
