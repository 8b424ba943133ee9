"""`reconciler import`: write the app's managed schedules as YAML files."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import State, global_options, now
from reconciler.config.targets import Target
from reconciler.core.diagnostics import labelled
from reconciler.core.words import plural
from reconciler.documents.load import default_dir

__all__ = ["import_"]


async def _import(target: Target, directory: Path, overwrite: bool) -> tuple[list[Path], list[str]]:
    from reconciler.remote.registry import open_provider
    from reconciler.repo.importer import declared_names, plan_files, write_files

    declared = declared_names(target.root, target.schedules, target.max_file_bytes)
    async with open_provider(target, now(), writable=False) as client:
        remote = await client.list_schedules()
    files, warnings = plan_files(
        remote,
        directory,
        target.root,
        target.manage_prefix,
        schedules=target.schedules,
        declared=declared,
    )
    return write_files(files, target.root, overwrite), warnings


@global_options
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
    on top. Planning right after an import shows nothing to do. All or nothing:
    refused (nothing written) when --dir lies outside the repository, when a
    file of the repository already declares a schedule's name, or when a file
    exists (unless --overwrite).

    Example: reconciler --target prod import --dir schedules.d
    """
    import asyncio

    from reconciler.repo.importer import import_folder

    target = state.target()
    folder = import_folder(target.root, directory or Path(default_dir(target.schedules)))
    written, warnings = asyncio.run(_import(target, folder, overwrite))
    for warning in warnings:
        click.echo(labelled("warning", warning), err=True)
    for path in written:
        click.echo(f"wrote {path.relative_to(target.root)}")
    shown = folder.relative_to(target.root)
    click.echo(f"Imported {plural(len(written), 'schedule')} into {shown}.")
