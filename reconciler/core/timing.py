"""Timing: the API's time formats, the zones a trigger fires in, expiry, next fire times.

zone_type 1 (and an absent zone_type, where the server's zone applies) reads
times in the app's main-site zone (`site_timezone`). zone_type 2 fires in each
device's own zone, so it is only over once the last zone on Earth (UTC-12) has
passed the time; it is shown as "device-local".
"""

from __future__ import annotations

import os
import re
from calendar import monthrange
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.core.model import WEEKDAYS, Intelligent, Periodical, Single, Trigger

__all__ = [
    "DATETIME_FORMAT",
    "FIRST_ZONE",
    "LAST_ZONE",
    "ONE_YEAR",
    "describe_zone",
    "expiry_zone",
    "first_run",
    "format_runs",
    "is_expired",
    "last_moment",
    "next_runs",
    "now_from_env",
    "parse_datetime",
    "parse_time",
    "wall_times",
    "zone",
]

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# re.ASCII: \d would otherwise take any Unicode digit ("２０２６"), which the API does not.
_DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})", re.ASCII)
_TIME_RE = re.compile(r"(\d{2}):(\d{2}):(\d{2})", re.ASCII)
LAST_ZONE = timezone(timedelta(hours=-12), "UTC-12")
FIRST_ZONE = timezone(timedelta(hours=14), "UTC+14")
ONE_YEAR = timedelta(days=366)
# Bounds the work on absurd inputs: ten years of days. A window is meant to
# span at most a year (longer is a warning), so only a schedule both longer
# than ten years and sparser than three runs in them (month "31" every 100
# months) shows fewer than three next runs.
_MAX_DAYS_SCANNED = 366 * 10


def parse_datetime(text: str) -> datetime:
    """`yyyy-MM-dd HH:mm:ss`, exactly and real; naive. Raises ValueError saying why."""
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f'{text!r} is not yyyy-MM-dd HH:mm:ss (e.g. "2026-12-24 18:00:00")')
    try:
        # The constructor checks reality (no 2024-02-30, no 25:00:00) at a
        # fraction of strptime's cost; naive on purpose: the zone depends on zone_type.
        year, month, day, hour, minute, second = map(int, match.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date and time") from None


def parse_time(text: str) -> time:
    """`HH:mm:ss`, exactly and real (24-hour clock)."""
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f'{text!r} is not HH:mm:ss (e.g. "12:00:00")')
    try:
        hour, minute, second = map(int, match.groups())
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f"{text!r} is not a real time of day") from None


def zone(name: str) -> tzinfo:
    """An IANA zone by name; ValueError naming it if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Singapore)"
        ) from None


def now_from_env(environ: dict[str, str] | None = None) -> datetime:
    """RECONCILER_NOW (ISO 8601 with offset) if set, else the wall clock; always aware."""
    value = (environ if environ is not None else dict(os.environ)).get("RECONCILER_NOW")
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"RECONCILER_NOW={value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ValueError(
            f"RECONCILER_NOW={value!r} needs an offset, e.g. 2026-01-01T00:00:00+00:00"
        )
    return parsed


def expiry_zone(zone_type: int | None, site: tzinfo) -> tzinfo:
    """The zone whose clock decides when a time has passed everywhere it fires."""
    return LAST_ZONE if zone_type == 2 else site


def _local(text: str, zone_type: int | None, site: tzinfo) -> datetime:
    return parse_datetime(text).replace(tzinfo=expiry_zone(zone_type, site))


def last_moment(trigger: Trigger, site: tzinfo) -> datetime:
    """The instant after which the trigger can never fire again."""
    if isinstance(trigger, Single):
        return _local(trigger.time, trigger.zone_type, site)
    if isinstance(trigger, Periodical):
        return _local(trigger.end, trigger.zone_type, site)
    return _local(trigger.backup_time, None, site)


def is_expired(trigger: Trigger, now: datetime, site: tzinfo) -> bool:
    """True once the trigger's last moment has passed (the server drops it then)."""
    return last_moment(trigger, site) <= now


def _periodical_days(p: Periodical, first: date, last: date) -> Iterator[date]:
    """The days in [first, last] on which `p` fires, ascending: every `frequency`-th day,
    week (Monday..Sunday) or month counted from the start's, on its points; at most
    `_MAX_DAYS_SCANNED` days from `first` are looked at."""
    try:
        last = min(last, first + timedelta(days=_MAX_DAYS_SCANNED - 1))
        yield from _unit_days(p, first, last)
    except OverflowError:
        return  # stepping past year 9999: nothing later fires


