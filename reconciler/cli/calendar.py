"""`reconciler calendar`: when the desired pushes fire, with the policies they break."""

from __future__ import annotations

import click

from reconciler.cli.common import State, global_options, now
from reconciler.views.calendar import FORMATS

__all__ = ["calendar"]


@global_options
@click.command()
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    help="How many days from now (default: policies.horizon_days, else 30).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS.names), default="text", show_default=True
)
@click.pass_obj
def calendar(state: State, days: int | None, fmt: str) -> None:
    """Show when the desired pushes fire, with the policies they break.

    Offline, like validate. `ics` imports into Google Calendar or Outlook;
    `html` is one self-contained page (a month grid coloured by audience).

    Example: reconciler calendar --days 14 --format html > calendar.html
    """
    from reconciler.views.calendar.model import build

    click.echo(FORMATS.render(build(state.target(), now(), days), fmt), nl=False)
