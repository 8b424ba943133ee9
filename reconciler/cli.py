"""Command line: parse options, call the library, render, choose the exit code.

Nothing here decides anything: every command is a few calls into the
library. A `ReconcilerError` becomes `error: MESSAGE` on stderr and exit 1;
nothing a user can cause ends in a traceback.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.config import Config, Target, load_config
from reconciler.emulator.cli import emulator
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.timing import now_from_env
from reconciler.validate import validate_target


@dataclass
class State:
    """What the global options resolve to; commands read it from the click context."""

    config_path: Path | None
    target_name: str | None
    verbose: int

    def config(self) -> Config:
        return load_config(self.config_path, Path.cwd())

    def target(self) -> Target:
        return self.config().target(self.target_name)


def now() -> datetime:
    try:
        return now_from_env()
    except ValueError as err:
        raise ConfigError(str(err)) from None


class _Group(click.Group):
    """Turns our errors into one line and exit 1, whatever the command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: ./reconciler.yaml if present, else the defaults).",
)
@click.option("--target", "target_name", help="Target in the config (default: default_target).")
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
    target_name: str | None,
    chdir: Path | None,
    verbose: int,
) -> None:
    """Declarative GitOps for EngageLab scheduled pushes.

    Example: reconciler --target prod plan
    """
    if chdir is not None:
        os.chdir(chdir)
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("reconciler").setLevel(logging.DEBUG)
    ctx.obj = State(config_path, target_name, verbose)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def validate(state: State, fmt: str) -> None:
    """Check the schedule files offline: schema, documented rules, unique names.

    Needs no credentials. Exit 0 when there are no errors (warnings are
    printed), 1 otherwise.

    Example: reconciler validate --format json
    """
    target = state.target()
    loaded, result = validate_target(target, now())
    diagnostics = list(result.diagnostics)
    if not loaded.files:
        message = f"no schedules found under {target.schedules}"
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "files": 0, "schedules": 0, "error": message}))
            raise SystemExit(1)
        raise ConfigError(message)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if fmt == "json":
        payload = {
            "valid": errors == 0,
            "files": len(loaded.files),
            "schedules": len(result.schedules),
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for diagnostic in diagnostics:
            click.echo(str(diagnostic))
        click.echo(
            f"{len(loaded.files)} files, {len(result.schedules)} valid schedules: "
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
    if errors:
        raise SystemExit(1)


main.add_command(emulator)
