"""What every command shares: the global options' state, the clock, exit codes, shared options.

A command reads `State` from the click context (`@click.pass_obj`), takes the
planner's clock from `now()` (RECONCILER_NOW, or the wall clock), and reports
several targets' outcomes through `target_error` and `worst`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from reconciler.config.load import load_config
from reconciler.config.targets import Config, Target
from reconciler.core.timing import now_from_env
from reconciler.errors import ConfigError

__all__ = ["State", "force_option", "now", "resolve_option", "target_error", "worst"]

#: Exit codes from best to worst: done, changes pending (--detailed-exitcode), failed.
_SEVERITY = (0, 2, 1)


@dataclass
class State:
    """What the global options resolve to; commands read it from the click context."""

    config_path: Path | None
    target_names: tuple[str, ...]
    all_targets: bool
    verbose: int
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
    where = f"target {target}: " if several else ""
    click.echo(f"error: {where}{error}", err=True)
    return 1
