"""Command line: parse options, call the library, render, choose the exit code.

Nothing here decides anything: every command is a few calls into the library
(the manager's sync path, the validator, the importer). A `ReconcilerError`
becomes `error: MESSAGE` on stderr and exit 1; nothing a user can cause ends in
a traceback. With several targets (`--target` repeated, `--all-targets`), each
target's result is printed under its name and the exit code is the worst one.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler._version import __version__
from reconciler.cli.common import State
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
            click.echo(f"error: {err}", err=True)
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
            if ctx.params.get("verbose"):
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} (rerun with -v for details, "
                "and please report it)",
                err=True,
            )
            ctx.exit(1)


def _log_calls(verbose: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("reconciler").setLevel(logging.DEBUG)
    # Our client logs each call once; httpx's own lines only with -vv.
    for noisy in ("httpx", "httpcore", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: ./reconciler.yaml if present, else the defaults).",
)
@click.option(
    "--target",
    "target_names",
    multiple=True,
    help="Target in the config (default: default_target); repeat it for several.",
)
@click.option("--all-targets", is_flag=True, help="Every target of the config.")
@click.option(
    "--chdir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Work in this directory, as if started there.",
)
@click.option("-v", "--verbose", count=True, help="Log API calls (method, path, status, timing).")
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

    Example: reconciler --target prod plan
    """
    if chdir is not None:
        os.chdir(chdir)
    if verbose:
        _log_calls(verbose)
    ctx.obj = State(config_path, target_names, all_targets, verbose)
