"""History: the runs of one schedule (its msg-ids), newest first, in words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any, Protocol

from reconciler.errors import ReconcilerError

# Push error codes a run can carry (EngageLab/JPush push API); 0 is success.
MEANINGS = {
    0: "sent",
    1003: "invalid parameter in the push",
    1004: "the push is too large",
    1008: "invalid app key",
    1011: "cannot find sending target: no device matched the audience",
    1020: "only HTTPS is allowed",
    1030: "internal service timeout",
    2002: "rate limit exceeded",
    2003: "the app is not allowed to push",
}


class RunLike(Protocol):
    @property
    def msg_id(self) -> str: ...
    @property
    def error_code(self) -> int: ...
    @property
    def error_message(self) -> str: ...
    @property
    def need_retry(self) -> bool: ...
    @property
    def timestamp(self) -> Any: ...


class HistoryClient(Protocol):
    """What the look-up needs of reconciler.remote.engagelab.ScheduleClient."""

    async def list_schedules(self) -> Sequence[Any]: ...
    async def msg_ids(self, schedule_id: str) -> Sequence[Any]: ...


async def runs_of(client: HistoryClient, ref: str) -> tuple[str, str, list[Any]]:
    """(name, schedule id, runs) of the schedule named `ref`, or whose id is `ref`.

    Expired schedules leave the list but keep their runs, so an id that is not
    listed is still asked for.
    """
    remote = await client.list_schedules()
    matches = [r for r in remote if r.name == ref]
    if len(matches) > 1:
        ids = ", ".join(r.schedule_id for r in matches)
        raise ReconcilerError(f"several remote schedules are named {ref!r} ({ids}): pass an id")
    if matches:
        found = matches[0]
        return found.name, found.schedule_id, list(await client.msg_ids(found.schedule_id))
    by_id = [r for r in remote if r.schedule_id == ref]
    name = by_id[0].name if by_id else ref
    try:
        return name, ref, list(await client.msg_ids(ref))
    except ReconcilerError:
        if by_id:
            raise
        raise ReconcilerError(
            f"no active remote schedule is named {ref!r}; an expired one leaves the list, "
            "so pass its schedule id instead"
        ) from None


def meaning(code: int, message: str) -> str:
    known = MEANINGS.get(code)
    if known:
        return known
    return message or f"error {code}"


def newest_first(runs: Sequence[RunLike]) -> list[RunLike]:
    return sorted(runs, key=lambda r: r.timestamp, reverse=True)


def render_text(
    name: str, schedule_id: str, runs: Sequence[RunLike], zone: tzinfo, zone_name: str
) -> str:
    lines = [f"{name} (id {schedule_id}): {len(runs)} run{'s' * (len(runs) != 1)}"]
    for run in newest_first(runs):
        when = run.timestamp.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        if run.error_code == 0:
            outcome = "sent"
        else:
            outcome = f"failed {run.error_code} {meaning(run.error_code, run.error_message)}"
            if run.need_retry:
                outcome += " (the service will retry)"
        lines.append(f"  {when} {zone_name}  msg_id={run.msg_id}  {outcome}")
    return "\n".join(lines) + "\n"


def render_json(
    name: str, schedule_id: str, runs: Sequence[RunLike], zone: tzinfo
) -> dict[str, Any]:
    return {
        "name": name,
        "schedule_id": schedule_id,
        "runs": [_run_json(run, zone) for run in newest_first(runs)],
    }


def _run_json(run: RunLike, zone: tzinfo) -> dict[str, Any]:
    return {
        "time": run.timestamp.astimezone(zone).isoformat(),
        "msg_id": run.msg_id,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "meaning": meaning(run.error_code, run.error_message),
        "need_retry": run.need_retry,
    }
