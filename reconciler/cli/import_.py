"""`reconciler import`: write the app's managed schedules as YAML files."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import State, now
from reconciler.config.targets import Target
from reconciler.documents.load import default_dir

__all__ = ["import_"]


async def _import(target: Target, directory: Path, overwrite: bool) -> tuple[list[Path], list[str]]:
    from reconciler.remote.registry import open_provider
    from reconciler.repo.importer import plan_files, write_files

    async with open_provider(target, now(), writable=False) as client:
        remote = await client.list_schedules()
    files, warnings = plan_files(remote, directory, target.root, target.manage_prefix)
    return write_files(files, target.root, overwrite), warnings


@click.command("import")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the files (default: the fixed part of the schedules glob).",
)
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
@click.pass_obj
def import_(state: State, directory: Path | None, overwrite: bool) -> None:
    """Write the app's managed schedules as YAML files: the start of a repo.

    One file per schedule, named after it, times quoted, the schema modeline
    on top. Planning right after an import shows nothing to do.

    Example: reconciler --target prod import --dir schedules.d
    """
    import asyncio

    target = state.target()
    folder = target.root / (directory or Path(default_dir(target.schedules)))
    written, warnings = asyncio.run(_import(target, folder, overwrite))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in written:
        click.echo(f"wrote {path.relative_to(target.root)}")
    shown = folder.relative_to(target.root) if folder.is_relative_to(target.root) else folder
    click.echo(f"Imported {len(written)} schedule(s) into {shown}.")
