"""Policy rules over fire times: quiet hours, per-audience caps and gaps, in each audience zone.

Every enabled schedule's fires in the window are landed once per audience
zone (epoch seconds and local time). Then, per zone:

- quiet hours look at each fire's local time of day;
- caps count, per local day or week, the fires of the schedules reaching a
  common audience with each schedule (itself included): each bucket keeps
  bit masks of the schedules firing in it (mask m: those firing more than m
  times), so a schedule's count is a few popcounts of its neighbour mask;
- gaps look each fire up in time-sorted lists indexed by audience key and
  value (plus one of the pushes to everyone): its neighbours within the gap
  are found by bisection.

Nothing compares schedules or fires pairwise: the work grows with the number
of fires (times a logarithm), however many schedules share an audience.
Violations are attributed to a schedule only through its own fires; for each
schedule and rule the earliest offending fire (by instant; then by the order
of the zones) is described, and every offending fire's wall time is kept.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import partial
from itertools import pairwise
from operator import itemgetter
from typing import TYPE_CHECKING

from reconciler.core.audience import Audience, Overlap, audience_of, members
from reconciler.core.diagnostics import Severity
from reconciler.core.fires import Landing, walls_around, zone_type_of
from reconciler.core.model import WEEKDAYS, Intelligent, Schedule

if TYPE_CHECKING:
    from reconciler.policy.evaluation import MaxPerAudience, MinGap, Policies, QuietHours, Violation

# One fire of one schedule in one zone: (epoch seconds, local wall time, the
# schedule's own wall time, local day as an ordinal, second of the local day).
Landed = tuple[int, datetime, datetime, int, int]
_SHOWN = 5  # other schedules named in one message


def when(local: datetime, zone_name: str) -> str:
    """`2026-11-23 06:00 (Mon) America/Los_Angeles`."""
    clock = "%H:%M:%S" if local.second else "%H:%M"
    return f"{local:%Y-%m-%d} {local.strftime(clock)} ({WEEKDAYS[local.weekday()].title()}) {zone_name}"


@dataclass
class _Finding:
    epoch: int
    order: int
    describe: Callable[[], str]  # called once, for the earliest offending fire
    walls: set[datetime] = field(default_factory=set)


class _Findings:
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
class _Zone:
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
        self.zones: list[_Zone] = []
        for order, (name, tz) in enumerate(zones):
            land = Landing(site, tz).land
            rows: list[list[Landed]] = []
            for times, zone_type in walls:
                row = [f for f in (land(w, zone_type) for w in times) if low <= f[0] < high]
                row.sort()
                rows.append(row)
            self.zones.append(_Zone(name, order, rows))
        self.audiences: list[Audience] = [audience_of(s.push.get("to")) for s in self.schedules]
        self.overlap = Overlap(self.audiences)

    def names(self, mask: int, detail: Callable[[int], str]) -> str:
        """The first few schedules of `mask`, each with a detail, and how many more."""
        shown = [f"{self.schedules[j].name} ({detail(j)})" for j in members(mask, _SHOWN)]
        more = mask.bit_count() - _SHOWN
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def quiet_hours(self, rule: QuietHours) -> _Findings:
        found = _Findings()
        start, end = rule.seconds
        for zone in self.zones:
            for index, row in enumerate(zone.fires):
                if start <= end:
                    bad = [f for f in row if start <= f[4] < end]
                else:
                    bad = [f for f in row if f[4] >= start or f[4] < end]
                if bad:
                    describe = partial(self._quiet_message, rule, zone, bad[0])
                    found.note(index, zone.order, bad, describe)
        return found

    @staticmethod
    def _quiet_message(rule: QuietHours, zone: _Zone, fire: Landed) -> str:
        return f"fires at {when(fire[1], zone.name)}, inside the quiet hours {rule.label}"

    def caps(self, rule: MaxPerAudience) -> _Findings:
        found = _Findings()
        bucket = _monday if rule.per == "week" else _day
        for zone in self.zones:
            counts = [Counter(map(bucket, row)) for row in zone.fires]
            first, more = _levels(counts)
            for index, row in enumerate(zone.fires):
                mask = self.overlap.neighbours(index)
                over = {
                    key
                    for key in counts[index]
                    if (mask & first[key]).bit_count()
                    + (_more(mask, more[key]) if key in more else 0)
                    > rule.count
                }
                if not over:
                    continue
                bad = [f for f in row if bucket(f) in over]
                key = bucket(bad[0])
                total = (mask & first[key]).bit_count() + _more(mask, more.get(key, []))
                others = mask & first[key] & ~(1 << index)
                describe = partial(self._cap_message, rule, zone, key, bad[0], total, others)
                found.note(index, zone.order, bad, describe)
        return found

    def _cap_message(
        self, rule: MaxPerAudience, zone: _Zone, key: int, fire: Landed, total: int, others: int
    ) -> str:
        weekly = rule.per == "week"
        bucket = _monday if weekly else _day
        span = f"in the week of {date.fromordinal(key)}" if weekly else "on that day"
        listed = self.names(
            others, lambda j: _times([f[1] for f in zone.fires[j] if bucket(f) == key], weekly)
        )
        return (
            f"fires at {when(fire[1], zone.name)}: {total} pushes to a common audience "
            f"{span}, more than max_per_audience {rule.count} per {rule.per}"
            + (f"; with {listed}" if listed else "")
        )

    def gaps(self, rule: MinGap) -> _Findings:
        found = _Findings()
        gap = rule.minutes * 60
        for zone in self.zones:
            series = _GapSeries(zone.fires, self.audiences, gap)
            unions: dict[Audience, set[int]] = {}
            for index, row in enumerate(zone.fires):
                audience = self.audiences[index]
                if audience is None:
                    bad = [f for f in row if f[0] in series.close_all]
                else:
                    near = series.near_wide
                    if audience not in unions:
                        unions[audience] = set().union(*(series.close[p] for p in audience))
                    pairs = unions[audience]
                    bad = [f for f in row if f[0] in near or f[0] in pairs]
                if bad:
                    describe = partial(self._gap_message, rule, zone, series, index, bad[0])
                    found.note(index, zone.order, bad, describe)
        return found

    def _gap_message(
        self, rule: MinGap, zone: _Zone, series: _GapSeries, index: int, fire: Landed
    ) -> str:
        epoch, gap = fire[0], rule.minutes * 60
        mask = self.overlap.neighbours(index)
        times = series.epochs
        low, high = bisect_right(times, epoch - gap), bisect_left(times, epoch + gap)
        # Outward from the fire, nearest first: the schedules to name, and all of them.
        everyone, distance = 0, gap
        shown: list[str] = []
        for t in sorted(times[low:high], key=lambda t: (abs(t - epoch), t)):
            at = series.at[t] & mask & ~((1 << index) if t == epoch else 0)
            if not at:
                continue
            distance = min(distance, abs(t - epoch))
            for j in members(at & ~everyone, _SHOWN - len(shown)):
                local = next(f[1] for f in zone.fires[j] if f[0] == t)
                shown.append(f"{self.schedules[j].name} ({local:%H:%M})")
            everyone |= at
        more = everyone.bit_count() - len(shown)
        return (
            f"fires at {when(fire[1], zone.name)}, {distance // 60} min from another push "
            f"to a common audience (min_gap_minutes {rule.minutes}); with {', '.join(shown)}"
            + (f" and {more} more" if more > 0 else "")
        )


class _GapSeries:
    """One zone's fire instants for the gap rule, as distinct epochs with counts.

    Many fires share an instant (two hundred daily pushes at 19:30), so the sweeps
    run over distinct epochs: two fires at one epoch are two schedules 0 minutes
    apart. `close_all`: epochs with another fire within the gap; `close[pair]`: the
    same among the fires naming that audience pair; `near_wide`: epochs with a fire
    to everyone within the gap (at the same epoch included).
    """

    def __init__(
        self, rows: Sequence[Sequence[Landed]], audiences: Sequence[Audience], gap: int
    ) -> None:
        every: Counter[int] = Counter()
        wide: Counter[int] = Counter()
        by_pair: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
        self.at: dict[int, int] = defaultdict(int)  # epoch -> mask of the schedules firing
        for index, row in enumerate(rows):
            epochs = [f[0] for f in row]
            every.update(epochs)
            audience = audiences[index]
            if audience is None:
                wide.update(epochs)
            else:
                for pair in audience:
                    by_pair[pair].update(epochs)
            bit = 1 << index
            for epoch in epochs:
                self.at[epoch] |= bit
        self.epochs = sorted(every)
        self.close_all = _close(every, gap) if wide else set()
        self.close = {pair: _close(counts, gap) for pair, counts in by_pair.items()}
        self.near_wide = _near(self.epochs, sorted(wide), gap)


def _levels(counts: Sequence[Counter[int]]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Per bucket, the mask of the schedules firing in it, and (rarely needed) the masks of
    those firing in it more than once, twice, …: a schedule's count in a bucket is then the
    popcounts of its neighbour mask with them."""
    first: dict[int, int] = {}
    more: dict[int, list[int]] = {}
    for index, count in enumerate(counts):
        bit = 1 << index
        for key, times in count.items():
            first[key] = first.get(key, 0) | bit
            if times > 1:
                level = more.setdefault(key, [])
                level.extend([0] * (times - 1 - len(level)))
                for m in range(times - 1):
                    level[m] |= bit
    return first, more


