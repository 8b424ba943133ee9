"""`reconciler apply`: carry out the plan (one target, or several after one confirmation)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.common import (
    State,
    force_option,
    global_options,
    now,
    resolve_option,
    target_error,
    worst,
)
from reconciler.config.targets import Target
from reconciler.core.words import plural
from reconciler.errors import ConfigError, PlanRefused, StalePlan
from reconciler.views.plan import FORMATS

if TYPE_CHECKING:
    from reconciler.apply.executor import Outcome
    from reconciler.apply.manager import Seat, SyncOptions, SyncReport, TargetResult
    from reconciler.plan.changes import Plan

__all__ = ["apply"]


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        raise PlanRefused("no terminal to confirm on: pass --auto-approve, or apply a saved plan")
    return click.confirm(question, default=False)


async def _ask_once(waiting: Sequence[tuple[Plan, int]]) -> bool:
    counts = ", ".join(f"{plan.target}: {count}" for plan, count in waiting)
    total = sum(count for _, count in waiting)
    return _ask(f"Apply {plural(total, 'change')} to {plural(len(waiting), 'target')} ({counts})?")


class _Hooks:
    """The CLI's view of one target's sync: the plan, the question, progress lines or a bar."""

    def __init__(self, prefix: str, auto_approve: bool, seat: Seat | None = None) -> None:
        self.prefix, self.auto_approve, self.seat = prefix, auto_approve, seat
        self.bar: Any = None

    def planned(self, plan: Plan) -> None:
        click.echo(FORMATS.render(plan, "text"), nl=False)

    async def confirm(self, plan: Plan, count: int) -> bool:
        if self.auto_approve:
            return True
        if self.seat is not None:
            return await self.seat.confirm(plan, count)
        return _ask(f"Apply {'this change' if count == 1 else f'these {count} changes'}?")

    def applying(self, count: int) -> None:
        if sys.stdout.isatty() and not self.prefix:
            self.bar = click.progressbar(length=count, label="Applying", file=sys.stderr)
            self.bar.__enter__()

    def applied(self, outcome: Outcome) -> None:
        if self.bar is not None:
            self.bar.update(1)
        else:
            click.echo(self.prefix + outcome.line())

    def close(self) -> None:
        """End the bar, if any, whatever happened (the failures are listed after it)."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def show_failed(self, report: SyncReport) -> None:
        if self.bar is not None:  # the bar showed no lines: list what failed
            for outcome in report.failed:
                click.echo(outcome.line())


def _echo_report(report: SyncReport, prefix: str) -> int:
    from reconciler.views.plan import summary_line

    if report.applied is None:
        click.echo(f"{prefix}Nothing to do.")
        return 0
    click.echo(prefix + report.applied.summary())
    if report.failed:
        click.echo(f"{prefix}Some changes failed: run apply again to finish the work.", err=True)
    elif report.verified is not None and report.drifted:
        line = summary_line(report.verified)
        click.echo(f"{prefix}verify: the app does not match the files yet: {line}", err=True)
    elif report.verified is not None:
        click.echo(f"{prefix}Verified: the app matches the files.")
    return 0 if report.ok else 1


async def _apply_all(
    targets: Sequence[Target], options: SyncOptions, auto_approve: bool
) -> list[TargetResult[tuple[SyncReport, str]]]:
    from reconciler.apply.manager import JointApproval, each_target, sync
    from reconciler.desired.read import desired_reader

    approval = JointApproval(_ask_once, len(targets)) if len(targets) > 1 else None
    when = now()
    desired_of = desired_reader(when)

    async def one(target: Target) -> tuple[SyncReport, str]:
        seat = approval.seat() if approval is not None else None
        prefix = f"[{target.name}] " if approval is not None else ""
        hooks = _Hooks(prefix, auto_approve, seat)
        try:
            report = await sync(target, when, options, hooks, desired_of(target))
        finally:
            hooks.close()
            if seat is not None:
                seat.leave()
        hooks.show_failed(report)
        return report, prefix

    return await each_target(targets, one)


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StalePlan(f"{path}: not a saved plan ({err})") from None
    if not isinstance(saved, dict) or "checksum" not in saved:
        raise StalePlan(f"{path}: not a saved plan (no checksum); make one with plan --out")
    return saved


@global_options
@click.command()
@click.argument(
    "planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--checksum", help="Apply only if the plan still has this checksum.")
@force_option
@resolve_option
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Plan again afterwards and fail unless nothing is left to do.",
)
@click.pass_obj
def apply(state: State, /, planfile: Path | None, auto_approve: bool, **options: Any) -> None:
    """Make the app match the files: carry out the plan.

    With PLANFILE (from plan --out) or --checksum, refuse unless the plan made
    now is exactly the one reviewed. After a failure, run it again. Several
    targets are applied concurrently after one confirmation.

    Example: reconciler plan --out plan.json && reconciler apply plan.json
    """
    import asyncio

    from reconciler.apply.manager import SyncOptions

    targets, several = state.targets(), len(state.targets()) > 1
    if several and (planfile is not None or options["checksum"]):
        raise ConfigError("a saved plan or --checksum is for one target: pick it with --target")
    saved = _read_saved_plan(planfile) if planfile else None
    sync_options = SyncOptions(saved=saved, **options)
    results = asyncio.run(_apply_all(targets, sync_options, auto_approve))
    codes = [
        _echo_report(*r.value) if r.value else target_error(r.target, r.error, several)
        for r in results
    ]
    raise SystemExit(worst(codes))
