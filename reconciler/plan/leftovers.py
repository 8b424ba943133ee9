"""Leftovers: the parked copies interrupted applies left, each completed or withdrawn.

A parked copy (``reconciler.core.parked``) is the first half of a create: never a
user's schedule, never fired. So, whatever prune, manage_prefix and protect say,
the oldest parked copy of a desired name that no other remote schedule holds is
completed (the PUT its create did not get to; the claim protocol settles the same
way: the oldest wins), and every other one is withdrawn: a name not desired, a
name another schedule holds (a copy that won, or one made without the protocol),
a younger parked copy, or a desired schedule the copy cannot become (disabled,
expired, another trigger kind or zone_type), which is then planned afresh.

The planner (planner.py) plans them before anything else and plans the rest
without them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from reconciler.config.targets import Target
from reconciler.core import parked
from reconciler.core.model import JSON, Schedule
from reconciler.core.timing import format_runs, is_expired
from reconciler.core.words import plural
from reconciler.plan.changes import Change
from reconciler.plan.diff import replacement_reason

if TYPE_CHECKING:
    from reconciler.remote.protocol import RemoteSchedule

__all__ = ["Leftovers", "plan_parked"]


@dataclass(frozen=True)
class Leftovers:
    """What `plan_parked` decided, and what it leaves the planner."""

    #: A complete or a withdraw for each parked copy.
    changes: tuple[Change, ...]
    #: The stale copies' warning, if any.
    warnings: tuple[str, ...]
    #: The remote schedules that are not parked, for the planner's other rules.
    rest: tuple[RemoteSchedule, ...]
    #: The desired names a completion already stands for.
    completed: frozenset[str]
    #: The ids of the parked copies: never a user's schedule (not managed, for the guards).
    parked_ids: frozenset[str]


def plan_parked(
    desired: Sequence[Schedule],
    remote: Sequence[RemoteSchedule],
    taken: set[str],
    *,
    target: Target,
    now: datetime,
    remote_forms: Mapping[str, JSON],
) -> Leftovers:
    """Plan the parked copies among `remote` (`taken`: the names unreadable schedules
    hold; `remote_forms`: the canonical form of each by id)."""
    copies: dict[str, list[RemoteSchedule]] = defaultdict(list)
    rest: list[RemoteSchedule] = []
    for r in sorted(remote, key=lambda r: r.position):
        if parked.mark_of(remote_forms[r.schedule_id]) is None:
            rest.append(r)
        else:
            copies[r.name].append(r)
    held = {r.name: r.schedule_id for r in rest}
    held.update((name, "a schedule we cannot read") for name in taken)
    wanted = {d.name: d for d in desired}
    changes: list[Change] = []
    completed: set[str] = set()
    for name, found in sorted(copies.items()):
        for index, copy in enumerate(found):
            mark = parked.mark_of(remote_forms[copy.schedule_id])
            assert mark is not None
            d = wanted.get(name)
            if d is None:
                why: str | None = "not in the repo"
            elif name in held:
                why = f"{held[name]} holds the name"
            elif index:
                why = f"an older parked copy of the name comes first ({found[0].schedule_id})"
            else:
                why = _cannot_complete(d, copy, target, now)
            if d is not None and why is None:
                changes.append(_complete(d, copy, mark.describe(), target, now))
                completed.add(name)
                continue
            reason = f"{mark.describe()}; {why}"
            changes.append(
                Change("withdraw", name, copy.schedule_id, before=copy.body(), reason=reason)
            )
    every = [r for found in copies.values() for r in found]
    return Leftovers(
        changes=tuple(changes),
        warnings=_warn_stale(every, remote_forms, now),
        rest=tuple(rest),
        completed=frozenset(completed),
        parked_ids=frozenset(r.schedule_id for r in every),
    )


def _cannot_complete(
    d: Schedule, copy: RemoteSchedule, target: Target, now: datetime
) -> str | None:
    """Why the parked `copy` cannot become `d` with a PUT, or None when it can."""
    if not d.enabled:
        return "the schedule is disabled now (the API cannot create a disabled one)"
    if is_expired(d.trigger, now, target.site_zone):
        return "the schedule has expired since"
    why = replacement_reason(copy.body(), d.body())
    return None if why is None else f"the schedule changed since ({why.split(': ', 1)[1]})"


def _complete(
    d: Schedule, copy: RemoteSchedule, reason: str, target: Target, now: datetime
) -> Change:
    """The create an interrupted apply began: a PUT of `d` onto its parked copy."""
    return Change(
        "complete",
        d.name,
        copy.schedule_id,
        before=copy.body(),
        after=d.body(),
        reason=reason,
        next_runs=tuple(format_runs(d.trigger, now, target.site_zone, target.site_timezone)),
        source=str(d.source) if d.source else None,
    )


def _warn_stale(
    copies: Sequence[RemoteSchedule], remote_forms: Mapping[str, JSON], now: datetime
) -> tuple[str, ...]:
    """One warning for the parked copies that waited longer than `parked.STALE_AFTER`."""
    stale = []
    for r in copies:
        mark = parked.mark_of(remote_forms[r.schedule_id])
        if mark is not None and mark.stale(now):
            stale.append(f"{r.name} (id {r.schedule_id}, {mark.when()})")
    if not stale:
        return ()
    shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
    return (
        f"{plural(len(stale), 'parked copy', 'parked copies')} waited longer than "
        f"{plural(parked.STALE_AFTER.days, 'day')}: {shown}: an apply was interrupted and "
        f"not run again; apply completes or withdraws {'it' if len(stale) == 1 else 'them'}",
    )