def _more(mask: int, levels: list[int]) -> int:
    return sum((mask & level).bit_count() for level in levels)


_day = itemgetter(3)


def _monday(fire: Landed) -> int:
    return fire[3] - (fire[3] - 1) % 7  # ordinal 1 (0001-01-01) is a Monday


def _times(locals_: Sequence[datetime], weekly: bool) -> str:
    shown = [t.strftime("%a %H:%M" if weekly else "%H:%M") for t in locals_[:3]]
    return ", ".join(shown) + (", …" if len(locals_) > 3 else "")


def _close(counts: Counter[int], gap: int) -> set[int]:
    """The epochs holding a fire with another fire strictly within `gap` seconds."""
    epochs = sorted(counts)
    found = {epoch for epoch in epochs if counts[epoch] > 1}
    for before, after in pairwise(epochs):
        if after - before < gap:
            found.add(before)
            found.add(after)
    return found


def _near(epochs: list[int], wide: list[int], gap: int) -> set[int]:
    """The epochs with a wide epoch strictly within `gap` seconds (or equal)."""
    if not wide:
        return set()
    count = len(wide)
    found = set()
    for epoch in epochs:
        at = bisect_left(wide, epoch)
        if (at < count and wide[at] - epoch < gap) or (at > 0 and epoch - wide[at - 1] < gap):
            found.add(epoch)
    return found


