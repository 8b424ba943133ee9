"""Words: counts and triggers as a person says them.

`plural` counts a noun (`1 file`, `2 files`): no `file(s)` in what people read.
`describe_trigger` is the one place a trigger becomes a sentence — the plan's
card, the calendar's tooltip and its iCalendar description all read it:

    every Mon and Thu at 09:00 Asia/Singapore, 2026-11-22 to 2027-11-21
    daily at 19:30 on each device's clock, 2026-11-22 to 2099-12-31
    every 2 weeks on Fri at 10:00 UTC (server zone assumed), 2026-11-22 to 2027-05-23
    monthly on the 31st (months without one are skipped) at 08:00 UTC, …
    once on Mon 2026-12-21 at 10:00 UTC

The zone is said once, the way the trigger fires: the site zone's name
(zone_type 1), "on each device's clock" (2), or the site zone with "server zone
assumed" when the file has no zone_type (the server's zone applies; the tool
reads it as the site zone). A month date some months lack is skipped in those
months, as the API documents ("will not trigger on invalid dates") and the
emulator does: the words say so.
"""

from __future__ import annotations

from datetime import datetime, time

from reconciler.core.model import WEEKDAYS, Intelligent, Periodical, Single, Trigger
from reconciler.core.timing import parse_datetime, parse_time

__all__ = ["describe_trigger", "ordinal", "plural", "weekdays"]

#: Month dates not every month has: the 29th (February, most years), 30th and 31st.
_SHORT_MONTHS_LACK = 29
#: Weekly runs that have a name of their own.
_WHOLE_RUNS = {"Mon to Sun": "day (Mon to Sun)", "Mon to Fri": "weekday (Mon to Fri)"}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 file`, `0 files`, `2 copies` (`nouns` when the plural is not `noun + s`)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def _joined(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def ordinal(number: int) -> str:
    """`1st`, `2nd`, `3rd`, `11th`, `22nd`, `31st`."""
    if 11 <= number % 100 <= 13:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def weekdays(points: tuple[str, ...]) -> str:
    """`Mon and Thu`; a run of three or more days reads `Mon to Fri`."""
    numbers = sorted({WEEKDAYS.index(p) for p in points if p in WEEKDAYS})
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts: list[str] = []
    for run in runs:
        names = [WEEKDAYS[n].title() for n in run]
        parts += [f"{names[0]} to {names[-1]}"] if len(run) >= 3 else names
    unknown = [p for p in points if p not in WEEKDAYS]  # never valid; shown as written
    return _joined(parts + unknown)


def _clock(at: time) -> str:
    return at.strftime("%H:%M:%S" if at.second else "%H:%M")


def _moment(at: datetime) -> str:
    """`2026-11-22`, or `2026-11-22 08:30` when the time of day is not midnight."""
    return f"{at:%Y-%m-%d}" if at.time() == time() else f"{at:%Y-%m-%d} {_clock(at.time())}"


def _zone(zone_type: int | None, site_timezone: str) -> str:
    if zone_type == 2:
        return "on each device's clock"
    if zone_type is None:
        return f"{site_timezone} (server zone assumed)"
    return site_timezone


def _days_of_month(points: tuple[str, ...]) -> str:
    numbers = sorted({int(p) for p in points if p.isascii() and p.isdigit()})
    unknown = [p for p in points if not (p.isascii() and p.isdigit())]
    said = "the " + _joined([ordinal(n) for n in numbers] + unknown)
    late = [n for n in numbers if n >= _SHORT_MONTHS_LACK]
    if not late:
        return said
    if len(numbers) == 1:
        return f"{said} (months without one are skipped)"
    if len(late) == 1:
        return f"{said} (the {ordinal(late[0])} only in months that have one)"
    return f"{said} (each only in months that have it)"


def _every(unit: str, frequency: int | None) -> str:
    """`daily`, `every 3 days`, `every 2 weeks on`, `monthly on`…; the days follow."""
    n = frequency or 1
    if unit == "day":
        return "daily" if n == 1 else f"every {n} days"
    if unit == "week":
        return "every" if n == 1 else f"every {n} weeks on"
    return "monthly on" if n == 1 else f"every {n} months on"


def _periodical(p: Periodical, site_timezone: str) -> str:
    at = f"at {_clock(parse_time(p.time))} {_zone(p.zone_type, site_timezone)}"
    window = f"{_moment(parse_datetime(p.start))} to {_moment(parse_datetime(p.end))}"
    if p.time_unit == "day":
        return f"{_every('day', p.frequency)} {at}, {window}"
    if not p.point:
        return f"on no day ({p.time_unit} with an empty point: it never fires), {window}"
    if p.time_unit == "week":
        days = weekdays(p.point)
        if (p.frequency or 1) == 1 and days in _WHOLE_RUNS:
            return f"every {_WHOLE_RUNS[days]} {at}, {window}"
    else:
        days = _days_of_month(p.point)
    return f"{_every(p.time_unit, p.frequency)} {days} {at}, {window}"


def describe_trigger(trigger: Trigger, site_timezone: str) -> str:
    """The trigger in words: when it fires, on whose clock, within which window.

    `site_timezone` names the app's main-site zone (zone_type 1, and an absent
    zone_type). The trigger is canonical (reconciler.core.model); its times are
    assumed valid, as the validator has checked them.
    """
    if isinstance(trigger, Single):
        at = parse_datetime(trigger.time)
        when = f"{WEEKDAYS[at.weekday()].title()} {at:%Y-%m-%d}"
        return f"once on {when} at {_clock(at.time())} {_zone(trigger.zone_type, site_timezone)}"
    if isinstance(trigger, Intelligent):
        at = parse_datetime(trigger.backup_time)
        when = f"{WEEKDAYS[at.weekday()].title()} {at:%Y-%m-%d} at {_clock(at.time())}"
        return (
            "once, at each user's most active time (intelligent delivery); "
            f"users without activity data on {when} {site_timezone}"
        )
    return _periodical(trigger, site_timezone)