def _unit_days(p: Periodical, first: date, last: date) -> Iterator[date]:
    start = parse_datetime(p.start).date()
    frequency = p.frequency or 1
    if p.time_unit == "day":
        day = first + timedelta(days=-(first - start).days % frequency)
        while day <= last:
            yield day
            day += timedelta(days=frequency)
        return
    if p.time_unit == "week":
        offsets = sorted({WEEKDAYS.index(point) for point in p.point if point in WEEKDAYS})
        start_monday = start - timedelta(days=start.weekday())
        monday = first - timedelta(days=first.weekday())
        while monday <= last:
            if (monday - start_monday).days // 7 % frequency == 0:
                for offset in offsets:
                    day = monday + timedelta(days=offset)
                    if first <= day <= last:
                        yield day
            monday += timedelta(weeks=1)
        return
    numbers = sorted({int(d) for d in p.point if len(d) == 2 and d.isascii() and d.isdigit()})
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if ((year - start.year) * 12 + month - start.month) % frequency == 0:
            # A date a month lacks (31 in April) is simply never reached.
            length = monthrange(year, month)[1]
            for number in numbers:
                if number <= length and first <= (on := date(year, month, number)) <= last:
                    yield on
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def first_run(p: Periodical) -> datetime | None:
    """The first fire time within the window, or None if the window holds none."""
    start, end = parse_datetime(p.start), parse_datetime(p.end)
    at_time = parse_time(p.time)
    for day in _periodical_days(p, start.date(), end.date()):
        candidate = datetime.combine(day, at_time)
        if start <= candidate <= end:
            return candidate
    return None


def next_runs(trigger: Trigger, now: datetime, site: tzinfo, count: int = 3) -> list[datetime]:
    """The next `count` fire times after `now`, as naive wall times of the zone it fires in."""
    zone_type = trigger.zone_type
    tz = expiry_zone(zone_type, site)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    if isinstance(trigger, Single | Intelligent):
        at = parse_datetime(trigger.time if isinstance(trigger, Single) else trigger.backup_time)
        return [at] if at > local_now else []
    start, end = parse_datetime(trigger.start), parse_datetime(trigger.end)
    at_time = parse_time(trigger.time)
    runs: list[datetime] = []
    first = max(start, local_now).date()
    for day in _periodical_days(trigger, first, end.date()):
        candidate = datetime.combine(day, at_time)
        if start <= candidate <= end and candidate > local_now:
            runs.append(candidate)
            if len(runs) == count:
                break
    return runs


def wall_times(trigger: Trigger, first: datetime, last: datetime) -> list[datetime]:
    """Every wall time the trigger fires at in [first, last), ascending (naive, like `first`).

    The wall clock is the one the trigger fires by (the site zone, or each
    device's); single fires at its time, intelligent at its backup_time,
    periodical on each day `_periodical_days` yields, within start..end
    inclusive (the rules `next_runs` follows).
    """
    if isinstance(trigger, Single | Intelligent):
        at = parse_datetime(trigger.time if isinstance(trigger, Single) else trigger.backup_time)
        return [at] if first <= at < last else []
    start, end = parse_datetime(trigger.start), parse_datetime(trigger.end)
    lower, upper = max(start, first), min(end, last)
    at_time = parse_time(trigger.time)
    runs: list[datetime] = []
    for day in _periodical_days(trigger, lower.date(), upper.date()):
        candidate = datetime.combine(day, at_time)
        if lower <= candidate <= end and candidate < last:
            runs.append(candidate)
    return runs


def describe_zone(zone_type: int | None, site_name: str) -> str:
    if zone_type == 2:
        return "device-local"
    if zone_type is None:
        return f"{site_name}, server zone assumed"
    return site_name


def format_runs(
    trigger: Trigger, now: datetime, site: tzinfo, site_name: str, count: int = 3
) -> list[str]:
    """Next fire times as text, each with the zone it fires in (`site` is `site_name`'s zone)."""
    # Intelligent delivery has no zone_type: it is read in the main site's zone.
    label = (
        site_name
        if isinstance(trigger, Intelligent)
        else describe_zone(trigger.zone_type, site_name)
    )
    return [
        f"{at.strftime(DATETIME_FORMAT)} {label}" for at in next_runs(trigger, now, site, count)
    ]
