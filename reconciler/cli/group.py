"""Command line: parse options, call the library, render, choose the exit code.

Nothing here decides anything: every command is a few calls into the library
(the manager's sync path, the validator, the importer). A `ReconcilerError`
becomes `error: MESSAGE` on stderr and exit 1; nothing a user can cause ends in
a traceback. With several targets (`--target` repeated, `--all-targets`), each
target's result is printed under its name and the exit code is the worst one.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler._version import __version__
from reconciler.cli.common import State, group_options, log_calls
from reconciler.core.diagnostics import labelled
from reconciler.errors import ReconcilerError

__all__ = ["COMMANDS", "main"]


#: Every command by name: "module:function", loaded when named. `validate` must start fast
#: (1000 files in under a second of CPU) and needs neither the sync path, the API client,
#: the other views nor the emulator; `--help` loads them all to list them.
COMMANDS = {
    "apply": "reconciler.cli.apply:apply",
    "calendar": "reconciler.cli.calendar:calendar",
    "ci": "reconciler.cli.ci:ci",
    "emulator": "reconciler.cli.emulator:emulator",
    "health": "reconciler.cli.health:health",
    "history": "reconciler.cli.history:history",
    "import": "reconciler.cli.import_:import_",
    "init": "reconciler.cli.init:init",
    "plan": "reconciler.cli.plan:plan",
    "targets": "reconciler.cli.targets:targets",
    "validate": "reconciler.cli.validate:validate",
}


class _Group(click.Group):
    """Turns our errors into one line and exit 1, whatever the command; loads commands lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, function = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), function), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as err:
            click.echo(labelled("error", str(err)), err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`reconciler validate | head`): stop quietly, and keep
            # Python from failing again on flushing stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as err:
            # A bug of ours, not bad input: still one line, unless -v asks for more.
            if ctx.params.get("verbose") or getattr(ctx.obj, "verbose", 0):
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} (rerun with -v for details, "
                "and please report it)",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@group_options
@click.version_option(__version__, prog_name="reconciler")
@click.pass_context
def main(
    ctx: click.Context,
    config_path: Path | None,
    target_names: tuple[str, ...],
    all_targets: bool,
    chdir: Path | None,
    verbose: int,
) -> None:
    """Declarative GitOps for EngageLab scheduled pushes.

    The global options may also follow the command (`reconciler plan --target
    prod -v`), for every command but init, ci and emulator.

    Example: reconciler --target prod plan
    """
    if chdir is not None:
        os.chdir(chdir)
    if verbose:
        log_calls(verbose)
    ctx.obj = State(config_path, target_names, all_targets, verbose, chdir)
