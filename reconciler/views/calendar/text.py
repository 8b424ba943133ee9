"""Calendar: the desired schedules' fires over a window, as text, markdown, JSON, iCalendar or HTML.

The window is [now, now + days) on the site zone's clock. zone_type 1 fires
are instants, shown in the site zone; zone_type 2 fires are device-local wall
times (each device fires at that time on its own clock), in the window when
the site zone's clock is. The policies are checked over the same window, so
every fire shown carries the violations it takes part in.

Each renderer is a function of the `Calendar` alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import groupby
from typing import TYPE_CHECKING, Any

from reconciler.core.audience import describe
from reconciler.core.fires import Fire, window_fires
from reconciler.core.model import WEEKDAYS
from reconciler.policy.evaluation import evaluate
from reconciler.policy.settings import Policies
from reconciler.policy.violation import Violation

if TYPE_CHECKING:
    from reconciler.config.load import Target

FORMATS = ("text", "markdown", "json", "ics", "html")
# How long a push occupies in a calendar application: a push is an instant,
# but a zero-length event is hard to see (and some applications widen it to an hour).
EVENT_MINUTES = 15
_UTC_NAMES = ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu")


@dataclass(frozen=True)
class Calendar:
    target: str
    start: datetime  # aware, in the site zone
    end: datetime
    now: datetime
    site_timezone: str
    site_zone: tzinfo
    zones: tuple[tuple[str, tzinfo], ...]  # the audience zones, for the local times on hover
    fires: tuple[Fire, ...]
    violations: tuple[Violation, ...]

    def marks(self) -> dict[tuple[str, datetime], list[Violation]]:
        """The violations each fire (schedule name, wall time) takes part in."""
        found: dict[tuple[str, datetime], list[Violation]] = {}
        for violation in self.violations:
            for wall in violation.walls:
                found.setdefault((violation.schedule.name, wall), []).append(violation)
        return found

    def zone_label(self, fire: Fire) -> str:
        return "device-local" if fire.zone_type == 2 else self.site_timezone

    def local_times(self, fire: Fire) -> list[str]:
        """`17:30 America/Los_Angeles (Sat)` for each audience zone other than the site's."""
        shown = []
        for name, tz in self.zones:
            if fire.instant is None or name == self.site_timezone:
                continue
            local = fire.instant.astimezone(tz)
            shown.append(f"{local:%H:%M} {name} ({WEEKDAYS[local.weekday()].title()})")
        return shown


def build(target: Target, now: datetime, days: int | None = None) -> Calendar:
    """The calendar of the target's desired schedules over [now, now + days).

    `days` defaults to the policies' horizon_days (30 unless set). Files with
    errors are refused like `plan` refuses them; policy findings are not
    errors here: they are what the calendar marks.
    """
    from reconciler.desired.validate import read_desired

    policies = target.policies
    span = days or policies.horizon_days
    # Validated without the policies (a violation is shown, not refused), then
    # the policies are checked over the calendar's own window.
    desired = read_desired(replace(target, policies=Policies()), now)
    schedules = desired.result.schedules
    site = target.site_zone
    start = now.astimezone(site)
    end = (now + timedelta(days=span)).astimezone(site)
    window = replace(policies, horizon_days=span)
    violations = evaluate(
        schedules, window, site, target.site_timezone, now, desired.loaded.documents
    )
    return Calendar(
        target=target.name,
        start=start,
        end=end,
        now=now,
        site_timezone=target.site_timezone,
        site_zone=site,
        zones=tuple(policies.zones(target.site_timezone, site)),
        fires=tuple(window_fires(schedules, start, end, site)),
        violations=tuple(violations),
    )


def render(calendar: Calendar, fmt: str) -> str:
    renderers: dict[str, Callable[[Calendar], str]] = {
        "text": render_text,
        "markdown": render_markdown,
        "json": render_json,
        "ics": render_ics,
    }
    if fmt == "html":
        from reconciler.views.calendar.html import render_html

        return render_html(calendar)
    return renderers[fmt](calendar)


def fire_data(fire: Fire) -> dict[str, Any]:
    source = fire.schedule.source
    return {
        "name": fire.schedule.name,
        "at": fire.at,
        "zone_type": fire.zone_type,
        "file": source.file if source else None,
        "line": source.line if source else None,
        "audience": fire.schedule.push.get("to"),
    }


