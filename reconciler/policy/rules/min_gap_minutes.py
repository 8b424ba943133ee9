"""min_gap_minutes: at least `minutes` between two pushes reaching a common audience.

    policies:
      min_gap_minutes: {minutes: 120, level: warning}

Each fire is looked up in time-sorted lists indexed by audience key and value
(plus one of the pushes to everyone): its neighbours within the gap are found
by bisection, never by comparing schedules pair by pair.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

from reconciler.core.audience import Audience, members
from reconciler.core.diagnostics import Severity
from reconciler.policy.engine import SHOWN, Engine, Findings, Landed, Zone, violations, when
from reconciler.policy.rule import Context, Rule, level_of
from reconciler.policy.violation import Violation

__all__ = ["RULE", "MinGap"]


@dataclass(frozen=True)
class MinGap:
    """At least `minutes` between two pushes reaching a common audience."""

    minutes: int
    level: Severity = "error"


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


def _gaps(engine: Engine, rule: MinGap) -> Findings:
    found = Findings()
    gap = rule.minutes * 60
    for zone in engine.zones:
        series = _GapSeries(zone.fires, engine.audiences, gap)
        unions: dict[Audience, set[int]] = {}
        for index, row in enumerate(zone.fires):
            audience = engine.audiences[index]
            if audience is None:
                bad = [f for f in row if f[0] in series.close_all]
            else:
                near = series.near_wide
                if audience not in unions:
                    unions[audience] = set().union(*(series.close[p] for p in audience))
                pairs = unions[audience]
                bad = [f for f in row if f[0] in near or f[0] in pairs]
            if bad:
                describe = partial(_message, engine, rule, zone, series, index, bad[0])
                found.note(index, zone.order, bad, describe)
    return found


def _message(
    engine: Engine, rule: MinGap, zone: Zone, series: _GapSeries, index: int, fire: Landed
) -> str:
    epoch, gap = fire[0], rule.minutes * 60
    mask = engine.overlap.neighbours(index)
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
        for j in members(at & ~everyone, SHOWN - len(shown)):
            local = next(f[1] for f in zone.fires[j] if f[0] == t)
            shown.append(f"{engine.schedules[j].name} ({local:%H:%M})")
        everyone |= at
    more = everyone.bit_count() - len(shown)
    return (
        f"fires at {when(fire[1], zone.name)}, {distance // 60} min from another push "
        f"to a common audience (min_gap_minutes {rule.minutes}); with {', '.join(shown)}"
        + (f" and {more} more" if more > 0 else "")
    )


class MinGapRule:
    name = "min_gap_minutes"
    needs = ("minutes",)
    timed = True

    def parse(self, raw: Mapping[str, Any]) -> MinGap:
        return MinGap(raw["minutes"], level_of(raw))

    def check(self, settings: MinGap, context: Context) -> list[Violation]:
        engine = context.engine
        found = _gaps(engine, settings)
        return violations(engine, self.name, settings.level, found, context.site_name)


RULE: Rule[MinGap] = MinGapRule()
