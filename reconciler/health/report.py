"""The health of a target: each managed schedule's class, its fires and runs, over one window.

Values only (the views render them): a `ScheduleHealth` per schedule, in a
`Health` per target. `unhealthy` (failed or missed) is what makes
`--detailed-exitcode` exit 2 and what the drift issue reports; `key` names that
set, so that a change of it (not of its counts) is what gets a new comment.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.health.match import STATES, Judged, Seen

__all__ = ["UNHEALTHY", "Health", "ScheduleHealth"]

#: The classes that mean a push did not go out: exit 2, reported in the drift issue.
UNHEALTHY = ("failed", "missed")


@dataclass(frozen=True)
class ScheduleHealth:
    """One managed schedule over the window.

    `source`: where its expected fires came from, `repository` (the desired file,
    with its git history when known) or `app` (absent from the repository: the
    remote trigger). `zone`: how its times were read (the zone assumed).
    """

    name: str
    state: str
    source: str
    zone: str
    schedule_ids: tuple[str, ...] = ()
    fires: tuple[Judged, ...] = ()
    unexpected: tuple[Seen, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def judged(self) -> tuple[Judged, ...]:
        """The fires whose deadline passed in the window (sent, failed or missed)."""
        return tuple(j for j in self.fires if j.state != "pending")

    def of_state(self, state: str) -> tuple[Judged, ...]:
        return tuple(j for j in self.fires if j.state == state)

    def failures(self) -> list[tuple[int, str, int]]:
        """(code, meaning, fires) of the failed fires, by the code of each one's last run."""
        codes: Counter[tuple[int, str]] = Counter()
        for fire in self.of_state("failed"):
            last = fire.runs[-1]
            codes[(last.code, last.meaning)] += 1
        return [(code, meaning, n) for (code, meaning), n in codes.most_common()]


@dataclass(frozen=True)
class Health:
    """Every managed schedule of one target over [start, now)."""

    target: str
    start: datetime
    now: datetime
    site_timezone: str
    schedules: tuple[ScheduleHealth, ...]
    # How the trigger in force at each moment was known (the repository's history, or not).
    history: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def unhealthy(self) -> tuple[ScheduleHealth, ...]:
        return tuple(s for s in self.schedules if s.state in UNHEALTHY)

    @property
    def healthy(self) -> bool:
        return not self.unhealthy

    def counts(self) -> dict[str, int]:
        """How many schedules are in each class, every class named (worst first)."""
        found = Counter(s.state for s in self.schedules)
        return {state: found.get(state, 0) for state in STATES}

    @property
    def key(self) -> str:
        """`sha256:…` of the set of (name, class) of the unhealthy schedules (`none`: empty)."""
        unhealthy = sorted(f"{s.name}\x00{s.state}" for s in self.unhealthy)
        if not unhealthy:
            return "none"
        digest = hashlib.sha256("\x01".join(unhealthy).encode("utf-8")).hexdigest()
        return f"sha256:{digest}"
