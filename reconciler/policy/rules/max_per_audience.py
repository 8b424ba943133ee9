"""max_per_audience: at most `count` pushes to a common audience per local day, or week
(Monday..Sunday), in each audience zone.

    policies:
      max_per_audience: {count: 2, per: day}

Caps count, per local day or week, the fires of the schedules reaching a common
audience with each schedule (itself included): each bucket keeps bit masks of
the schedules firing in it (mask m: those firing more than m times), so a
schedule's count is a few popcounts of its neighbour mask.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

from reconciler.core.diagnostics import Severity
from reconciler.policy.engine import (
    Engine,
    Findings,
    Landed,
    Zone,
    day_of,
    monday_of,
    times_of_day,
    violations,
    when,
)
from reconciler.policy.rule import Context, Rule, level_of
from reconciler.policy.violation import Violation

__all__ = ["RULE", "MaxPerAudience"]


@dataclass(frozen=True)
class MaxPerAudience:
    """At most `count` pushes to a common audience per local day, or week (Monday..Sunday)."""

    count: int
    per: Literal["day", "week"] = "day"
    level: Severity = "error"


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


def _caps(engine: Engine, rule: MaxPerAudience) -> Findings:
    found = Findings()
    bucket = monday_of if rule.per == "week" else day_of
    for zone in engine.zones:
        counts = [Counter(map(bucket, row)) for row in zone.fires]
        first, more = _levels(counts)
        for index, row in enumerate(zone.fires):
            mask = engine.overlap.neighbours(index)
            over = {
                key
                for key in counts[index]
                if (mask & first[key]).bit_count() + (_more(mask, more[key]) if key in more else 0)
                > rule.count
            }
            if not over:
                continue
            bad = [f for f in row if bucket(f) in over]
            key = bucket(bad[0])
            total = (mask & first[key]).bit_count() + _more(mask, more.get(key, []))
            others = mask & first[key] & ~(1 << index)
            describe = partial(_message, engine, rule, zone, key, bad[0], total, others)
            found.note(index, zone.order, bad, describe)
    return found


def _message(
    engine: Engine,
    rule: MaxPerAudience,
    zone: Zone,
    key: int,
    fire: Landed,
    total: int,
    others: int,
) -> str:
    weekly = rule.per == "week"
    bucket = monday_of if weekly else day_of
    span = f"in the week of {date.fromordinal(key)}" if weekly else "on that day"
    listed = engine.names(
        others, lambda j: times_of_day([f[1] for f in zone.fires[j] if bucket(f) == key], weekly)
    )
    return (
        f"fires at {when(fire[1], zone.name)}: {total} pushes to a common audience "
        f"{span}, more than max_per_audience {rule.count} per {rule.per}"
        + (f"; with {listed}" if listed else "")
    )


class MaxPerAudienceRule:
    name = "max_per_audience"
    needs = ("count",)
    timed = True

    def parse(self, raw: Mapping[str, Any]) -> MaxPerAudience:
        return MaxPerAudience(raw["count"], raw.get("per", "day"), level_of(raw))

    def check(self, settings: MaxPerAudience, context: Context) -> list[Violation]:
        engine = context.engine
        found = _caps(engine, settings)
        return violations(engine, self.name, settings.level, found, context.site_name)


RULE: Rule[MaxPerAudience] = MaxPerAudienceRule()
