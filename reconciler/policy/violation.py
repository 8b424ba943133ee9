"""Violations: one broken rule for one schedule, and the place in its document to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.core.diagnostics import Severity
from reconciler.core.model import Intelligent, Periodical, Schedule, Trigger

__all__ = ["Violation", "time_pointer"]


@dataclass(frozen=True)
class Violation:
    """One broken rule for one schedule: its first offending place, and every offending fire."""

    rule: str
    level: Severity
    schedule: Schedule
    pointer: str  # where in the schedule's document
    message: str
    # The wall times of the schedule's offending fires (what the calendar marks).
    walls: frozenset[datetime] = frozenset()

    def __str__(self) -> str:
        return f"policy {self.rule}: {self.message}"


def time_pointer(trigger: Trigger) -> str:
    """The pointer of the time a trigger fires at."""
    if isinstance(trigger, Intelligent):
        return "/trigger/intelligent/backup_time"
    return f"/trigger/{'periodical' if isinstance(trigger, Periodical) else 'single'}/time"
