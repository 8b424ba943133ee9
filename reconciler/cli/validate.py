"""`reconciler validate`: check the schedule files offline, for one target or several."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from reconciler.cli.common import State, global_options, now
from reconciler.config.targets import Target
from reconciler.desired.read import Desired, desired_reader, load_desired
from reconciler.errors import ReconcilerError
from reconciler.views.validation import FORMATS, Validation

__all__ = ["validate"]


def _validation(target: Target, desired_of: Callable[[Target], Desired]) -> Validation:
    try:
        return Validation(desired_of(target))
    except ReconcilerError as err:
        return Validation(None, str(err))


def _echo(name: str, result: Validation, fmt: str, several: bool) -> None:
    if several:
        click.echo(f"== target {name}")
    if result.error is not None and fmt == "text":
        click.echo(f"error: {result.error}", err=True)  # the text view leaves errors to stderr
    else:
        click.echo(FORMATS.render(result, fmt), nl=False)


@global_options
@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS.names), default="text", show_default=True
)
@click.pass_obj
def validate(state: State, fmt: str) -> None:
    """Check the schedule files offline: schema, documented rules, unique names.

    Needs no credentials. Exit 0 when there are no errors (warnings are
    printed), 1 otherwise. With several targets, each is checked with its own
    settings (prefix, zone, glob) and shown under its name.

    Example: reconciler validate --format json
    """
    targets = state.targets()
    desired_of = desired_reader(now(), load_desired)
    results = {t.name: _validation(t, desired_of) for t in targets}
    if len(targets) > 1 and fmt == "json":  # one object, the reports by target
        reports = {name: result.report() for name, result in results.items()}
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        for name, result in results.items():
            _echo(name, result, fmt, several=len(targets) > 1)
    if not all(result.valid for result in results.values()):
        raise SystemExit(1)
