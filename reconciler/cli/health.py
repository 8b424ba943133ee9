"""`reconciler health`: did the pushes go out? Expected fires against the runs the app recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from reconciler.cli.common import State, global_options, now, target_error, worst
from reconciler.errors import ConfigError
from reconciler.health.window import parse_duration
from reconciler.views.health import FORMATS

if TYPE_CHECKING:
    from reconciler.apply.manager import TargetResult
    from reconciler.health.report import Health

__all__ = ["health", "since_option"]


@dataclass(frozen=True)
class _Output:
    fmt: str
    detailed_exitcode: bool
    several: bool

    def show(self, result: TargetResult[Health]) -> int:
        """Print one target's health (unless gathered into one JSON list); its exit code."""
        found = result.value
        if found is None:
            return target_error(result.target, result.error, self.several)
        if not (self.several and self.fmt == "json"):
            click.echo(FORMATS.render(found, self.fmt), nl=False)
        return 2 if self.detailed_exitcode and not found.healthy else 0


def since_option(text: str) -> timedelta:
    """`--since`'s value, or a ConfigError (exit 1) saying what a duration looks like."""
    try:
        return parse_duration(text)
    except ValueError as err:
        # Exit 1 (not click's usage error, 2, which --detailed-exitcode gives another meaning).
        raise ConfigError(f"--since: {err}") from None


def _all_json(results: Sequence[TargetResult[Health]]) -> str:
    from reconciler.views.health import data

    found = [
        data(r.value) if r.value else {"target": r.target, "error": str(r.error)} for r in results
    ]
    return json.dumps(found, indent=2, ensure_ascii=False)


@global_options
@click.command()
@click.option(
    "--since",
    default="7d",
    show_default=True,
    metavar="DURATION",
    help="How far back: the fires due since then (7d, 36h, 90m; at most 31d).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS.names), default="text", show_default=True
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when every push due went out, 2 when one failed or was missed, 1 on error.",
)
@click.pass_obj
def health(state: State, since: str, fmt: str, detailed_exitcode: bool) -> None:
    """Show whether the pushes went out: expected fires against the app's recorded runs.

    Each managed schedule is ok, failed (with the error code and its meaning),
    missed, unexpected (a run no fire explains), quiet (nothing was due) or
    unchecked. Text shows one line per schedule with a problem; several
    targets are checked concurrently (with --format json: one list).

    Example: reconciler health --since 36h --format markdown --detailed-exitcode
    """
    import asyncio

    from reconciler.apply.manager import each_target
    from reconciler.desired.read import desired_reader
    from reconciler.health.check import health_target

    window, targets, when = since_option(since), state.targets(), now()
    desired_of = desired_reader(when)
    output = _Output(fmt, detailed_exitcode, several=len(targets) > 1)
    results = asyncio.run(
        each_target(targets, lambda t: health_target(t, when, window, desired_of))
    )
    if output.several and fmt == "json":
        click.echo(_all_json(results))
    raise SystemExit(worst([output.show(result) for result in results]))
