"""The window health looks back over: `--since DURATION`, parsed and bounded.

A DURATION is a whole number of days, hours or minutes, or a sum of them in
that order: `7d`, `36h`, `90m`, `1d12h`. Neither click nor a dependency of ours
parses this: click has no duration type, python-dateutil has `relativedelta`
but no parser for it, and icalendar's `vDuration` reads RFC 5545 (`P7D`), a
spelling nobody types in a terminal. So this is the one small parser.

The bound: the API documents no retention for msg-ids (a schedule's runs are
answered whole, with no time filter). What it does say is that expired
schedules leave the listing, so the further back a window reaches, the more
of its schedules have left the list and can be read by id only. `MAX_SINCE`
(31 days) keeps the question to what the listing answers, a month; it is a
choice, stated in docs/health.md, not a documented limit.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DEFAULT_SINCE", "MAX_SINCE", "parse_duration", "shown"]

DEFAULT_SINCE = timedelta(days=7)
MAX_SINCE = timedelta(days=31)
_DURATION = re.compile(r"(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?", re.ASCII)


def parse_duration(text: str) -> timedelta:
    """`7d`, `36h`, `90m`, `1d12h`: a positive duration of at most MAX_SINCE (ValueError)."""
    spelled = text.strip().lower()
    match = _DURATION.fullmatch(spelled)
    if not spelled or match is None:
        raise ValueError(f"{text!r} is not a duration such as 7d, 36h or 90m")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError(f"{text!r} is no time at all: give a positive duration such as 7d")
    if duration > MAX_SINCE:
        raise ValueError(
            f"{text!r} reaches further back than {shown(MAX_SINCE)}, the most health reads "
            "(expired schedules leave the app's list)"
        )
    return duration


def shown(duration: timedelta) -> str:
    """A duration as this module reads it: `7d`, `36h`, `1d12h`, `90m`."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)
    return text or "0m"
