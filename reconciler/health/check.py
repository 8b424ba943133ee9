"""Check: the health of one target, its managed schedules' expected fires against their runs.

    read the files -> the repository's history of triggers (git) -> list the app
    -> the runs of every managed schedule (one msg-ids request each, concurrently)
    -> expected fires (reconciler.health.expected) -> match and class (match)

Which schedules: every desired one (found remotely by name, or by its
`previous_name` while a rename is pending), and every managed remote one
absent from the repository (`manage_prefix`). Where their expected fires come
from: the desired trigger, in force since the commit that declared it (the
repository's history, reconciler.desired.history), or, without a usable
history, today's trigger over the whole window; for a schedule absent from the
repository, the app's trigger of today (the API records no edit time).

Parked copies (`push.request_id` stamped `reconciler-parked:…`, reconciler.core.parked)
are half-made creates, never a user's schedule, and never fired: `_unparked` leaves
them out before anything is counted, and the report notes the ones that waited longer
than a day (an interrupted apply no apply has finished since).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reconciler.config.targets import Target
from reconciler.core import parked
from reconciler.core.model import Intelligent, Schedule, Trigger, trigger_from_json
from reconciler.core.timing import is_expired
from reconciler.core.words import plural
from reconciler.desired.history import Declared, TriggerHistory, trigger_history
from reconciler.desired.read import Desired, read_desired
from reconciler.health.expected import Segment, expected_fires
from reconciler.health.match import Seen, classify, judge
from reconciler.health.report import Health, ScheduleHealth
from reconciler.remote import seen
from reconciler.remote.protocol import RemoteSchedule, Run, ScheduleProvider
from reconciler.remote.registry import open_provider
from reconciler.remote.runs import first_error, read_runs, runs_if_known, runs_of

__all__ = ["RUNS_BEFORE", "check_health", "health_target", "zone_label"]

#: Fires and runs this long before the window are matched too, so that a run at the
#: window's start goes to the fire it belongs to (zone_type 2 spans reach 26.5 hours back).
RUNS_BEFORE = timedelta(days=2)


@dataclass(frozen=True)
class _Subject:
    """One managed schedule: its desired form (None: absent from the repository), its copies."""

    name: str
    desired: Schedule | None
    remotes: tuple[RemoteSchedule, ...]
    # Not listed (expired, or deleted): the ids remembered for its name (reconciler.remote.seen).
    remembered: tuple[str, ...] = ()


def _remembered_for(
    schedule: Schedule, remembered: Mapping[str, seen.Seen], listed: set[str]
) -> tuple[str, ...]:
    names = {schedule.name, schedule.previous_name}
    return tuple(sorted(i for i, s in remembered.items() if s.name in names and i not in listed))


def _subjects(
    desired: Sequence[Schedule],
    listed: Sequence[RemoteSchedule],
    prefix: str,
    remembered: Mapping[str, seen.Seen] | None = None,
) -> list[_Subject]:
    by_name: dict[str, list[RemoteSchedule]] = defaultdict(list)
    for remote in listed:
        if remote.name.startswith(prefix):
            by_name[remote.name].append(remote)
    ids = {r.schedule_id for r in listed}
    subjects, claimed = [], set()
    for schedule in desired:
        name = schedule.name
        if not by_name.get(name) and schedule.previous_name in by_name:
            name = schedule.previous_name  # a rename not applied yet: the old name's runs
        remotes = tuple(by_name.get(name, ()))
        kept = () if remotes else _remembered_for(schedule, remembered or {}, ids)
        subjects.append(_Subject(schedule.name, schedule, remotes, kept))
        claimed.add(name)
    for name, copies in by_name.items():
        if name not in claimed:
            subjects.append(_Subject(name, None, tuple(copies)))
    return sorted(subjects, key=lambda s: s.name)


def zone_label(trigger: Trigger | None, site_name: str) -> str:
    """How a trigger's times are read: the zone health assumed."""
    if trigger is None:
        return site_name
    if isinstance(trigger, Intelligent):
        return f"{site_name} (intelligent: up to a day before backup_time)"
    if trigger.zone_type == 2:
        return "device-local (UTC+14 to UTC-12)"
    if trigger.zone_type is None:
        return f"{site_name} (no zone_type: the server's zone, taken as the site zone)"
    return site_name


def _remote_trigger(remote: RemoteSchedule) -> Trigger | None:
    body = remote.body()
    return trigger_from_json(body["trigger"]) if body.get("enabled") else None


