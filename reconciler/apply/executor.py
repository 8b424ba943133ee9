"""Apply: carry out a plan's changes through the target's remote, in a fixed order.

Withdrawals and deletes first (they free quota and names), then replaces
(delete, then create), then updates (a full PUT of the canonical desired
object), then completions (the PUT an interrupted create did not get to), then
creates. Each batch runs concurrently; the client bounds concurrency and rate.
A change that fails does not stop the others: apply reports every outcome and
the next apply, which plans afresh from the remote, finishes the work. That is
also why a killed apply is safe: nothing here keeps state between runs; a create
whose answer was lost shows up in the next listing as a noop (the client's safe
POST covers the same case within one run), and one killed before it was
promoted as a parked copy that the next plan completes or withdraws.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.config.effective import Settings, changes
from reconciler.errors import ReconcilerError, StalePlan
from reconciler.plan.changes import CHANGES, Change, Plan
from reconciler.remote.protocol import ScheduleMissing, ScheduleProvider

__all__ = [
    "BATCHES",
    "Outcome",
    "Report",
    "Verb",
    "apply_plan",
    "check_checksum",
    "check_still_valid",
]

#: The batches, in the order they run: the plan's changing actions.
BATCHES = CHANGES

Verb = Literal["created", "updated", "replaced", "deleted", "completed", "withdrawn"]
_VERB: dict[str, Verb] = {
    "create": "created",
    "update": "updated",
    "replace": "replaced",
    "delete": "deleted",
    "complete": "completed",
    "withdraw": "withdrawn",
}


@dataclass(frozen=True)
class Outcome:
    change: Change
    ok: bool
    schedule_id: str | None = None
    error: str = ""
    #: A delete found the schedule already gone (another writer, or expiry, was first).
    already_gone: bool = False

    def line(self) -> str:
        """`created NAME id=…` or `failed NAME: 28103 …`: one line per change."""
        if not self.ok:
            return f"failed {self.change.action} {self.change.name}: {self.error}"
        verb = _VERB[self.change.action]
        if self.change.action == "replace":
            return (
                f"{verb} {self.change.name} id={self.change.schedule_id} -> id={self.schedule_id}"
            )
        gone = " (already gone)" if self.already_gone else ""
        return f"{verb} {self.change.name} id={self.schedule_id}{gone}"


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        counts = {verb: 0 for verb in _VERB.values()}
        for o in self.outcomes:
            if o.ok:
                counts[_VERB[o.change.action]] += 1
        detail = ", ".join(f"{n} {verb}" for verb, n in counts.items() if n)
        return (
            f"Apply: {done} done, {len(self.failed)} failed"
            + (f" ({detail})" if detail else "")
            + "."
        )


async def _carry_out(change: Change, client: ScheduleProvider) -> Outcome:
    try:
        if change.action == "delete":
            assert change.schedule_id is not None
            deleted = await client.delete_schedule(change.schedule_id, missing_ok=True)
            return Outcome(change, True, change.schedule_id, already_gone=not deleted)
        if change.action == "update":
            assert change.schedule_id is not None
            await client.update_schedule(change.schedule_id, change.after)
            return Outcome(change, True, change.schedule_id)
        if change.action == "replace":
            assert change.schedule_id is not None
            await client.delete_schedule(change.schedule_id, missing_ok=True)
            return Outcome(change, True, await client.create_schedule(change.after))
        if change.action == "create":
            return Outcome(change, True, await client.create_schedule(change.after))
        if change.action in ("complete", "withdraw"):
            return await _finish_parked(change, client)
    except ReconcilerError as err:
        return Outcome(change, False, change.schedule_id, str(err))
    raise ValueError(f"{change.action} is not something apply carries out")


async def _finish_parked(change: Change, client: ScheduleProvider) -> Outcome:
    """Complete (PUT the desired body onto) or withdraw (delete) a parked copy."""
    assert change.schedule_id is not None
    if change.action == "withdraw":
        deleted = await client.delete_schedule(change.schedule_id, missing_ok=True)
        return Outcome(change, True, change.schedule_id, already_gone=not deleted)
    gone: ScheduleMissing | None = None
    try:
        await client.update_schedule(change.schedule_id, change.after)
    except ScheduleMissing as err:
        gone = err
    if gone is not None:
        explained = gone.with_explanation(
            "the parked copy was deleted by another writer meanwhile: nothing of this "
            "create is left in the app, and the next plan shows it as a create"
        )
        return Outcome(change, False, change.schedule_id, str(explained))
    return Outcome(change, True, change.schedule_id)


async def apply_plan(
    plan: Plan,
    client: ScheduleProvider,
    on_outcome: Callable[[Outcome], None] = lambda _: None,
) -> Report:
    """Carry out every change of `plan` (`BATCHES`), batch by batch."""
    outcomes: list[Outcome] = []

    async def run(change: Change) -> None:
        outcome = await _carry_out(change, client)
        outcomes.append(outcome)
        on_outcome(outcome)

    for action in BATCHES:
        batch: Sequence[Awaitable[None]] = [run(c) for c in plan.changes if c.action == action]
        if batch:
            await asyncio.gather(*batch)
    return Report(tuple(outcomes))


def check_still_valid(saved: dict[str, Any], fresh: Plan) -> None:
    """Refuse (StalePlan) unless `fresh` is the plan that was saved and reviewed."""
    if saved.get("format_version") != 1:
        raise StalePlan(
            f"unsupported plan format_version {saved.get('format_version')!r}; re-run plan"
        )
    if saved.get("target") != fresh.target:
        raise StalePlan(f"the plan is for target {saved.get('target')!r}, not {fresh.target!r}")
    check_checksum(str(saved.get("checksum")), fresh, saved.get("summary"), saved.get("settings"))


def check_checksum(
    expected: str, fresh: Plan, saved_summary: Any = None, saved_settings: Any = None
) -> None:
    if expected == fresh.checksum:
        return
    moved = _settings_moved(saved_settings, fresh)
    if isinstance(saved_summary, dict):
        diffs = [
            f"{action} {saved_summary.get(action, 0)} -> {count}"
            for action, count in fresh.summary.items()
            if saved_summary.get(action, 0) != count
        ]
        moved += "; " + (", ".join(diffs) if diffs else "same counts, different contents")
    raise StalePlan(
        f"the plan no longer holds: the remote, the files or the settings changed since it was made "
        f"(saved {expected}, now {fresh.checksum}){moved}; run plan again and review it"
    )


def _settings_moved(saved: Any, fresh: Plan) -> str:
    """The `; settings changed: KEY, …` that says which, when a saved plan's settings are not the fresh plan's."""
    if not isinstance(saved, dict) or fresh.settings is None:
        return ""
    try:
        moved = changes(Settings(saved), fresh.settings)
    except (KeyError, TypeError, AttributeError):
        return "; settings changed"
    return f"; settings changed: {', '.join(c.key for c in moved)}" if moved else ""