def timed_violations(
    schedules: Sequence[Schedule],
    policies: Policies,
    site: tzinfo,
    site_name: str,
    start: datetime,
    end: datetime,
) -> list[Violation]:
    """The quiet-hours, cap and gap findings over [start, end), one per schedule and rule."""
    from reconciler.policy.evaluation import Violation, time_pointer

    engine = Engine(schedules, policies.zones(site_name, site), site, start, end)
    checks: list[tuple[str, Severity, Callable[[], _Findings]]] = []
    if policies.quiet_hours is not None:
        quiet = policies.quiet_hours
        checks.append(("quiet_hours", quiet.level, lambda: engine.quiet_hours(quiet)))
    if policies.max_per_audience is not None:
        cap = policies.max_per_audience
        checks.append(("max_per_audience", cap.level, lambda: engine.caps(cap)))
    if policies.min_gap_minutes is not None:
        gap = policies.min_gap_minutes
        checks.append(("min_gap_minutes", gap.level, lambda: engine.gaps(gap)))
    found: list[Violation] = []
    for rule, level, check in checks:
        for index, finding in check().by_index.items():
            schedule = engine.schedules[index]
            message = finding.describe()
            if len(finding.walls) > 1:
                message += f" ({len(finding.walls) - 1} more offending fire(s))"
            if schedule.trigger.zone_type is None and not isinstance(schedule.trigger, Intelligent):
                message += f"; no zone_type: read as 1, the site zone {site_name}"
            found.append(
                Violation(
                    rule,
                    level,
                    schedule,
                    time_pointer(schedule.trigger),
                    message,
                    frozenset(finding.walls),
                )
            )
    return found
