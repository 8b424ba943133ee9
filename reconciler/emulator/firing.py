"""Fire times: when a parsed trigger fires and when it expires, as UTC instants.

Local (naive) times are read in the app's site zone for zone_type 1 or absent. For
zone_type 2 (each device's own zone) a run is recorded when the time is first reached
anywhere (UTC+14) and the schedule expires when it has passed everywhere (UTC-12).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

__all__ = [
    "EARLIEST_ZONE",
    "LATEST_ZONE",
    "Intelligent",
    "Periodical",
    "Single",
    "Timeline",
    "Trigger",
    "Unit",
    "add_year",
    "at",
    "kind_of",
    "local_fires",
    "zone_type_of",
]

EARLIEST_ZONE = timezone(timedelta(hours=14))
LATEST_ZONE = timezone(timedelta(hours=-12))

Unit = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Single:
    time: datetime
    zone_type: int | None


@dataclass(frozen=True)
class Periodical:
    start: datetime
    end: datetime
    time: time
    unit: Unit
    # Weekday numbers (0 = Monday) for week, day-of-month numbers for month, empty for day.
    points: tuple[int, ...]
    frequency: int
    zone_type: int | None


@dataclass(frozen=True)
class Intelligent:
    # None is "now": the push goes out when the schedule is created or replaced.
    backup_time: datetime | None


Trigger = Single | Periodical | Intelligent


def kind_of(trigger: Trigger) -> str:
    if isinstance(trigger, Single):
        return "single"
    if isinstance(trigger, Periodical):
        return "periodical"
    return "intelligent"


def zone_type_of(trigger: Trigger) -> int:
    """The effective zone type: absent reads as the site zone, like 1."""
    if isinstance(trigger, Single | Periodical) and trigger.zone_type == 2:
        return 2
    return 1


def at(local: datetime, zone: tzinfo) -> datetime:
    """A naive local time read in zone, as a UTC instant."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def add_year(moment: datetime) -> datetime:
    """The same calendar moment one year later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


@dataclass(frozen=True)
class Timeline:
    """The instants at which one trigger fires and expires."""

    trigger: Trigger
    site_zone: tzinfo
    # When the schedule was created or last replaced: what "now" in a trigger refers to.
    anchor: datetime

    @property
    def fire_zone(self) -> tzinfo:
        return EARLIEST_ZONE if zone_type_of(self.trigger) == 2 else self.site_zone

    @property
    def expire_zone(self) -> tzinfo:
        return LATEST_ZONE if zone_type_of(self.trigger) == 2 else self.site_zone

    def expires_at(self) -> datetime:
        trig = self.trigger
        if isinstance(trig, Single):
            return at(trig.time, self.expire_zone)
        if isinstance(trig, Periodical):
            return at(trig.end, self.expire_zone)
        if trig.backup_time is None:
            return self.anchor
        return at(trig.backup_time, self.site_zone)

    def fires_after(self, after: datetime) -> Iterator[datetime]:
        """Fire instants strictly after `after`, ascending."""
        trig = self.trigger
        if isinstance(trig, Single):
            first = at(trig.time, self.fire_zone)
            if first > after:
                yield first
            return
        if isinstance(trig, Intelligent):
            first = (
                self.anchor if trig.backup_time is None else at(trig.backup_time, self.site_zone)
            )
            if first > after:
                yield first
            return
        # A day of slack covers zone offsets and DST shifts between `after` and local dates.
        from_date = after.astimezone(self.fire_zone).date() - timedelta(days=1)
        for local in local_fires(trig, from_date):
            instant = at(local, self.fire_zone)
            if instant > after:
                yield instant

    def first_fire(self) -> datetime | None:
        """The first fire time of the whole window, or None if the window holds none."""
        trig = self.trigger
        if isinstance(trig, Periodical):
            before_start = at(trig.start, self.fire_zone) - timedelta(microseconds=1)
            return next(self.fires_after(before_start), None)
        if isinstance(trig, Single):
            return at(trig.time, self.fire_zone)
        return self.expires_at()  # an intelligent trigger fires once, as it expires


def local_fires(p: Periodical, from_date: date) -> Iterator[datetime]:
    """Naive local fire times of a periodical trigger on dates >= from_date, ascending."""
    try:
        yield from _local_fires(p, from_date)
    except OverflowError:
        # Stepping past year 9999: there is nothing later to fire.
        return


def _local_fires(p: Periodical, from_date: date) -> Iterator[datetime]:
    start_d, end_d = p.start.date(), p.end.date()
    lower = max(from_date, start_d)

    def within(d: date) -> datetime | None:
        moment = datetime.combine(d, p.time)
        return moment if p.start <= moment <= p.end else None

    if p.unit == "day":
        # Every frequency-th day counted from the start date.
        k = -(-(lower - start_d).days // p.frequency)
        d = start_d + timedelta(days=k * p.frequency)
        while d <= end_d:
            if (moment := within(d)) is not None:
                yield moment
            d += timedelta(days=p.frequency)
        return

    if p.unit == "week":
        # Every frequency-th week counted from the week (Monday..Sunday) of the start.
        first_monday = start_d - timedelta(days=start_d.weekday())
        weeks = (lower - first_monday).days // 7
        w = -(-weeks // p.frequency) * p.frequency
        days = sorted(set(p.points))
        while True:
            monday = first_monday + timedelta(weeks=w)
            if monday > end_d:
                return
            for weekday in days:
                d = monday + timedelta(days=weekday)
                if d < lower:
                    continue
                if d > end_d:
                    return
                if (moment := within(d)) is not None:
                    yield moment
            w += p.frequency

    # month: every frequency-th month counted from the month of the start, skipping dates
    # the month lacks (no 31 in April, no 30 in February).
    months = (lower.year - start_d.year) * 12 + lower.month - start_d.month
    m = -(-months // p.frequency) * p.frequency
    days = sorted(set(p.points))
    while True:
        year, month0 = divmod(start_d.month - 1 + m, 12)
        year += start_d.year
        if year > end_d.year or (year == end_d.year and month0 + 1 > end_d.month):
            return
        length = calendar.monthrange(year, month0 + 1)[1]
        for day in days:
            if day > length:
                continue
            d = date(year, month0 + 1, day)
            if d < lower:
                continue
            if d > end_d:
                return
            if (moment := within(d)) is not None:
                yield moment
        m += p.frequency
