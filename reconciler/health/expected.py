"""Expected fires: when a trigger should have fired, as spans of instants a run may carry.

The rules (docs/health.md states them for users):

- **zone_type 1** (also absent, where the server's zone applies, read as the
  site zone): the wall time read in the site zone is one instant `i`; a run
  counts for it when its time is in `[i - EARLY, i + LATE]`. A wall time that a
  daylight-saving change makes happen twice (autumn) or skips (spring) spans
  both readings: `[earlier - EARLY, later + LATE]`.
- **zone_type 2**: the wall time happens on every device's own clock, first in
  UTC+14 and last in UTC-12, 26 hours of instants apart; every run in
  `[w@UTC+14 - EARLY, w@UTC-12 + LATE]` counts toward that wall time. The
  emulator records one run when the time is first reached (UTC+14); a server
  that records one per zone is matched the same way. Daylight saving moves no
  device outside those two extremes, so it changes nothing here.
- **intelligent**: each user at their most active time, at `backup_time` at
  the latest (site zone): `[backup - INTELLIGENT_LEAD - EARLY, backup + LATE]`.
- A fire's **deadline** is the end of its span: a fire is judged once the
  deadline has passed, and not before (until then it is pending).

A trigger is in force over a `Segment` (from the repository's history, or the
whole window when that is unknown). A fire belongs to the segment its first
instant falls in; around a change recorded at time `c` (a commit reaching the
default branch: apply follows it) either trigger may be in force for `GRACE`,
so the fires of both triggers whose first instant is in `[c, c + GRACE)` are
optional: a run counts toward them, their absence is no miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from reconciler.core.fires import zone_type_of
from reconciler.core.model import Intelligent, Trigger
from reconciler.core.timing import FIRST_ZONE, LAST_ZONE, wall_times

__all__ = [
    "EARLY",
    "GRACE",
    "INTELLIGENT_LEAD",
    "LATE",
    "Expected",
    "Segment",
    "expected_fires",
]

#: A run this long before its fire time still counts (a server clock a little fast).
EARLY = timedelta(minutes=5)
#: A run this long after its fire time still counts (a large push takes a while to go out).
LATE = timedelta(minutes=30)
#: After a recorded change, how long either trigger may be in force (the apply after a merge).
GRACE = timedelta(hours=1)
#: How long before `backup_time` intelligent delivery may send.
INTELLIGENT_LEAD = timedelta(days=1)
# Wall times this far around a range hold every fire whose instants reach into it.
_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class Segment:
    """`trigger` in force over [start, end) (None: nothing fires: undeclared or disabled).

    `start`/`end` None: unbounded. `recorded` says `start` is a change the
    repository's history recorded, around which the previous trigger may still
    be in force for GRACE.
    """

    start: datetime | None
    end: datetime | None
    trigger: Trigger | None
    recorded: bool = False

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )


@dataclass(frozen=True)
class Expected:
    """One fire the trigger should have made: its wall time and the instants it may land on."""

    wall: datetime  # naive: the site zone's clock (zone_type 1) or every device's (2)
    zone_type: int
    first: datetime  # UTC
    last: datetime  # UTC
    optional: bool = False

    @property
    def opens(self) -> datetime:
        """The earliest time a run counts toward this fire."""
        return self.first - EARLY

    @property
    def deadline(self) -> datetime:
        """The latest time a run counts toward this fire; after it, no run is a miss."""
        return self.last + LATE


def _instants(wall: datetime, trigger: Trigger, site: tzinfo) -> tuple[int, datetime, datetime]:
    """(zone_type, first instant, last instant) of one wall time of `trigger`."""
    if zone_type_of(trigger) == 2:
        first = wall.replace(tzinfo=FIRST_ZONE).astimezone(UTC)
        return 2, first, wall.replace(tzinfo=LAST_ZONE).astimezone(UTC)
    # Both readings of a wall time a DST change repeats or skips (equal otherwise).
    early = wall.replace(tzinfo=site, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=site, fold=1).astimezone(UTC)
    first, last = min(early, late), max(early, late)
    if isinstance(trigger, Intelligent):
        first -= INTELLIGENT_LEAD
    return 1, first, last


def _of_segment(
    segment: Segment, after: Segment | None, site: tzinfo, lower: datetime, upper: datetime
) -> list[Expected]:
    trigger = segment.trigger
    if trigger is None:
        return []
    # Naive bounds wide enough for any zone (the trigger's clock is the site's or a device's).
    first = lower.astimezone(UTC).replace(tzinfo=None) - _SLACK
    last = upper.astimezone(UTC).replace(tzinfo=None) + _SLACK
    found = []
    for wall in wall_times(trigger, first, last):
        zone_type, start, end = _instants(wall, trigger, site)
        fire = Expected(wall, zone_type, start, end)
        if fire.deadline < lower or fire.opens > upper:
            continue
        if segment.holds(start):
            optional = (
                segment.recorded and segment.start is not None and start < segment.start + GRACE
            )
            found.append(Expected(wall, zone_type, start, end, optional))
        elif (
            after is not None
            and after.recorded
            and after.start is not None
            and after.holds(start)
            and start < after.start + GRACE
        ):
            found.append(Expected(wall, zone_type, start, end, True))
    return found


def expected_fires(
    segments: Sequence[Segment], site: tzinfo, lower: datetime, upper: datetime
) -> list[Expected]:
    """Every fire of `segments` (in order, each ending where the next starts) whose span
    reaches into [lower, upper], by deadline."""
    fires: list[Expected] = []
    for index, segment in enumerate(segments):
        after = segments[index + 1] if index + 1 < len(segments) else None
        fires += _of_segment(segment, after, site, lower, upper)
    return sorted(fires, key=lambda f: (f.deadline, f.first, f.wall))