def _segments(subject: _Subject, history: TriggerHistory) -> tuple[list[Segment], str]:
    """The triggers in force over time, and a note saying how that was known."""
    desired = subject.desired
    if desired is None:
        note = "absent from the repository: the app's trigger of today, over the whole window"
        return [Segment(None, None, _remote_trigger(subject.remotes[0]))], note
    today = desired.trigger if desired.enabled else None
    if not history.available:
        note = f"today's trigger over the whole window ({history.reason})"
        return [Segment(None, None, today)], note
    declared = history.changes.get(desired.name)
    if not declared:
        return [Segment(None, None, today)], ""
    segments = [
        Segment(d.since, after.since if after else None, d.trigger, recorded=d.since is not None)
        for d, after in zip(declared, [*declared[1:], None], strict=True)
    ]
    return segments, "the repository's history: " + ", ".join(_events(declared))


def _events(declared: Sequence[Declared]) -> list[str]:
    """`declared …`, `changed …`, `withdrawn …` (removed or disabled) at each commit time."""
    events = []
    for before, after in itertools.pairwise(declared):
        if after.trigger is None:
            what = "withdrawn"
        elif before.trigger is None:
            what = "declared"
        else:
            what = "changed"
        events.append(f"{what} {after.since:%Y-%m-%d %H:%M} UTC")
    return events


def _seen(runs: Mapping[str, Sequence[Run] | None], ids: Sequence[str]) -> list[Seen]:
    return [
        Seen(r.timestamp, r.error_code, r.meaning, r.msg_id, sid, r.need_retry)
        for sid in ids
        for r in runs.get(sid) or ()
    ]


def _not_listed(subject: _Subject, runs: Mapping[str, Sequence[Run] | None]) -> tuple[str, bool]:
    """What to say of a desired schedule the app no longer lists, and whether its runs
    were read (by the ids remembered for its name)."""
    readable = [i for i in subject.remembered if runs.get(i) is not None]
    if readable:
        return (
            "not listed (expired, or deleted): its runs read by the id remembered from "
            f"an earlier listing or apply ({', '.join(readable)})"
        ), True
    if subject.remembered:
        return (
            f"not listed, and the app no longer knows the id remembered for it "
            f"({', '.join(subject.remembered)}): deleted"
        ), False
    return (
        "expired: it left the app's list before its id was remembered; read its runs by "
        "id (reconciler history ID)"
    ), False


def _assess(
    subject: _Subject,
    runs: Mapping[str, Sequence[Run] | None],
    history: TriggerHistory,
    target: Target,
    window: tuple[datetime, datetime],
) -> ScheduleHealth:
    start, now = window
    ids = tuple(r.schedule_id for r in subject.remotes)
    source = "repository" if subject.desired else "app"
    unreadable = [r.problem for r in subject.remotes if r.problem]
    try:
        if subject.desired is None and unreadable:
            raise ValueError(unreadable[0])
        trigger = (
            subject.desired.trigger if subject.desired else _remote_trigger(subject.remotes[0])
        )
        segments, note = _segments(subject, history)
        fires = expected_fires(segments, target.site_zone, start - RUNS_BEFORE, now)
    except (KeyError, TypeError, ValueError) as err:
        why = f"its trigger cannot be read: {err}"
        return ScheduleHealth(
            subject.name, "unchecked", source, target.site_timezone, ids, notes=(why,)
        )
    zone = zone_label(trigger, target.site_timezone)
    notes = [note] if note else []
    if len(ids) > 1:
        notes.append(
            f"{len(ids)} schedules in the app share this name: their runs are read together"
        )
    judged, unexpected = judge(fires, _seen(runs, (*ids, *subject.remembered)), start, now)
    state = classify(judged, unexpected)
    if subject.remembered:
        # It left the list (expired, or deleted): its runs are reachable by id only.
        why, read = _not_listed(subject, runs)
        notes.append(why)
        ids = subject.remembered
        state = state if read else "unchecked"
    elif not ids and subject.desired is not None and state == "missed":
        if is_expired(subject.desired.trigger, now, target.site_zone):
            notes.append(_not_listed(subject, runs)[0])
            state = "unchecked"
        else:
            notes.append("not in the app (reconciler plan shows it as a create)")
    return ScheduleHealth(
        subject.name, state, source, zone, ids, tuple(judged), tuple(unexpected), tuple(notes)
    )


def _how_known(history: TriggerHistory) -> str:
    if not history.available:
        return f"today's triggers ({history.reason})"
    changing = plural(history.commits, "commit")
    return f"the repository's history ({changing} changing schedule files)"


def _unparked(
    listed: Sequence[RemoteSchedule], now: datetime
) -> tuple[list[RemoteSchedule], tuple[str, ...]]:
    """The schedules health counts (parked copies left out), and a note on stale copies."""
    kept: list[RemoteSchedule] = []
    stale: list[str] = []
    for remote in listed:
        mark = None if remote.problem else parked.mark_of(remote.body())
        if mark is None:
            kept.append(remote)
        elif mark.parked_at is None or now - mark.parked_at > parked.STALE_AFTER:
            stale.append(remote.name)
    if not stale:
        return kept, ()
    names = ", ".join(sorted(stale)[:10]) + (" …" if len(stale) > 10 else "")
    return kept, (
        f"{len(stale)} parked cop{'y' if len(stale) == 1 else 'ies'} ({names}) left by an "
        "interrupted apply waited longer than a day: not counted here (a parked copy has "
        "never fired); an apply completes or withdraws them.",
    )


