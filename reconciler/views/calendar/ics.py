"""The calendar as iCalendar (RFC 5545): it imports into Google Calendar or Outlook."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from reconciler.core.fires import Fire
from reconciler.views.calendar.model import Calendar, card_lines, clock_text
from reconciler.views.card import Card

__all__ = ["EVENT_MINUTES", "render_ics"]

# How long a push occupies in a calendar application: a push is an instant,
# but a zero-length event is hard to see (and some applications widen it to an hour).
EVENT_MINUTES = 15
_UTC_NAMES = ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu")


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
    cards = calendar.cards()
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
        event.add("description", _ics_description(calendar, fire, cards[name]))
        ical.add_component(event)
    if not utc:
        # Only the transitions around the window: a VTIMEZONE for 1970..2038 is kilobytes.
        first = calendar.start.date() - timedelta(days=366)
        ical.add_missing_timezones(first, calendar.end.date() + timedelta(days=366))
    text: bytes = ical.to_ical()
    return text.decode("utf-8")


def _ics_description(calendar: Calendar, fire: Fire, card: Card) -> str:
    """The event's text: the zone it fires by, the card (who, what, when), the local times."""
    source = fire.schedule.source
    lines = [
        f"zone_type {fire.zone_type}: "
        + (
            "device-local, at this time on each device's own clock"
            if fire.zone_type == 2
            else f"{clock_text(fire.wall)} {calendar.site_timezone}"
        ),
        *card_lines(card),
    ]
    lines += [f"= {local}" for local in calendar.local_times(fire)]
    if source:
        lines.append(f"from {source}")
    return "\n".join(lines)
