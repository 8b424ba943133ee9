"""max_per_day_total: at most `count` pushes of the app per local day, whatever their
audience, in each audience zone.

    policies:
      max_per_day_total: {count: 6, level: warning}

Where max_per_audience counts only the pushes that share an audience with a
schedule, this rule counts every enabled schedule's fires on a local day of
each audience zone: a cap on how much the app as a whole sends. A schedule is
at fault on every day it fires and the app's total exceeds `count`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from reconciler.core.diagnostics import Severity
from reconciler.policy.engine import (
    Engine,
    Findings,
    Landed,
    Zone,
    day_of,
    times_of_day,
    violations,
    when,
)
from reconciler.policy.rule import Context, Rule, level_of
from reconciler.policy.violation import Violation

__all__ = ["RULE", "MaxPerDayTotal"]


@dataclass(frozen=True)
class MaxPerDayTotal:
    """At most `count` pushes of the app per local day, whatever their audience."""

    count: int
    level: Severity = "error"


def _totals(engine: Engine, rule: MaxPerDayTotal) -> Findings:
    found = Findings()
    for zone in engine.zones:
        totals: Counter[int] = Counter()
        firing: dict[int, int] = {}  # local day -> mask of the schedules firing on it
        for index, row in enumerate(zone.fires):
            for fire in row:
                totals[day_of(fire)] += 1
                firing[day_of(fire)] = firing.get(day_of(fire), 0) | (1 << index)
        over = {day for day, total in totals.items() if total > rule.count}
        for index, row in enumerate(zone.fires):
            bad = [f for f in row if day_of(f) in over]
            if bad:
                day = day_of(bad[0])
                others = firing[day] & ~(1 << index)
                describe = partial(_message, engine, rule, zone, bad[0], totals[day], others)
                found.note(index, zone.order, bad, describe)
    return found


def _message(
    engine: Engine, rule: MaxPerDayTotal, zone: Zone, fire: Landed, total: int, others: int
) -> str:
    day = day_of(fire)
    listed = engine.names(
        others, lambda j: times_of_day([f[1] for f in zone.fires[j] if day_of(f) == day], False)
    )
    return (
        f"fires at {when(fire[1], zone.name)}: {total} pushes of the app on that day, "
        f"more than max_per_day_total {rule.count}" + (f"; with {listed}" if listed else "")
    )


class MaxPerDayTotalRule:
    name = "max_per_day_total"
    needs = ("count",)
    timed = True

    def parse(self, raw: Mapping[str, Any]) -> MaxPerDayTotal:
        return MaxPerDayTotal(raw["count"], level_of(raw))

    def check(self, settings: MaxPerDayTotal, context: Context) -> list[Violation]:
        engine = context.engine
        found = _totals(engine, settings)
        return violations(engine, self.name, settings.level, found, context.site_name)


RULE: Rule[MaxPerDayTotal] = MaxPerDayTotalRule()
