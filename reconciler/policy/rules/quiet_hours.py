"""quiet_hours: no push in [start, end) local time, in any audience zone; may wrap midnight.

policies:
  quiet_hours: {start: "22:00", end: "08:00", level: error}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from functools import partial
from typing import Any

from reconciler.core.diagnostics import Severity
from reconciler.policy.engine import Findings, Landed, Zone, violations, when
from reconciler.policy.rule import Context, Rule, level_of
from reconciler.policy.violation import Violation

__all__ = ["RULE", "QuietHours"]


@dataclass(frozen=True)
class QuietHours:
    """No push in [start, end) local time; end before start wraps midnight."""

    start: time
    end: time
    level: Severity = "error"

    @property
    def seconds(self) -> tuple[int, int]:
        """Start and end as seconds since midnight (start > end: the hours wrap midnight)."""
        return _seconds(self.start), _seconds(self.end)

    @property
    def label(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _message(rule: QuietHours, zone: Zone, fire: Landed) -> str:
    return f"fires at {when(fire[1], zone.name)}, inside the quiet hours {rule.label}"


class QuietHoursRule:
    name = "quiet_hours"
    needs = ("start", "end")
    timed = True

    def parse(self, raw: Mapping[str, Any]) -> QuietHours:
        if raw["start"] == raw["end"]:
            raise ValueError("quiet_hours: start and end are equal; the interval would be empty")
        start, end = time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"])
        return QuietHours(start, end, level_of(raw))

    def check(self, settings: QuietHours, context: Context) -> list[Violation]:
        engine, found = context.engine, Findings()
        start, end = settings.seconds
        for zone in engine.zones:
            for index, row in enumerate(zone.fires):
                if start <= end:
                    bad = [f for f in row if start <= f[4] < end]
                else:
                    bad = [f for f in row if f[4] >= start or f[4] < end]
                if bad:
                    found.note(index, zone.order, bad, partial(_message, settings, zone, bad[0]))
        return violations(engine, self.name, settings.level, found, context.site_name)


RULE: Rule[QuietHours] = QuietHoursRule()
