"""Changes: the values a plan is made of (Change, FieldChange, Plan) and the actions.

Every desired and every remote schedule ends up in exactly one change:

    create    desired, absent remotely (and enabled, and not expired)
    update    present on both sides and different; a full PUT of the desired object
    replace   different in what the API will not update (zone_type, trigger kind):
              delete, then create
    delete    managed, absent from the repo, prune on, not protected
    noop      present on both sides and equal in canonical form
    skip      left alone, with the reason (expired, disabled and absent remotely,
              unmanaged, protected, prune off)
    conflict  several remote schedules share the desired name
    complete  a parked copy an interrupted apply left (reconciler.core.parked) of a
              desired name: the PUT of the desired body its create did not get to
    withdraw  a parked copy no desired schedule can use: deleted (it never fired)

Parked copies are planned first (reconciler/plan/leftovers.py): they are never a
user's schedule, so prune, manage_prefix and protect do not apply to them, and
they never count against the guards as updates or deletes.

Safety thresholds live on the plan (`Plan.problems`, set by the guards;
`Plan.raise_if_unsafe`); renderers live in reconciler/views/plan.py. The plan
carries the target's effective settings (reconciler.config.effective), which
its checksum covers, and, for a pull request, how they differ from the default
branch's (`setting_changes`). `Plan.withhold` hides the bodies of remote
schedules that someone else's settings do not manage (a pull request that
widens the scope), keeping the checksum of the whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any, Literal

from reconciler.config.effective import SettingChange, Settings
from reconciler.core import parked
from reconciler.core.model import JSON
from reconciler.core.words import plural
from reconciler.errors import PlanRefused

__all__ = [
    "ABSENT",
    "ACTIONS",
    "CHANGES",
    "FORMAT_VERSION",
    "SUMMARY_ORDER",
    "Action",
    "Change",
    "Clock",
    "FieldChange",
    "Plan",
]

Action = Literal[
    "create", "update", "replace", "delete", "complete", "withdraw", "noop", "skip", "conflict"
]
#: The actions that change the app, in apply order: withdraws and deletes free quota
#: and names before creates need them. Everything else is left alone.
CHANGES: tuple[Action, ...] = ("withdraw", "delete", "replace", "update", "complete", "create")
ACTIONS: tuple[Action, ...] = (*CHANGES, "conflict", "skip", "noop")
SUMMARY_ORDER: tuple[Action, ...] = (
    "create",
    "update",
    "replace",
    "delete",
    "noop",
    "skip",
    "conflict",
    # Added within format 1 (docs/concepts/plan.md): consumers that know only the seven
    # above still read every plan; an action they do not know is a change.
    "complete",
    "withdraw",
)
FORMAT_VERSION = 1


class _Absent:
    """A field one side does not have (JSON null would be a value)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class FieldChange:
    """One changed field: a JSON pointer, and its value before and after (or ABSENT)."""

    path: str
    before: Any
    after: Any

    def data(self) -> JSON:
        out: JSON = {"path": self.path}
        if self.before is not ABSENT:
            out["before"] = self.before
        if self.after is not ABSENT:
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class Change:
    action: Action
    name: str
    schedule_id: str | None = None
    before: JSON | None = None
    after: JSON | None = None
    diff: tuple[FieldChange, ...] = ()
    reason: str = ""
    next_runs: tuple[str, ...] = ()
    source: str | None = None
    # For a conflict: every remote id of the name, oldest first.
    remote_ids: tuple[str, ...] = ()
    # Its bodies (before, after, diff, next runs) are not shown: see Plan.withhold.
    withheld: bool = False

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ACTIONS.index(self.action), self.name)

    def data(self) -> JSON:
        """The saved-plan form (docs/concepts/plan.md), keys in a fixed order."""
        out: JSON = {
            "action": self.action,
            "name": self.name,
            "schedule_id": self.schedule_id,
            "before": self.before,
            "after": self.after,
            "diff": [d.data() for d in self.diff],
            "reason": self.reason,
            "next_runs": list(self.next_runs),
        }
        if self.source:
            out["source"] = self.source
        if self.remote_ids:
            out["remote_ids"] = list(self.remote_ids)
        if self.withheld:
            out["withheld"] = True
        return out

    def foreign(self, managed: Callable[[str], bool]) -> bool:
        """Whether it shows a remote schedule that `managed` (another scope) does not cover."""
        if self.before is None and not self.diff:
            return False  # nothing remote is shown: a create is the repository's own body
        remote_name = str(self.before.get("name", self.name)) if self.before else self.name
        return not (managed(self.name) and managed(remote_name))

    def identity(self) -> JSON:
        """What a reviewer approved: everything but the clock-dependent next runs."""
        data = self.data()
        data.pop("next_runs")
        data.pop("source", None)
        return data


