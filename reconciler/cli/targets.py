"""`reconciler targets`: the configured targets, one per line or as a CI matrix."""

from __future__ import annotations

import json

import click

from reconciler.cli.common import State, global_options

__all__ = ["targets"]


@global_options
@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def targets(state: State, fmt: str) -> None:
    """List the targets of the config: one per line, or JSON for a CI matrix.

    Each JSON entry has the target's name, whether it is the embedded
    emulator (no credentials needed) and the variables its credentials come
    from. Never a credential's value.

    Example: reconciler targets --format json
    """
    config = state.config()
    entries = [
        {
            "name": t.name,
            "local": t.is_local,
            "default": t.name == config.default_target,
            "app_key_env": None if t.is_local else t.app_key_env,
            "master_secret_env": None if t.is_local else t.master_secret_env,
        }
        for t in config.targets.values()
    ]
    if fmt == "json":
        click.echo(json.dumps(entries, separators=(",", ":")))
        return
    for entry in entries:
        click.echo(f"{entry['name']}{' (default)' if entry['default'] else ''}")
