"""Match: the runs a schedule recorded against the fires it should have made, and its class.

A pure function of the expected fires (reconciler.health.expected: each a span of
instants, with a deadline), the runs and the window [start, now):

1. **One run per fire.** Fires from the latest span to the earliest; each takes
   the latest run not yet taken whose time is in its span. (A greedy choice for
   matching points to intervals that no other assignment beats: it gives as many
   fires a run as any could.) Where spans overlap, as the 26-hour spans of a daily
   zone_type 2 schedule do by 2.5 hours, a run there goes to the later fire: a
   zone_type 2 run is recorded when its wall time is first reached (UTC+14, the
   start of its span, as the emulator does), so a missing run is charged to the
   fire that lacks it, not to a later one.
2. **More runs of one fire.** A run left over that lies in a fire's span is one
   more run of that fire (the nearest, when spans overlap): a server may record
   several runs for one fire (one per device zone for zone_type 2; a success and
   a failure together, as the documents' own msg-ids example shows).
3. **Unexpected.** A run in no fire's span, recorded inside the window.

Each fire whose deadline falls inside the window is judged: **sent** (one of its
runs has code 0), **failed** (it has runs, none with code 0) or **missed** (no
run; an optional fire, around a trigger change, with no run is dropped instead).
A fire whose deadline has not passed is **pending**; one whose deadline is
before the window was judged by an earlier window and is left out. So
consecutive windows judge every fire exactly once.

The class of a schedule is the worst that applies: failed, missed, unexpected,
ok (every judged fire sent), quiet (nothing judged, no unexpected run).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.health.expected import Expected

__all__ = ["STATES", "Judged", "Seen", "classify", "judge"]

#: Classes from worst to best; `unchecked`: the runs or the trigger could not be read.
STATES = ("failed", "missed", "unexpected", "unchecked", "ok", "quiet")


@dataclass(frozen=True)
class Seen:
    """One recorded run, as health reads it."""

    at: datetime  # UTC
    code: int
    meaning: str
    msg_id: str = ""
    schedule_id: str = ""
    need_retry: bool = False


@dataclass(frozen=True)
class Judged:
    """One expected fire and what became of it: sent, failed, missed or pending."""

    fire: Expected
    state: str
    runs: tuple[Seen, ...] = ()


def _distance(run: Seen, fire: Expected) -> float:
    if run.at < fire.first:
        return (fire.first - run.at).total_seconds()
    return max(0.0, (run.at - fire.last).total_seconds())


def _assign(fires: Sequence[Expected], runs: Sequence[Seen]) -> tuple[list[list[Seen]], list[Seen]]:
    """The runs of each fire (by index), and the runs no fire's span holds."""
    free = sorted(runs, key=lambda r: r.at)
    times = [r.at for r in free]
    taken: list[list[Seen]] = [[] for _ in fires]
    latest_first = sorted(range(len(fires)), key=lambda i: (fires[i].opens, fires[i].deadline))
    for index in reversed(latest_first):
        fire = fires[index]
        at = bisect.bisect_right(times, fire.deadline) - 1
        if at >= 0 and times[at] >= fire.opens:
            taken[index].append(free.pop(at))
            times.pop(at)
    stray: list[Seen] = []
    for run in free:
        holding = [i for i, f in enumerate(fires) if f.opens <= run.at <= f.deadline]
        if holding:
            taken[min(holding, key=lambda i: _distance(run, fires[i]))].append(run)
        else:
            stray.append(run)
    return taken, stray


def judge(
    fires: Sequence[Expected], runs: Sequence[Seen], start: datetime, now: datetime
) -> tuple[list[Judged], list[Seen]]:
    """The fires judged in [start, now) and the pending ones, by deadline; the unexpected runs."""
    taken, stray = _assign(fires, runs)
    judged: list[Judged] = []
    for fire, mine in zip(fires, taken, strict=True):
        of_fire = tuple(sorted(mine, key=lambda r: r.at))
        if fire.deadline < start:
            continue
        if fire.deadline >= now:
            state = "pending"
        elif any(r.code == 0 for r in of_fire):
            state = "sent"
        elif of_fire:
            state = "failed"
        elif fire.optional:
            continue
        else:
            state = "missed"
        judged.append(Judged(fire, state, of_fire))
    judged.sort(key=lambda j: (j.fire.deadline, j.fire.first))
    unexpected = [r for r in sorted(stray, key=lambda r: r.at) if start <= r.at < now]
    return judged, unexpected


def classify(judged: Sequence[Judged], unexpected: Sequence[Seen]) -> str:
    """The schedule's class: the worst of failed, missed, unexpected; else ok or quiet."""
    states = {j.state for j in judged}
    for worst in ("failed", "missed"):
        if worst in states:
            return worst
    if unexpected:
        return "unexpected"
    return "ok" if "sent" in states else "quiet"