def _read(listed: Sequence[RemoteSchedule], prefix: str) -> dict[str, str]:
    """The managed remote schedules whose runs are read: id -> name."""
    return {r.schedule_id: r.name for r in listed if r.name.startswith(prefix) and not r.problem}


def _assemble(
    target: Target,
    desired: Sequence[Schedule],
    history: TriggerHistory,
    listed: Sequence[RemoteSchedule],
    runs: Mapping[str, Sequence[Run]],
    window: tuple[datetime, datetime],
) -> Health:
    subjects = _subjects(desired, listed, target.manage_prefix)
    schedules = tuple(_assess(s, runs, history, target, window) for s in subjects)
    start, now = window
    return Health(target.name, start, now, target.site_timezone, schedules, _how_known(history))


async def check_health(
    target: Target,
    remote: ScheduleProvider,
    desired: Sequence[Schedule],
    history: TriggerHistory,
    window: tuple[datetime, datetime],
) -> Health:
    """Every managed schedule of `target` over the window [start, now), on an open remote."""
    listed, notes = _unparked(await remote.list_schedules(), window[1])
    since = window[0] - 2 * RUNS_BEFORE
    runs = await read_runs(remote, _read(listed, target.manage_prefix), since)
    return dataclasses.replace(
        _assemble(target, desired, history, listed, runs, window), notes=notes
    )


async def _when_read(
    subject: _Subject,
    fetched: Mapping[str, asyncio.Task[list[Run]] | asyncio.Task[list[Run] | None]],
    history: TriggerHistory,
    target: Target,
    window: tuple[datetime, datetime],
) -> ScheduleHealth:
    """The subject matched as soon as its runs are in."""
    ids = [*(r.schedule_id for r in subject.remotes), *subject.remembered]
    runs = {sid: await fetched[sid] for sid in ids if sid in fetched}
    return _assess(subject, runs, history, target, window)


def _remember(target: Target, listed: Sequence[RemoteSchedule], now: datetime) -> tuple[str, ...]:
    """Remember the ids the app listed (reconciler.remote.seen); a note if that failed."""
    path = seen.path_for(target.root, target.name)
    shown = [(r.schedule_id, r.name) for r in listed if not r.problem]
    try:
        seen.remember(path, target.name, shown, now)
    except OSError as err:
        return (f"the ids it listed could not be remembered in {path}: {err.strerror or err}",)
    return ()


async def health_target(
    target: Target,
    now: datetime,
    since: timedelta,
    read: Callable[[Target], Desired] | None = None,
) -> Health:
    """`reconciler health` for one target, its parts overlapped: the files (`read`, by
    default `read_desired`) and their history are read in a thread while the app is
    opened, listed and its runs read (requests that mostly wait, on the network and the
    rate limit), and each schedule is matched as soon as its runs are in."""
    start = now - since
    before = start - 2 * RUNS_BEFORE

    def files() -> tuple[Desired, TriggerHistory, dict[str, seen.Seen]]:
        desired = read(target) if read is not None else read_desired(target, now)
        history = trigger_history(
            target.root, target.schedules, before, now, max_file_bytes=target.max_file_bytes
        )
        return (
            desired,
            history,
            seen.read_seen(seen.path_for(target.root, target.name), target.name),
        )

    reading = asyncio.ensure_future(asyncio.to_thread(files))
    try:
        async with open_provider(target, now) as remote:
            listed, notes = _unparked(await remote.list_schedules(), now)
            async with asyncio.TaskGroup() as group:
                fetched: dict[str, Any] = {
                    sid: group.create_task(runs_of(remote, sid, name, before))
                    for sid, name in _read(listed, target.manage_prefix).items()
                }
                desired, history, remembered = await reading
                subjects = _subjects(
                    desired.result.schedules, listed, target.manage_prefix, remembered
                )
                for subject in subjects:
                    for sid in subject.remembered:
                        gone = runs_if_known(remote, sid, subject.name, before)
                        fetched[sid] = group.create_task(gone)
                window = (start, now)
                checked = [
                    group.create_task(_when_read(s, fetched, history, target, window))
                    for s in subjects
                ]
    except BaseExceptionGroup as failed:
        raise first_error(failed) from None
    finally:
        if not reading.done():
            reading.cancel()  # the thread finishes on its own; nobody waits for its result
    schedules = tuple(task.result() for task in checked)
    notes += _remember(target, listed, now)
    return Health(
        target.name, start, now, target.site_timezone, schedules, _how_known(history), notes
    )
