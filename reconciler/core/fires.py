"""Fires: when each schedule fires within a window, and where each fire lands in a zone.

A fire is one push the API would send. zone_type 1 (and an absent zone_type,
where the server's zone applies, and intelligent delivery, which has none) is
an instant: the wall time read in the site zone, seen in every audience zone
at that zone's local time. zone_type 2 is a wall time: every device sends it
at that time on its own clock, a different instant in each zone. Disabled
schedules never fire.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from reconciler.core.model import Schedule, Trigger
from reconciler.core.timing import wall_times

__all__ = ["Fire", "Landing", "trigger_fires", "walls_around", "window_fires", "zone_type_of"]

# Zone offsets on Earth span UTC-12..UTC+14: two days of slack around a window
# read on any wall clock holds every fire whose instant falls in it.
_SLACK = timedelta(days=2)


def zone_type_of(trigger: Trigger) -> int:
    """How the trigger behaves: 2 (device-local) or 1 (site zone, also when absent)."""
    return 2 if trigger.zone_type == 2 else 1


def walls_around(trigger: Trigger, start: datetime, end: datetime) -> list[datetime]:
    """The trigger's wall times near the instants [start, end), slack included, ascending."""
    first = start.astimezone(UTC).replace(tzinfo=None) - _SLACK
    last = end.astimezone(UTC).replace(tzinfo=None) + _SLACK
    return wall_times(trigger, first, last)


@dataclass(frozen=True)
class Fire:
    """One fire of one schedule, as the calendar shows it."""

    schedule: Schedule
    # The wall time it fires at: the site zone's clock (zone_type 1) or the device's (2).
    wall: datetime
    zone_type: int
    # The instant (zone_type 1), aware in the site zone; None for device-local fires.
    instant: datetime | None

    @property
    def at(self) -> str:
        """ISO 8601: with the site zone's offset for zone_type 1, without one for 2."""
        return (self.instant or self.wall).isoformat()


def trigger_fires(
    trigger: Trigger, start: datetime, end: datetime, site: tzinfo
) -> list[tuple[datetime, int, datetime | None]]:
    """(wall, zone_type, instant) of each fire in [start, end), ascending.

    zone_type 1 is in the window when its instant is; zone_type 2 when its wall
    time is, read on the site zone's clock (the calendar's own clock).
    """
    zone_type = zone_type_of(trigger)
    found: list[tuple[datetime, int, datetime | None]] = []
    if zone_type == 2:
        first = start.astimezone(site).replace(tzinfo=None)
        last = end.astimezone(site).replace(tzinfo=None)
        return [(wall, 2, None) for wall in wall_times(trigger, first, last)]
    for wall in walls_around(trigger, start, end):
        # Through UTC, so that a wall time in a DST gap comes out as the instant it is.
        instant = wall.replace(tzinfo=site).astimezone(UTC).astimezone(site)
        if start <= instant < end:
            found.append((wall, 1, instant))
    return found


def window_fires(
    schedules: Iterable[Schedule], start: datetime, end: datetime, site: tzinfo
) -> list[Fire]:
    """Every fire of the enabled schedules in [start, end), by wall time, then name."""
    fires = [
        Fire(schedule, wall, zone_type, instant)
        for schedule in schedules
        if schedule.enabled
        for wall, zone_type, instant in trigger_fires(schedule.trigger, start, end, site)
    ]
    return sorted(fires, key=lambda f: (f.wall, f.schedule.name))


class Landing:
    """Where fires land in one zone, cached per wall time (many schedules share their times).

    A landing is (epoch seconds, local wall time in the zone, the fire's own wall
    time, the local day as a proleptic ordinal, the second of the local day): what
    the policy rules compare, computed once.
    """

    def __init__(self, site: tzinfo, zone: tzinfo) -> None:
        self.site = site
        self.zone = zone
        self._cache: dict[tuple[datetime, int], tuple[int, datetime, datetime, int, int]] = {}

    def land(self, wall: datetime, zone_type: int) -> tuple[int, datetime, datetime, int, int]:
        key = (wall, zone_type)
        found = self._cache.get(key)
        if found is None:
            if zone_type == 2:
                epoch, local = int(wall.replace(tzinfo=self.zone).timestamp()), wall
            else:
                epoch = int(wall.replace(tzinfo=self.site).timestamp())
                local = datetime.fromtimestamp(epoch, self.zone).replace(tzinfo=None)
            second = local.hour * 3600 + local.minute * 60 + local.second
            found = (epoch, local, wall, local.toordinal(), second)
            self._cache[key] = found
        return found
