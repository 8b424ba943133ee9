"""The calendar's value: the desired schedules' fires over a window, and the policies they break.

The window is [now, now + days) on the site zone's clock. zone_type 1 fires
are instants, shown in the site zone; zone_type 2 fires are device-local wall
times (each device fires at that time on its own clock), in the window when
the site zone's clock is. The policies are checked over the same window, so
every fire shown carries the violations it takes part in. Each renderer (text,
ics, html) is a function of the `Calendar` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from reconciler.core.fires import Fire, window_fires
from reconciler.core.model import WEEKDAYS
from reconciler.desired.read import read_desired
from reconciler.policy.evaluation import evaluate
from reconciler.policy.settings import Policies
from reconciler.policy.violation import Violation
from reconciler.views.card import Card, card_of

if TYPE_CHECKING:
    from reconciler.config.targets import Target

__all__ = ["Calendar", "build", "card_lines", "clock_text"]


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

    def cards(self) -> dict[str, Card]:
        """The card of each schedule that fires (its who, what and when), by name."""
        found: dict[str, Card] = {}
        for fire in self.fires:
            if fire.schedule.name not in found:
                body = fire.schedule.body()
                found[fire.schedule.name] = card_of(body, self.site_timezone, self.site_zone, None)
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


def clock_text(wall: datetime) -> str:
    """`09:30`, or `09:30:15` when the seconds are not zero."""
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def card_lines(card: Card) -> list[str]:
    """The card as a tooltip's or an event's lines: `audience: …`, `content: …`, `when: …`."""
    lines = [f"audience: {card.audience}"]
    lines += [f"content: {line}" for line in card.content]
    return [*lines, f"when: {card.when}"]
