"""The fire-time engine the timed rules share: every enabled schedule's fires, landed once
per audience zone, and the findings a rule collects over them.

Every enabled schedule's fires in the window are landed once per audience zone
(epoch seconds and local time); each timed rule (policy/rules/) then reads the
zones' rows: quiet hours the time of day, caps the local days or weeks, gaps
the instants. Nothing compares schedules or fires pairwise: the work grows
with the number of fires (times a logarithm), however many schedules share an
audience. Violations are attributed to a schedule only through its own fires;
for each schedule and rule the earliest offending fire (by instant; then by the
order of the zones) is described, and every offending fire's wall time is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from operator import itemgetter

from reconciler.core.audience import Audience, Overlap, audience_of, members
from reconciler.core.diagnostics import Severity
from reconciler.core.fires import Landing, walls_around, zone_type_of
from reconciler.core.model import WEEKDAYS, Intelligent, Schedule
from reconciler.core.words import plural
from reconciler.policy.violation import Violation, time_pointer

__all__ = [
    "SHOWN",
    "Engine",
    "Findings",
    "Landed",
    "Zone",
    "day_of",
    "monday_of",
    "times_of_day",
    "violations",
    "when",
]

# One fire of one schedule in one zone: (epoch seconds, local wall time, the
# schedule's own wall time, local day as an ordinal, second of the local day).
Landed = tuple[int, datetime, datetime, int, int]
SHOWN = 5  # other schedules named in one message


def when(local: datetime, zone_name: str) -> str:
    """`2026-11-23 06:00 (Mon) America/Los_Angeles`."""
    clock = "%H:%M:%S" if local.second else "%H:%M"
    return f"{local:%Y-%m-%d} {local.strftime(clock)} ({WEEKDAYS[local.weekday()].title()}) {zone_name}"


day_of = itemgetter(3)  # the local day of a fire, as an ordinal


def monday_of(fire: Landed) -> int:
    """The local week of a fire, as the ordinal of its Monday."""
    return fire[3] - (fire[3] - 1) % 7  # ordinal 1 (0001-01-01) is a Monday


def times_of_day(locals_: Sequence[datetime], weekly: bool) -> str:
    """`09:00, 12:00, 18:00, …` (with the weekday when `weekly`): the first three."""
    shown = [t.strftime("%a %H:%M" if weekly else "%H:%M") for t in locals_[:3]]
    return ", ".join(shown) + (", …" if len(locals_) > 3 else "")


@dataclass
class _Finding:
    epoch: int
    order: int
    describe: Callable[[], str]  # called once, for the earliest offending fire
    walls: set[datetime] = field(default_factory=set)


class Findings:
    """The earliest offending fire of each schedule for one rule, and all its offending walls."""

    def __init__(self) -> None:
        self.by_index: dict[int, _Finding] = {}

    def note(
        self, index: int, order: int, fires: Sequence[Landed], describe: Callable[[], str]
    ) -> None:
        """The offending fires of schedule `index` in the zone of `order`, ascending;
        `describe` tells of the first of them."""
        found = self.by_index.get(index)
        if found is None:
            self.by_index[index] = _Finding(fires[0][0], order, describe, {f[2] for f in fires})
            return
        found.walls.update(f[2] for f in fires)
        if (fires[0][0], order) < (found.epoch, found.order):
            found.epoch, found.order, found.describe = fires[0][0], order, describe


@dataclass
class Zone:
    name: str
    order: int
    fires: list[list[Landed]]  # per schedule, ascending by epoch


class Engine:
    """The enabled schedules' fires in [start, end), landed in each audience zone."""

    def __init__(
        self,
        schedules: Sequence[Schedule],
        zones: Sequence[tuple[str, tzinfo]],
        site: tzinfo,
        start: datetime,
        end: datetime,
    ) -> None:
        self.schedules = [s for s in schedules if s.enabled]
        low, high = int(start.timestamp()), int(end.timestamp())
        walls = [
            (walls_around(s.trigger, start, end), zone_type_of(s.trigger)) for s in self.schedules
        ]
        self.zones: list[Zone] = []
        for order, (name, tz) in enumerate(zones):
            land = Landing(site, tz).land
            rows: list[list[Landed]] = []
            for times, zone_type in walls:
                row = [f for f in (land(w, zone_type) for w in times) if low <= f[0] < high]
                row.sort()
                rows.append(row)
            self.zones.append(Zone(name, order, rows))
        self.audiences: list[Audience] = [audience_of(s.push.get("to")) for s in self.schedules]
        self.overlap = Overlap(self.audiences)

    def names(self, mask: int, detail: Callable[[int], str]) -> str:
        """The first few schedules of `mask`, each with a detail, and how many more."""
        shown = [f"{self.schedules[j].name} ({detail(j)})" for j in members(mask, SHOWN)]
        more = mask.bit_count() - SHOWN
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def violations(
    engine: Engine, rule: str, level: Severity, found: Findings, site_name: str
) -> list[Violation]:
    """One violation per schedule a timed rule found, at its trigger's time, counting the
    other offending fires and saying how a trigger without zone_type was read."""
    out: list[Violation] = []
    for index, finding in found.by_index.items():
        schedule = engine.schedules[index]
        message = finding.describe()
        if len(finding.walls) > 1:
            message += f" ({plural(len(finding.walls) - 1, 'more offending fire')})"
        if schedule.trigger.zone_type is None and not isinstance(schedule.trigger, Intelligent):
            message += f"; no zone_type: read as 1, the site zone {site_name}"
        out.append(
            Violation(
                rule,
                level,
                schedule,
                time_pointer(schedule.trigger),
                message,
                frozenset(finding.walls),
            )
        )
    return out