def render_json(calendar: Calendar) -> str:
    """`{"from", "to", "fires": [{"name", "at", "zone_type", "file", "line", "audience"}]}`."""
    data = {
        "from": calendar.start.isoformat(),
        "to": calendar.end.isoformat(),
        "fires": [fire_data(f) for f in calendar.fires],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _days(calendar: Calendar) -> Iterator[tuple[str, list[Fire]]]:
    for day, fires in groupby(calendar.fires, key=lambda f: f.wall.date()):
        yield f"{WEEKDAYS[day.weekday()].title()} {day}", list(fires)


def clock_text(wall: datetime) -> str:
    """`09:30`, or `09:30:15` when the seconds are not zero."""
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def _flags(violations: list[Violation]) -> str:
    return ", ".join(f"{v.rule} ({v.level})" for v in violations)


def _heading(calendar: Calendar) -> str:
    return (
        f"{calendar.start:%Y-%m-%d %H:%M} to {calendar.end:%Y-%m-%d %H:%M} "
        f"({calendar.site_timezone}): {len(calendar.fires)} fire(s)"
    )


def render_text(calendar: Calendar) -> str:
    """One block per day: time, zone, schedule, audience, and the policies it breaks."""
    marks = calendar.marks()
    lines = [
        f"push calendar for target {calendar.target}: {_heading(calendar)}",
        f"zone_type 1 times are in {calendar.site_timezone}; device-local (zone_type 2) "
        "fires at that time on each device's own clock",
    ]
    zone_width = max(len(calendar.site_timezone), len("device-local"))
    name_width = min(40, max((len(f.schedule.name) for f in calendar.fires), default=0))
    for day, fires in _days(calendar):
        lines += ["", day]
        for fire in fires:
            flags = _flags(marks.get((fire.schedule.name, fire.wall), []))
            lines.append(
                f"  {clock_text(fire.wall):<5}  {calendar.zone_label(fire):<{zone_width}}  "
                f"{fire.schedule.name:<{name_width}}  {describe(fire.schedule.push.get('to'))}"
                + (f"  ! policy {flags}" if flags else "")
            )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(calendar: Calendar) -> str:
    """A table by day: the day on its first row, then time, zone, schedule, audience, policy."""
    marks = calendar.marks()
    lines = [
        f"### Push calendar for `{calendar.target}`",
        "",
        f"{_heading(calendar)}. zone_type 1 times are in {calendar.site_timezone}; "
        "*device-local* (zone_type 2) fires at that time on each device's own clock.",
        "",
        "| day | time | zone | schedule | audience | policy |",
        "|---|---|---|---|---|---|",
    ]
    for day, fires in _days(calendar):
        for position, fire in enumerate(fires):
            flags = _flags(marks.get((fire.schedule.name, fire.wall), []))
            zone = calendar.zone_label(fire)
            lines.append(
                f"| {f'**{day}**' if position == 0 else ''} | {clock_text(fire.wall)} "
                f"| {'*' + zone + '*' if fire.zone_type == 2 else zone} "
                f"| `{_md(fire.schedule.name)}` | {_md(describe(fire.schedule.push.get('to')))} "
                f"| {'⚠ ' + _md(flags) if flags else ''} |"
            )
    return "\n".join(lines) + "\n"


def render_ics(calendar: Calendar) -> str:
    """RFC 5545, one event per fire: zone_type 1 in the site zone (with its VTIMEZONE) or
    UTC, zone_type 2 as floating local time; SUMMARY is the schedule's name."""
    from icalendar import Calendar as ICalendar
    from icalendar import Event

    ical = ICalendar()
    ical.add("prodid", "-//reconciler//push calendar//EN")
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("x-wr-calname", f"Pushes of {calendar.target}")
    utc = calendar.site_timezone in _UTC_NAMES
    stamp = calendar.now.astimezone(UTC)
    length = timedelta(minutes=EVENT_MINUTES)
    for fire in calendar.fires:
        event = Event()
        name = fire.schedule.name
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
        event.add("uid", f"{digest}-{fire.wall:%Y%m%dT%H%M%S}@reconciler")
        event.add("dtstamp", stamp)
        event.add("summary", name)
        if fire.instant is None:
            begin: datetime = fire.wall  # floating: the device's own clock
            finish = fire.wall + length
        else:
            instant = fire.instant.astimezone(UTC)
            begin = instant if utc else instant.astimezone(calendar.site_zone)
            finish = (
                (instant + length) if utc else (instant + length).astimezone(calendar.site_zone)
            )
        event.add("dtstart", begin)
        event.add("dtend", finish)
        event.add("description", _ics_description(calendar, fire))
        ical.add_component(event)
    if not utc:
        # Only the transitions around the window: a VTIMEZONE for 1970..2038 is kilobytes.
        first = calendar.start.date() - timedelta(days=366)
        ical.add_missing_timezones(first, calendar.end.date() + timedelta(days=366))
    text: bytes = ical.to_ical()
    return text.decode("utf-8")


def _ics_description(calendar: Calendar, fire: Fire) -> str:
    source = fire.schedule.source
    lines = [
        f"zone_type {fire.zone_type}: "
        + (
            "device-local, at this time on each device's own clock"
            if fire.zone_type == 2
            else f"{clock_text(fire.wall)} {calendar.site_timezone}"
        ),
        f"audience: {describe(fire.schedule.push.get('to'))}",
    ]
    lines += [f"= {local}" for local in calendar.local_times(fire)]
    if source:
        lines.append(f"from {source}")
    return "\n".join(lines)
