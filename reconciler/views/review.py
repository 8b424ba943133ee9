"""Review: the calendar section of the pull-request comment.

For each schedule the plan changes, a day grid of when it fires over the next
14 days before the change (the remote object) and after it (the desired
one), and the policy warnings about those schedules: what a reviewer reads at
a glance before approving. It is drawn from the plan alone (the changes'
bodies and the clock the plan was made with), so the markdown renderer stays
a function of the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reconciler.core.fires import trigger_fires
from reconciler.core.model import WEEKDAYS, trigger_from_json
from reconciler.core.words import plural
from reconciler.plan.changes import Change, Clock, Plan
from reconciler.views.markdown import code, text

__all__ = ["REVIEW_DAYS", "Days", "review_section"]

REVIEW_DAYS = 14
# A withdrawn parked copy never fired and never will: it has no row.
_CHANGED = ("create", "update", "replace", "delete", "complete")
_SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "complete": "(+)"}
# Cells: the times a schedule fires on each day; None when its trigger cannot be read.
Days = dict[date, list[str]]


def _window(clock: Clock) -> tuple[datetime, datetime]:
    start = clock.now.astimezone(clock.site_zone)
    return start, (clock.now.astimezone(UTC) + timedelta(days=REVIEW_DAYS)).astimezone(
        clock.site_zone
    )


def _days(body: Mapping[str, Any] | None, clock: Clock) -> Days | None:
    if body is None or not body.get("enabled", True):
        return {}  # absent on that side, or disabled: it never fires
    start, end = _window(clock)
    try:
        trigger = trigger_from_json(body["trigger"])
        fires = trigger_fires(trigger, start, end, clock.site_zone)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a remote shape we cannot read (intelligent "now", a foreign trigger)
    found: Days = {}
    for wall, zone_type, _ in fires:
        text = wall.strftime("%H:%M")
        found.setdefault(wall.date(), []).append(f"*{text}*" if zone_type == 2 else text)
    return found


def _row(label: str, days: Days | None, dates: list[date]) -> str:
    if days is None:
        cells = ["?"] * len(dates)
    else:
        cells = ["<br>".join(days.get(day, [])) for day in dates]
    return f"| {label} | " + " | ".join(cells) + " |"


def _rows(change: Change, clock: Clock, dates: list[date], flagged: bool) -> list[str]:
    title = f"`{_SYMBOL[change.action]}` {code(change.name, cell=True)}"
    flag = " ⚠" if flagged else ""  # the warnings are about the desired side
    # A completed create is new: its parked copy's times are not pushes.
    new = change.action in ("create", "complete")
    before = _days(change.before, clock) if not new else None
    after = _days(change.after, clock) if change.action != "delete" else None
    if new:
        return [_row(f"{title} new{flag}", after, dates)]
    if change.action == "delete":
        return [_row(f"{title} deleted; was", before, dates)]
    if before == after:
        return [_row(f"{title} same times{flag}", after, dates)]
    return [_row(f"{title} before", before, dates), _row(f"after{flag}", after, dates)]


def _policy_warnings(plan: Plan, names: set[str]) -> list[str]:
    return [
        w
        for w in plan.warnings
        if ": warning: policy " in w and any(w.endswith(f"(schedule {n})") for n in names)
    ]


def review_section(plan: Plan, room: int) -> str:
    """The collapsed calendar section, in at most `room` characters ("" when none fits)."""
    clock = plan.clock
    # A withheld change (Plan.withhold) shows no times either: they are its content.
    changed = [c for c in plan.changes if c.action in _CHANGED and not c.withheld]
    if clock is None or not changed:
        return ""
    start, end = _window(clock)
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    warnings = _policy_warnings(plan, {c.name for c in changed})
    flagged = {w.rsplit("(schedule ", 1)[1][:-1] for w in warnings}
    head = [
        f"<details><summary>Calendar: when the {plural(len(changed), 'changed schedule')} "
        f"{'fires' if len(changed) == 1 else 'fire'}, "
        f"next {REVIEW_DAYS} days ({clock.site_timezone})</summary>",
        "",
        f"Times in {clock.site_timezone}; *italic*: device-local (zone_type 2), "
        "at that time on each device's own clock; ⚠: see the policy warnings below.",
        "",
        "| schedule | "
        + " | ".join(f"{WEEKDAYS[d.weekday()].title()}<br>{d:%m-%d}" for d in dates)
        + " |",
        "|---|" + ":-:|" * len(dates),
    ]
    tail = ["", "</details>", ""]
    used = sum(len(line) + 1 for line in head + tail) + 200  # 200: a note on what did not fit
    if used > room:
        return ""
    body: list[str] = []
    for index, change in enumerate(changed):
        rows = _rows(change, clock, dates, change.name in flagged)
        size = sum(len(row) + 1 for row in rows)
        if used + size > room:
            more = plural(len(changed) - index, "more changed schedule")
            body += ["", f"_… {more} not shown._"]
            break
        body += rows
        used += size
    notes: list[str] = []
    for index, warning in enumerate(warnings):
        line = f"- {text(warning)}"
        if used + len(line) + 1 > room:
            notes.append(f"- … {plural(len(warnings) - index, 'more policy warning')}")
            break
        notes.append(line)
        used += len(line) + 1
    if notes:
        notes = ["", "Policy warnings about these schedules:", "", *notes]
    return "\n".join(head + body + notes + tail)
