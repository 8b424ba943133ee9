"""Calendar as one self-contained HTML page: a month grid a marketer reads at a glance.

Every month the window touches is a Monday-to-Sunday grid; each day lists its
pushes as chips coloured by audience (a legend names the colours), with the
name, time and zone (and the local time in each audience zone) on hover, and
the fires that break a policy outlined in red with a warning sign. Below the
grid, every finding is listed in full. No script, font, stylesheet or image
is fetched: the page works offline, from a CI artifact or an e-mail.
"""

from __future__ import annotations

import calendar as month_calendar
from collections import Counter
from datetime import date, timedelta
from html import escape

from reconciler.core.audience import describe
from reconciler.core.fires import Fire
from reconciler.core.words import plural
from reconciler.policy.violation import Violation
from reconciler.views.calendar.model import Calendar, card_lines, clock_text
from reconciler.views.card import Card

__all__ = ["PALETTE", "render_html"]

# Pastel backgrounds for dark text, distinct in hue; audiences beyond them reuse them.
PALETTE = (
    "#cfe3ff",
    "#ffe0b3",
    "#d4f5d0",
    "#f9d0e8",
    "#e4d7ff",
    "#fff3a8",
    "#c9f1f4",
    "#ffd6cc",
    "#e0ecc4",
    "#f0d9c0",
    "#d9dce8",
    "#f5c7c7",
)
SHOWN_PER_DAY = 6  # more pushes on one day fold into a <details>

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2430}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555;margin:0 0 12px}
.legend{list-style:none;padding:0;margin:0 0 8px;display:flex;flex-wrap:wrap;gap:6px 14px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:14px;border-radius:3px;border:1px solid #0002}
table.month{border-collapse:collapse;table-layout:fixed;width:100%}
.month th{font-weight:600;color:#555;padding:4px;text-align:left}
.month td{border:1px solid #d8dde6;vertical-align:top;height:92px;padding:4px;width:14.28%}
.month td.pad{background:#fafafa;border-color:#eee}
.month td.out{background:#f3f4f6;color:#999}
.date{font-weight:600;font-size:12px;display:flex;justify-content:space-between}
.count{color:#555;font-weight:400}
ul.pushes{list-style:none;margin:2px 0 0;padding:0}
.push{position:relative;display:flex;margin:2px 0;padding:1px 4px;border-radius:4px;
font-size:12px;white-space:nowrap;cursor:default}
.push time{font-variant-numeric:tabular-nums;margin-right:4px;flex:none}
.push .name{min-width:0;overflow:hidden;text-overflow:ellipsis}
.push.local time{font-style:italic}
.push.bad{outline:2px solid #c62828;outline-offset:-1px}
.push.bad::before{content:"\\26A0\\FE0E";margin-right:3px;color:#c62828;font-weight:700}
.push.warn{outline:2px dashed #e08a00;outline-offset:-1px}
.push.warn::before{content:"\\26A0\\FE0E";margin-right:3px;color:#b36b00;font-weight:700}
.tip{display:none;position:absolute;z-index:2;left:0;top:100%;min-width:260px;white-space:pre-line;
background:#1d2430;color:#fff;padding:6px 8px;border-radius:6px;font-size:12px;box-shadow:0 2px 8px #0004}
.push:hover .tip,.push:focus .tip{display:block}
details summary{cursor:pointer;color:#555;font-size:12px}
.findings li{margin:4px 0}.error{color:#c62828}.warning{color:#b36b00}
"""


def _colours(calendar: Calendar) -> dict[str, int]:
    labels = sorted(
        {describe(f.schedule.push.get("to")) for f in calendar.fires},
        key=lambda label: (label != "all", label),
    )
    return {label: index % len(PALETTE) for index, label in enumerate(labels)}


def _tip(calendar: Calendar, fire: Fire, card: Card, violations: list[Violation]) -> str:
    lines = [
        fire.schedule.name,
        f"{fire.wall:%a %Y-%m-%d} {clock_text(fire.wall)} {calendar.zone_label(fire)} "
        f"(zone_type {fire.zone_type})",
    ]
    if fire.zone_type == 2:
        lines.append("at this time on each device's own clock")
    lines += [f"= {local}" for local in calendar.local_times(fire)]
    lines += card_lines(card)
    lines += [
        f"⚠ this push breaks {v.rule} ({v.level}); the first time: {v.message}" for v in violations
    ]
    return "\n".join(lines)


def _chip(
    calendar: Calendar, fire: Fire, card: Card, colour: int, violations: list[Violation]
) -> str:
    classes = ["push", f"a{colour}"]
    if fire.zone_type == 2:
        classes.append("local")
    if violations:
        classes.append("bad" if any(v.level == "error" for v in violations) else "warn")
    return (
        f'<li class="{" ".join(classes)}" tabindex="0" data-name="{escape(fire.schedule.name)}" '
        f'data-at="{escape(fire.at)}" data-zone-type="{fire.zone_type}">'
        f'<time>{clock_text(fire.wall)}</time><span class="name">{escape(fire.schedule.name)}</span>'
        f'<span class="tip">{escape(_tip(calendar, fire, card, violations))}</span></li>'
    )


def _day(calendar: Calendar, day: date, chips: list[str], inside: bool) -> str:
    if not inside:
        return f'<td class="out"><div class="date">{day.day}</div></td>'
    count = f'<span class="count">{plural(len(chips), "push", "pushes")}</span>' if chips else ""
    shown = "".join(chips[:SHOWN_PER_DAY])
    rest = chips[SHOWN_PER_DAY:]
    folded = (
        f'<details><summary>{len(rest)} more</summary><ul class="pushes">{"".join(rest)}</ul>'
        "</details>"
        if rest
        else ""
    )
    return (
        f'<td><div class="date"><span>{day.day}</span>{count}</div>'
        f'<ul class="pushes">{shown}</ul>{folded}</td>'
    )


def _months(calendar: Calendar, chips: dict[date, list[str]]) -> list[str]:
    first, last = calendar.start.date(), (calendar.end - timedelta(microseconds=1)).date()
    out: list[str] = []
    year, month = first.year, first.month
    weeks = month_calendar.Calendar(firstweekday=0)
    while (year, month) <= (last.year, last.month):
        rows = []
        for week in weeks.monthdatescalendar(year, month):
            if week[-1] < first or week[0] > last:
                continue  # a week wholly outside the window
            cells = [
                '<td class="pad"></td>'
                if day.month != month
                else _day(calendar, day, chips.get(day, []), first <= day <= last)
                for day in week
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "".join(
            f"<th>{name}</th>" for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        )
        out.append(
            f"<h2>{month_calendar.month_name[month]} {year}</h2>"
            f'<table class="month"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def render_html(calendar: Calendar) -> str:
    """The page: heading, legend, one grid per month, then the findings."""
    colours = _colours(calendar)
    marks, cards = calendar.marks(), calendar.cards()
    chips: dict[date, list[str]] = {}
    audiences: Counter[str] = Counter()
    for fire in calendar.fires:
        label = describe(fire.schedule.push.get("to"))
        audiences[label] += 1
        violations = marks.get((fire.schedule.name, fire.wall), [])
        chips.setdefault(fire.wall.date(), []).append(
            _chip(calendar, fire, cards[fire.schedule.name], colours[label], violations)
        )
    css = STYLE + "".join(
        f".a{index}{{background:{colour}}}" for index, colour in enumerate(PALETTE)
    )
    legend = "".join(
        f'<li><span class="swatch a{colours[label]}"></span>{escape(label)} '
        f'<span class="count">({audiences[label]})</span></li>'
        for label in colours
    )
    findings = "".join(
        f'<li class="{v.level}">{escape(v.level)}: {escape(str(v))} '
        f"(schedule {escape(v.schedule.name)})</li>"
        for v in sorted(calendar.violations, key=lambda v: (v.schedule.name, v.rule))
    )
    title = f"Push calendar: {calendar.target}"
    meta = (
        f"{calendar.start:%Y-%m-%d %H:%M} to {calendar.end:%Y-%m-%d %H:%M} "
        f"({calendar.site_timezone}) · {plural(len(calendar.fires), 'push', 'pushes')} · "
        f"zone_type 1 times in "
        f"{calendar.site_timezone}; <i>italic</i> times are device-local (zone_type 2) · "
        f"audience zones: {escape(', '.join(name for name, _ in calendar.zones))}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{css}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="meta">{meta}</p>'
        f'<ul class="legend">{legend}</ul>'
        + "".join(_months(calendar, chips))
        + (
            f'<h2>Policy findings ({len(calendar.violations)})</h2><ul class="findings">{findings}</ul>'
            if findings
            else "<h2>Policy findings</h2><p>None.</p>"
        )
        + "</body></html>\n"
    )
