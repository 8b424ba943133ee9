"""What every command shares: the global options' state, the clock, exit codes, shared options.

A command reads `State` from the click context (`@click.pass_obj`), takes the
planner's clock from `now()` (RECONCILER_NOW, or the wall clock), and reports
several targets' outcomes through `target_error` and `worst`.

The global options (`--config`, `--target`, `--all-targets`, `--chdir`, `-v`)
are defined once, in `GLOBAL_OPTIONS`: the group takes them before the command
(`group_options`), and every command that reads the configuration takes them
after it too (`global_options`), as Terraform and kubectl users type them:
`reconciler plan --target prod -v` is `reconciler --target prod -v plan`. Given
on both sides, `--target` adds up, `-v` counts up, and `--config` or `--chdir`
must agree.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from reconciler.config.load import load_config
from reconciler.config.targets import Config, Target
from reconciler.core.diagnostics import labelled
from reconciler.core.timing import now_from_env
from reconciler.errors import ConfigError

__all__ = [
    "GLOBAL_OPTIONS",
    "State",
    "force_option",
    "global_options",
    "group_options",
    "log_calls",
    "now",
    "resolve_option",
    "target_error",
    "worst",
]

#: Exit codes from best to worst: done, changes pending (--detailed-exitcode), failed.
_SEVERITY = (0, 2, 1)


@dataclass
class State:
    """What the global options resolve to; commands read it from the click context."""

    config_path: Path | None
    target_names: tuple[str, ...]
    all_targets: bool
    verbose: int
    chdir: Path | None = None
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path, Path.cwd())
        return self._config

    def targets(self) -> list[Target]:
        """The chosen targets: every one, the named ones, or the default one."""
        config = self.config()
        if self.all_targets:
            return list(config.targets.values())
        names = dict.fromkeys(self.target_names) or [None]
        return [config.target(name) for name in names]

    def target(self) -> Target:
        """The one target of a command that works on one target only."""
        chosen = self.targets()
        if len(chosen) > 1:
            raise ConfigError("this command works on one target: pick it with --target NAME")
        return chosen[0]


def now() -> datetime:
    try:
        return now_from_env()
    except ValueError as err:
        raise ConfigError(str(err)) from None


def worst(codes: Sequence[int]) -> int:
    return max(codes, key=_SEVERITY.index, default=0)


# Shared by plan and apply: the same words must mean the same thing in both.
force_option = click.option(
    "--force", is_flag=True, help="Do not refuse when a safety guard trips."
)
resolve_option = click.option(
    "--resolve-duplicates",
    type=click.Choice(["keep-oldest"]),
    help="Delete (plan: plan to delete) all but the oldest of remote schedules sharing a name.",
)


def target_error(target: str, error: BaseException | None, several: bool) -> int:
    """`error: MESSAGE` (a diagnostic, `FILE:LINE:COL: error: …`, as it is), under the
    target's name when there are several; exit code 1."""
    where = f"target {target}: " if several else ""
    click.echo(labelled("error", f"{where}{error}"), err=True)
    return 1


def log_calls(verbose: int) -> None:
    """-v: log each API call (method, path, status, timing) to stderr; -vv: httpx's too."""
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger().setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    logging.getLogger("reconciler").setLevel(logging.DEBUG)
    # Our client logs each call once; httpx's own lines only with -vv.
    for noisy in ("httpx", "httpcore", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)


#: The global options, once: (declarations, settings) of each.
GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--config", "config_path"),
        {
            "type": click.Path(dir_okay=False, path_type=Path),
            "help": "Config file (default: ./reconciler.yaml if present, else the defaults).",
        },
    ),
    (
        ("--target", "target_names"),
        {
            "multiple": True,
            "help": "Target in the config (default: default_target); repeat it for several.",
        },
    ),
    (("--all-targets",), {"is_flag": True, "help": "Every target of the config."}),
    (
        ("--chdir",),
        {
            "type": click.Path(file_okay=False, exists=True, path_type=Path),
            "help": "Work in this directory, as if started there.",
        },
    ),
    (
        ("-v", "--verbose"),
        {"count": True, "help": "Log API calls (method, path, status, timing)."},
    ),
)
_AFTER = (
    "Global options (--config, --target, --all-targets, --chdir, -v) may come before or "
    "after the command: see `reconciler --help`."
)

F = Callable[..., Any]


def group_options(function: F) -> F:
    """The global options, on the group (before the command)."""
    for declarations, settings in reversed(GLOBAL_OPTIONS):
        function = click.option(*declarations, **settings)(function)
    return function


def _once(state: State, name: str, value: Path) -> None:
    given = getattr(state, name)
    if given is not None and Path(given) != Path(value):
        flag = "--config" if name == "config_path" else "--chdir"
        raise click.UsageError(f"{flag} given before and after the command, with different values")


def _after_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the command: into the group's State, as if given before."""
    state = ctx.find_object(State)
    if ctx.resilient_parsing or state is None or value in (None, (), False, 0):
        return
    if param.name == "target_names":
        state.target_names += tuple(value)
    elif param.name == "all_targets":
        state.all_targets = True
    elif param.name == "verbose":
        state.verbose += value
        log_calls(state.verbose)
    elif param.name == "config_path":
        _once(state, "config_path", value)
        state.config_path = value
    elif param.name == "chdir":
        _once(state, "chdir", value)
        if state.chdir is None:
            os.chdir(value)
            state.chdir = value


def global_options(command: click.Command) -> click.Command:
    """`command` takes the global options after its name too (hidden in its help, which
    says so): put it above `@click.command()`."""
    for declarations, settings in GLOBAL_OPTIONS:
        command.params.append(
            click.Option(
                declarations, **settings, expose_value=False, hidden=True, callback=_after_command
            )
        )
    command.epilog = f"{command.epilog}\n\n{_AFTER}" if command.epilog else _AFTER
    return command