@dataclass(frozen=True)
class Clock:
    """When and where a plan was made: what its fire times are read against.

    Not part of the checksum or the saved plan (fire times move with the clock);
    the markdown renderer reads it to draw the review calendar.
    """

    now: datetime
    site_zone: tzinfo
    site_timezone: str


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    checksum: str
    managed_remote: int
    active_remote: int
    safety_max_delete_percent: float
    safety_max_update_percent: float
    safety_min_existing: int
    quota: int
    desired_count: int
    problems: tuple[str, ...] = field(default=())
    clock: Clock | None = None
    #: The effective settings it was planned with (in the checksum).
    settings: Settings | None = None
    #: A pull request's plan: its settings against the default branch's (not in the checksum).
    setting_changes: tuple[SettingChange, ...] = ()

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {action: self.count(action) for action in SUMMARY_ORDER}

    @property
    def to_make(self) -> tuple[Change, ...]:
        """The changes apply carries out (creates, updates, replaces, deletes)."""
        return tuple(c for c in self.changes if c.action in CHANGES)

    @property
    def has_changes(self) -> bool:
        return bool(self.to_make)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action == "conflict")

    @property
    def leftovers(self) -> tuple[Change, ...]:
        """The parked copies interrupted applies left, to complete or withdraw."""
        return tuple(c for c in self.changes if c.action in ("complete", "withdraw"))

    def stale_leftovers(self) -> tuple[Change, ...]:
        """Leftovers parked longer than `parked.STALE_AFTER` ago: no apply ran since."""
        if self.clock is None:
            return ()
        now = self.clock.now
        marks = [(c, parked.mark_of(c.before or {})) for c in self.leftovers]
        return tuple(c for c, mark in marks if mark is not None and mark.stale(now))

    @property
    def needs_work(self) -> bool:
        """Something is left to do: changes, or conflicts to resolve (`--detailed-exitcode` 2)."""
        return self.has_changes or bool(self.conflicts)

    def raise_if_unsafe(self, force: bool = False) -> None:
        """Refuse (PlanRefused) when a safety guard trips, unless forced."""
        if self.problems and not force:
            raise PlanRefused("; ".join(self.problems) + " (use --force if this is intended)")

    def conflict_reasons(self) -> list[str]:
        """Why apply refuses this plan's conflicts: names shared by several remote schedules,
        managed remote schedules that cannot be read (see `plan_unreadable`); empty if none."""
        shared = [c.name for c in self.conflicts if len(c.remote_ids) > 1]
        unreadable = [c.name for c in self.conflicts if len(c.remote_ids) <= 1]
        reasons = []
        if shared:
            reasons.append(
                f"{plural(len(shared), 'name')} shared by several remote schedules "
                f"({', '.join(shared)}): resolve {'it' if len(shared) == 1 else 'them'} by hand "
                "or pass --resolve-duplicates keep-oldest"
            )
        if unreadable:
            reasons.append(
                f"{plural(len(unreadable), 'managed remote schedule')} cannot be read "
                f"({', '.join(unreadable)}): fix or delete "
                f"{'it' if len(unreadable) == 1 else 'them'} by hand (see the plan)"
            )
        return reasons

    def raise_if_conflicts(self) -> None:
        """Refuse (PlanRefused) to apply while `conflict_reasons` has anything to say."""
        if reasons := self.conflict_reasons():
            raise PlanRefused("; ".join(reasons))

    def withhold(self, managed: Callable[[str], bool]) -> Plan:
        """This plan without the bodies of the remote schedules `managed` does not cover.

        For a pull request that widens the scope: its changes to schedules the default
        branch does not manage show a name and an action, never what they hold. The
        checksum stays the one of the whole plan (apply plans again and compares).
        """
        hidden = tuple(
            replace(c, before=None, after=None, diff=(), next_runs=(), withheld=True)
            if c.foreign(managed)
            else c
            for c in self.changes
        )
        return replace(self, changes=hidden)

    def data(self) -> JSON:
        """The saved-plan form (docs/concepts/plan.md); `settings` and `setting_changes` were
        added within format 1 (a reader that does not know them reads the rest as before)."""
        out: JSON = {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "checksum": self.checksum,
            "summary": self.summary,
            "changes": [c.data() for c in self.changes],
            "warnings": list(self.warnings),
        }
        if self.settings is not None:
            out["settings"] = self.settings.json()
        if self.setting_changes:
            out["setting_changes"] = [c.data() for c in self.setting_changes]
        return out
