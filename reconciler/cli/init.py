"""`reconciler init`: scaffold a schedules repository."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from reconciler.cli.common import now

__all__ = ["init"]


@click.command()
@click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--action",
    help="The reconciler action to pin the workflows to, OWNER/REPO@<40-hex sha> "
    "(default: the commit this reconciler was built from).",
)
def init(directory: Path, action: str | None) -> None:
    """Scaffold a schedules repository: config, a sample, workflows, pre-commit, README.

    Refuses (exit 1, nothing written) when any file it would write exists. The
    result validates and plans on the embedded emulator at once.

    Example: reconciler init my-schedules && cd my-schedules && reconciler plan
    """
    from reconciler.repo import scaffold

    written = scaffold.write(directory, scaffold.files(now(), action))
    for path in written:
        click.echo(f"wrote {path}")
    # The next steps run in the new repository: say how to get there, unless already there.
    there = directory.resolve() == Path.cwd().resolve()
    steps = "reconciler plan" if there else f"cd {shlex.quote(str(directory))} && reconciler plan"
    click.echo(
        f"Scaffolded {len(written)} files in {directory}. Next: `{steps}`, then read "
        "README.md (environments, secrets, branch protection)."
    )
