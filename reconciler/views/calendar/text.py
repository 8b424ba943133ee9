"""The calendar as text (a terminal), markdown (a comment or a wiki) and JSON (a script)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from reconciler.core.audience import describe
from reconciler.core.fires import Fire
from reconciler.core.model import WEEKDAYS
from reconciler.core.words import plural
from reconciler.policy.violation import Violation
from reconciler.views.calendar.model import Calendar, clock_text
from reconciler.views.markdown import code
from reconciler.views.markdown import text as inline
from reconciler.views.width import clip, pad, width

__all__ = ["TEXT_CELLS", "fire_data", "render_json", "render_markdown", "render_text"]

#: The widest a column of names or audiences grows, in terminal cells (a longer one overflows).
_COLUMN_CELLS = 40
#: The cells of the text column: a push's text beyond them is cut, with "…".
TEXT_CELLS = 48


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


def _flags(violations: list[Violation]) -> str:
    return ", ".join(f"{v.rule} ({v.level})" for v in violations)


def _heading(calendar: Calendar) -> str:
    return (
        f"{calendar.start:%Y-%m-%d %H:%M} to {calendar.end:%Y-%m-%d %H:%M} "
        f"({calendar.site_timezone}): {plural(len(calendar.fires), 'fire')}"
    )


def _column(texts: Iterator[str]) -> int:
    return min(_COLUMN_CELLS, max((width(t) for t in texts), default=0))


def render_text(calendar: Calendar) -> str:
    """One block per day: time, zone, schedule, audience, the push's text, and the policies
    it breaks; columns aligned by display width (a CJK name takes two cells a character)."""
    marks, cards = calendar.marks(), calendar.cards()
    lines = [
        f"push calendar for target {calendar.target}: {_heading(calendar)}",
        f"zone_type 1 times are in {calendar.site_timezone}; device-local (zone_type 2) "
        "fires at that time on each device's own clock",
    ]
    zone_width = max(len(calendar.site_timezone), len("device-local"))
    name_width = _column(f.schedule.name for f in calendar.fires)
    audience_width = _column(c.audience for c in cards.values())
    text_width = min(TEXT_CELLS, _column(c.text for c in cards.values()))
    for day, fires in _days(calendar):
        lines += ["", day]
        for fire in fires:
            flags = _flags(marks.get((fire.schedule.name, fire.wall), []))
            card = cards[fire.schedule.name]
            line = (
                f"  {clock_text(fire.wall):<5}  {calendar.zone_label(fire):<{zone_width}}  "
                f"{pad(fire.schedule.name, name_width)}  {pad(card.audience, audience_width)}  "
                f"{pad(clip(card.text, TEXT_CELLS), text_width)}"
            )
            lines.append((line + (f"  ! policy {flags}" if flags else "")).rstrip())
    return "\n".join(lines) + "\n"


def render_markdown(calendar: Calendar) -> str:
    """A table by day: the day on its first row, then time, zone, schedule, audience, the
    push's text, policy."""
    marks = calendar.marks()
    lines = [
        f"### Push calendar for {code(calendar.target)}",
        "",
        f"{_heading(calendar)}. zone_type 1 times are in {calendar.site_timezone}; "
        "*device-local* (zone_type 2) fires at that time on each device's own clock.",
        "",
        "| day | time | zone | schedule | audience | text | policy |",
        "|---|---|---|---|---|---|---|",
    ]
    cards = calendar.cards()
    for day, fires in _days(calendar):
        for position, fire in enumerate(fires):
            flags = _flags(marks.get((fire.schedule.name, fire.wall), []))
            zone = calendar.zone_label(fire)
            lines.append(
                f"| {f'**{day}**' if position == 0 else ''} | {clock_text(fire.wall)} "
                f"| {'*' + zone + '*' if fire.zone_type == 2 else zone} "
                f"| {code(fire.schedule.name, cell=True)} | {inline(describe(fire.schedule.push.get('to')))} "
                f"| {inline(cards[fire.schedule.name].text)} | {'⚠ ' + inline(flags) if flags else ''} |"
            )
    return "\n".join(lines) + "\n"
