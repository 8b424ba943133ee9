"""`reconciler history`: the runs (msg-ids) of one schedule, newest first."""

from __future__ import annotations

from collections.abc import Sequence

import click

from reconciler.cli.common import State, global_options, now
from reconciler.config.targets import Target
from reconciler.remote.protocol import Run
from reconciler.views.history import FORMATS, History

__all__ = ["history"]


async def _history(target: Target, ref: str) -> tuple[str, str, Sequence[Run]]:
    from reconciler.remote.history import runs_of
    from reconciler.remote.registry import open_provider

    async with open_provider(target, now(), writable=False) as remote:
        return await runs_of(remote, ref)


@global_options
@click.command()
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS.names), default="text", show_default=True
)
@click.pass_obj
def history(state: State, name: str, fmt: str) -> None:
    """Show the runs of one schedule (its msg-ids), newest first.

    NAME is the schedule's name, or its schedule id (an expired schedule
    leaves the list, but its runs stay readable by id). Failed runs show the
    error code and its meaning.

    Example: reconciler history weekly_digest --format json
    """
    import asyncio

    target = state.target()
    found_name, schedule_id, runs = asyncio.run(_history(target, name))
    shown = History(found_name, schedule_id, runs, target.site_zone, target.site_timezone)
    click.echo(FORMATS.render(shown, fmt), nl=False)
