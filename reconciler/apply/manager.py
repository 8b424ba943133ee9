"""Manager: the one sync path every front end calls, for one target or several at once.

Like octoDNS's manager, it holds no rules of its own: validation, planning and
applying live in their modules. Here a target's files are read, its remote is
opened (`open_provider`: the embedded emulator for `endpoint: local`), and the
stages run in order:

    read the files -> plan -> reviewed-plan check -> guards -> confirm -> apply -> verify

`sync` is that path for one target; its hooks (`SyncHooks`) let a front end show
the plan, ask for confirmation and show progress, and it returns a `SyncReport`.
`each_target` runs any such work for several targets concurrently, each with its
own client (so its own rate limit), and keeps each target's error to itself;
`JointApproval` turns their confirmations into one question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from reconciler.apply.executor import Outcome, Report, apply_plan, check_checksum, check_still_valid
from reconciler.config.targets import Target
from reconciler.desired.read import Desired, read_desired
from reconciler.errors import PlanRefused, ReconcilerError
from reconciler.plan.changes import Plan
from reconciler.plan.planner import make_plan
from reconciler.remote import seen
from reconciler.remote.protocol import ScheduleProvider
from reconciler.remote.registry import open_provider

__all__ = [
    "Ask",
    "JointApproval",
    "QuietHooks",
    "Seat",
    "SyncHooks",
    "SyncOptions",
    "SyncReport",
    "TargetResult",
    "check_reviewed",
    "compute_plan",
    "each_target",
    "plan_target",
    "sync",
    "sync_with",
]

T = TypeVar("T")


# --- planning --------------------------------------------------------------------------


async def compute_plan(
    target: Target,
    client: ScheduleProvider,
    desired: Desired,
    now: datetime,
    *,
    resolve_duplicates: str | None = None,
) -> Plan:
    """Read the remote and plan the desired state against it."""
    return make_plan(
        desired.result.schedules,
        await client.list_schedules(),
        target,
        now,
        resolve_duplicates=resolve_duplicates,
        warnings=desired.warnings,
    )


async def plan_target(
    target: Target,
    now: datetime,
    *,
    resolve_duplicates: str | None = None,
    desired: Desired | None = None,
) -> Plan:
    """Read the files (unless `desired` is given), open the target, plan: `reconciler plan`."""
    desired = desired or read_desired(target, now)
    async with open_provider(target, now, writable=False) as client:
        return await compute_plan(
            target, client, desired, now, resolve_duplicates=resolve_duplicates
        )


# --- sync: plan -> guards -> apply -> verify --------------------------------------------


@dataclass(frozen=True)
class SyncOptions:
    """How far a sync may go.

    `saved` (a saved plan's JSON) or `checksum` make it apply only the plan that
    was reviewed, and that review is the approval: no confirmation is asked.
    `force` overrides the safety guards, never a reviewed-plan mismatch.
    """

    saved: Mapping[str, Any] | None = None
    checksum: str | None = None
    force: bool = False
    resolve_duplicates: str | None = None
    verify: bool = True

    @property
    def reviewed(self) -> bool:
        return self.saved is not None or self.checksum is not None


class SyncHooks(Protocol):
    """What a front end sees and decides during a sync (`QuietHooks` shows nothing, approves)."""

    def planned(self, plan: Plan) -> None:
        """The plan, before any check refuses it (so that a refusal can be read against it)."""

    async def confirm(self, plan: Plan, count: int) -> bool:
        """Whether to apply `count` changes; not asked for a reviewed plan or an empty one."""
        ...

    def applying(self, count: int) -> None:
        """Apply starts, with `count` changes to carry out."""

    def applied(self, outcome: Outcome) -> None:
        """One change was carried out, or failed."""


class QuietHooks:
    """Hooks for a caller that has already decided: show nothing, approve."""

    def planned(self, plan: Plan) -> None:
        pass

    async def confirm(self, plan: Plan, count: int) -> bool:
        return True

    def applying(self, count: int) -> None:
        pass

    def applied(self, outcome: Outcome) -> None:
        pass


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: the plan, the apply's outcomes (None: nothing to do) and the re-plan."""

    target: str
    plan: Plan
    applied: Report | None = None
    verified: Plan | None = None

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return self.applied.failed if self.applied else ()

    @property
    def drifted(self) -> bool:
        """Verification found the app still differing from the files."""
        return self.verified is not None and self.verified.needs_work

    @property
    def ok(self) -> bool:
        return not self.failed and not self.drifted


def check_reviewed(plan: Plan, options: SyncOptions) -> None:
    """StalePlan unless `plan` is the one reviewed (when a saved plan or a checksum is given)."""
    if options.saved is not None:
        check_still_valid(dict(options.saved), plan)
    if options.checksum is not None:
        check_checksum(options.checksum, plan)


async def sync_with(
    target: Target,
    client: ScheduleProvider,
    desired: Desired,
    now: datetime,
    options: SyncOptions,
    hooks: SyncHooks,
) -> SyncReport:
    """The sync path on an open client: raises StalePlan or PlanRefused before any change."""
    plan = await compute_plan(
        target, client, desired, now, resolve_duplicates=options.resolve_duplicates
    )
    hooks.planned(plan)
    check_reviewed(plan, options)
    plan.raise_if_unsafe(options.force)
    plan.raise_if_conflicts()
    count = len(plan.to_make)
    if count == 0:
        return SyncReport(target.name, plan)
    if not options.reviewed and not await hooks.confirm(plan, count):
        raise PlanRefused("not applied: declined at the prompt")
    hooks.applying(count)
    report = await apply_plan(plan, client, hooks.applied)
    _remember(target, plan, report, now)
    if report.failed or not options.verify:
        return SyncReport(target.name, plan, report)
    return SyncReport(target.name, plan, report, await compute_plan(target, client, desired, now))


def _remember(target: Target, plan: Plan, report: Report, now: datetime) -> None:
    """Remember the ids of what the app now holds (reconciler.remote.seen), for `health`: a
    one-off push created here may fire and leave the app's list before health next looks.
    A cache: a failure to write it is logged, and changes nothing of the apply."""
    gone = {"delete", "withdraw", "replace"}  # a replace's own id is the one it deleted
    held = [(c.schedule_id, c.name) for c in plan.changes if c.schedule_id and c.action not in gone]
    made = [
        (o.schedule_id, o.change.name)
        for o in report.outcomes
        if o.ok and o.schedule_id and o.change.action not in {"delete", "withdraw"}
    ]
    path = seen.path_for(target.root, target.name)
    try:
        seen.remember(path, target.name, [*held, *made], now)
    except OSError as err:
        logging.getLogger("reconciler").warning(
            "the ids applied could not be remembered in %s: %s", path, err.strerror or err
        )


async def sync(
    target: Target,
    now: datetime,
    options: SyncOptions = SyncOptions(),
    hooks: SyncHooks | None = None,
    desired: Desired | None = None,
) -> SyncReport:
    """Make `target` match its files: read, plan, check, confirm, apply, verify.

    Raises SourceError (the files), StalePlan (not the reviewed plan), PlanRefused
    (a guard, a conflict, a declined confirmation) or an ApiError before anything
    is changed; once apply has started, failures are outcomes in the report.
    """
    desired = desired or read_desired(target, now)
    async with open_provider(target, now) as client:
        return await sync_with(target, client, desired, now, options, hooks or QuietHooks())


# --- several targets at once ------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult(Generic[T]):
    """One target's result, or the error that stopped it (never both)."""

    target: str
    value: T | None = None
    error: ReconcilerError | None = None


async def each_target(
    targets: Sequence[Target], work: Callable[[Target], Awaitable[T]]
) -> list[TargetResult[T]]:
    """Run `work` for every target concurrently; results in the targets' order.

    A ReconcilerError stops only its own target: one broken app must not hide
    what the others have to say.
    """

    async def one(target: Target) -> TargetResult[T]:
        try:
            return TargetResult(target.name, value=await work(target))
        except ReconcilerError as err:
            return TargetResult(target.name, error=err)

    return list(await asyncio.gather(*(one(t) for t in targets)))


Ask = Callable[[Sequence[tuple[Plan, int]]], Awaitable[bool]]


class JointApproval:
    """One confirmation for several concurrent syncs, asked once every one has planned.

    Made for `expected` syncs, each of which takes a `seat()`: its `confirm` (the
    sync's hook) waits here, and its `leave()` (in a `finally`) says the sync is
    over, asked or not. When no sync is still planning, `ask` is called once with
    every waiting plan, in the order they came, and its answer (or its error) is
    everyone's. The count is fixed up front: a sync that plans fast must not be
    asked before a slow one has even started.
    """

    def __init__(self, ask: Ask, expected: int) -> None:
        self._ask = ask
        self._planning = expected
        self._waiting: list[tuple[Plan, int]] = []
        self._answer: asyncio.Future[bool] | None = None
        self._deciding: asyncio.Future[None] | None = None

    def seat(self) -> Seat:
        return Seat(self)

    def _arrive(self, plan: Plan, count: int) -> asyncio.Future[bool]:
        self._waiting.append((plan, count))
        if self._answer is None:
            self._answer = asyncio.get_running_loop().create_future()
        return self._answer

    def _depart(self) -> None:
        self._planning -= 1
        if self._planning == 0 and self._answer is not None and not self._answer.done():
            # Kept: the loop holds tasks only weakly.
            self._deciding = asyncio.ensure_future(self._decide(self._answer))

    async def _decide(self, answer: asyncio.Future[bool]) -> None:
        try:
            answer.set_result(await self._ask(list(self._waiting)))
        except Exception as err:  # e.g. PlanRefused("no terminal"): every waiting sync sees it
            answer.set_exception(err)


class Seat:
    """One sync's place at a JointApproval."""

    def __init__(self, approval: JointApproval) -> None:
        self._approval = approval
        self._gone = False

    async def confirm(self, plan: Plan, count: int) -> bool:
        answer = self._approval._arrive(plan, count)
        self.leave()
        return await answer

    def leave(self) -> None:
        if not self._gone:
            self._gone = True
            self._approval._depart()
