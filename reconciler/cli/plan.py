"""`reconciler plan`: what apply would change, for one target or several at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
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
from reconciler.errors import ConfigError, PlanRefused
from reconciler.views.plan import FORMATS

if TYPE_CHECKING:
    from reconciler.apply.manager import TargetResult
    from reconciler.plan.changes import Plan

__all__ = ["plan"]


@dataclass(frozen=True)
class _PlanOutput:
    fmt: str
    out: Path | None
    detailed_exitcode: bool
    force: bool
    several: bool

    def show(self, result: TargetResult[Plan]) -> int:
        """Print one target's plan (unless gathered into one JSON list), save it; the exit code."""
        plan = result.value
        if plan is None:
            return target_error(result.target, result.error, self.several)
        if not (self.several and self.fmt == "json"):
            click.echo(FORMATS.render(plan, self.fmt), nl=False)
        if self.out is not None:
            path = Path(str(self.out).replace("{target}", plan.target))
            path.write_text(FORMATS.render(plan, "json"), encoding="utf-8")
        try:
            plan.raise_if_unsafe(self.force)
        except PlanRefused as err:
            return target_error(plan.target, err, self.several)
        return 2 if self.detailed_exitcode and plan.needs_work else 0


def _plans_json(results: Sequence[TargetResult[Plan]]) -> str:
    data = [
        r.value.data() if r.value else {"target": r.target, "error": str(r.error)} for r in results
    ]
    return json.dumps(data, indent=2, ensure_ascii=False)


@global_options
@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also save the plan as JSON, for `reconciler apply FILE` ({target} in the name "
    "stands for the target's name, needed with several targets).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS.names), default="text", show_default=True
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on error.",
)
@force_option
@resolve_option
@click.pass_obj
def plan(state: State, /, resolve_duplicates: str | None, **options: Any) -> None:
    """Show what apply would change: the files against the app's schedules.

    The plan is printed first; then a safety guard may refuse it (exit 1).
    Several targets are planned concurrently, each printed under its name
    (with --format json: one list of plans).

    Example: reconciler --all-targets plan --format markdown --detailed-exitcode
    """
    import asyncio

    from reconciler.apply.manager import each_target, plan_target
    from reconciler.desired.read import desired_reader

    targets, when = state.targets(), now()
    desired_of = desired_reader(when)
    output = _PlanOutput(several=len(targets) > 1, **options)
    if output.several and output.out is not None and "{target}" not in str(output.out):
        raise ConfigError("with several targets, --out needs {target} in the file name")
    results = asyncio.run(
        each_target(
            targets,
            lambda t: plan_target(
                t, when, resolve_duplicates=resolve_duplicates, desired=desired_of(t)
            ),
        )
    )
    if output.several and output.fmt == "json":
        click.echo(_plans_json(results))
    raise SystemExit(worst([output.show(result) for result in results]))
