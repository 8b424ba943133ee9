"""Command line: parse options, call the library, render, choose the exit code.

Nothing here decides anything: every command is a few calls into the
library. A `ReconcilerError` becomes `error: MESSAGE` on stderr and exit 1;
nothing a user can cause ends in a traceback.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import __version__
from reconciler.config import Config, Target, load_config
from reconciler.errors import ConfigError, PlanRefused, ReconcilerError, StalePlan
from reconciler.timing import now_from_env
from reconciler.validate import validate_target

if TYPE_CHECKING:
    from reconciler.plan import Plan

# `validate` must start fast (1000 files in under a second of CPU) and needs
# neither the API client nor the emulator: the commands that do import them
# when they run, and the emulator group is loaded only when named.
_LAZY_COMMANDS = {"emulator": "reconciler.emulator.cli"}

FORMATS = ("text", "markdown", "json")


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
    """Turns our errors into one line and exit 1, whatever the command; loads heavy groups lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(_LAZY_COMMANDS[cmd_name])
            self.add_command(getattr(module, cmd_name))
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
        # Our client logs each call once; httpx's own lines only with -vv.
        for noisy in ("httpx", "httpcore", "uvicorn"):
            logging.getLogger(noisy).setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
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


@main.command()
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


def render_plan(plan: Plan, fmt: str) -> str:
    from reconciler.render import render_json, render_markdown, render_text

    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, colour=True)


async def _plan(target: Target, when: datetime, resolve: str | None) -> Plan:
    from reconciler.manager import compute_plan, open_client, read_desired

    desired = read_desired(target, when)
    async with open_client(target, when) as client:
        plan, _ = await compute_plan(target, client, desired, when, resolve_duplicates=resolve)
    return plan


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also save the plan as JSON, for `reconciler apply FILE`.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on error.",
)
@click.option("--force", is_flag=True, help="Do not refuse when a safety guard trips.")
@click.option(
    "--resolve-duplicates",
    type=click.Choice(["keep-oldest"]),
    help="Plan to delete all but the oldest of remote schedules sharing a name.",
)
@click.pass_obj
def plan(
    state: State,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    force: bool,
    resolve_duplicates: str | None,
) -> None:
    """Show what apply would change: the files against the app's schedules.

    The plan is printed first; then a safety guard may refuse it (exit 1).

    Example: reconciler plan --format markdown --detailed-exitcode
    """
    target = state.target()
    import asyncio

    result = asyncio.run(_plan(target, now(), resolve_duplicates))
    click.echo(render_plan(result, fmt), nl=False)
    if out is not None:
        out.write_text(render_plan(result, "json"), encoding="utf-8")
    result.raise_if_unsafe(force)
    if detailed_exitcode and (result.has_changes or result.conflicts):
        raise SystemExit(2)


async def _import(target: Target, directory: Path, overwrite: bool) -> tuple[list[Path], list[str]]:
    from reconciler.importer import plan_files, write_files
    from reconciler.manager import open_client

    async with open_client(target, now()) as client:
        remote = await client.list_schedules()
    files, warnings = plan_files(remote, directory, target.root, target.manage_prefix)
    return write_files(files, target.root, overwrite), warnings


@main.command("import")
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

    from reconciler.importer import default_dir

    target = state.target()
    folder = target.root / (directory or Path(default_dir(target.schedules)))
    written, warnings = asyncio.run(_import(target, folder, overwrite))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in written:
        click.echo(f"wrote {path.relative_to(target.root)}")
    click.echo(
        f"Imported {len(written)} schedule(s) into {folder.relative_to(target.root) if folder.is_relative_to(target.root) else folder}."
    )


async def _history(target: Target, ref: str) -> tuple[str, str, list[Any]]:
    from reconciler.history import runs_of
    from reconciler.manager import open_client

    async with open_client(target, now()) as client:
        return await runs_of(client, ref)


@main.command()
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def history(state: State, name: str, fmt: str) -> None:
    """Show the runs of one schedule (its msg-ids), newest first.

    NAME is the schedule's name, or its schedule id (an expired schedule
    leaves the list, but its runs stay readable by id). Failed runs show the
    error code and its meaning.

    Example: reconciler history weekly_digest --format json
    """
    import asyncio

    from reconciler import history as runs_view

    target = state.target()
    found_name, schedule_id, runs = asyncio.run(_history(target, name))
    site = target.site_zone
    if fmt == "json":
        click.echo(
            json.dumps(
                runs_view.render_json(found_name, schedule_id, runs, site),
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(
            runs_view.render_text(found_name, schedule_id, runs, site, target.site_timezone),
            nl=False,
        )


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StalePlan(f"{path}: not a saved plan ({err})") from None
    if not isinstance(saved, dict) or "checksum" not in saved:
        raise StalePlan(f"{path}: not a saved plan (no checksum); make one with plan --out")
    return saved


@dataclass(frozen=True)
class ApplyOptions:
    saved: dict[str, Any] | None
    checksum: str | None
    auto_approve: bool
    force: bool
    resolve_duplicates: str | None
    verify: bool


def _confirm(options: ApplyOptions, count: int) -> None:
    if options.auto_approve or options.saved is not None or options.checksum is not None:
        return  # a reviewed plan (file or checksum) is the approval
    if not sys.stdin.isatty():
        raise PlanRefused("no terminal to confirm on: pass --auto-approve, or apply a saved plan")
    if not click.confirm(f"Apply these {count} change(s)?", default=False):
        raise PlanRefused("not applied: declined at the prompt")


async def _apply(target: Target, when: datetime, options: ApplyOptions) -> bool:
    from reconciler.apply import (
        apply_plan,
        changes_to_make,
        check_checksum,
        check_still_valid,
    )
    from reconciler.manager import compute_plan, open_client, read_desired
    from reconciler.render import render_text, summary_line

    desired = read_desired(target, when)
    async with open_client(target, when) as client:
        plan, _ = await compute_plan(
            target, client, desired, when, resolve_duplicates=options.resolve_duplicates
        )
        click.echo(render_text(plan, colour=True), nl=False)
        if options.saved is not None:
            check_still_valid(options.saved, plan)
        if options.checksum is not None:
            check_checksum(options.checksum, plan)
        plan.raise_if_unsafe(options.force)
        if plan.conflicts:
            names = ", ".join(c.name for c in plan.conflicts)
            raise PlanRefused(
                f"{len(plan.conflicts)} name(s) shared by several remote schedules ({names}): "
                "resolve them by hand or pass --resolve-duplicates keep-oldest"
            )
        count = changes_to_make(plan)
        if count == 0:
            click.echo("Nothing to do.")
            return True
        _confirm(options, count)
        if sys.stdout.isatty():
            with click.progressbar(length=count, label="Applying", file=sys.stderr) as bar:
                report = await apply_plan(plan, client, lambda _: bar.update(1))
            for outcome in report.failed:
                click.echo(outcome.line())
        else:
            report = await apply_plan(plan, client, lambda o: click.echo(o.line()))
        click.echo(report.summary())
        if report.failed:
            click.echo("Some changes failed: run apply again to finish the work.", err=True)
            return False
        if options.verify:
            fresh, _ = await compute_plan(target, client, desired, when)
            if fresh.has_changes or fresh.conflicts:
                click.echo(
                    f"verify: the app does not match the files yet: {summary_line(fresh)}", err=True
                )
                return False
            click.echo("Verified: the app matches the files.")
    return True


@main.command()
@click.argument(
    "planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--checksum", help="Apply only if the plan still has this checksum.")
@click.option("--force", is_flag=True, help="Do not refuse when a safety guard trips.")
@click.option(
    "--resolve-duplicates",
    type=click.Choice(["keep-oldest"]),
    help="Delete all but the oldest of remote schedules sharing a name.",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Plan again afterwards and fail unless nothing is left to do.",
)
@click.pass_obj
def apply(
    state: State,
    planfile: Path | None,
    auto_approve: bool,
    checksum: str | None,
    force: bool,
    resolve_duplicates: str | None,
    verify: bool,
) -> None:
    """Make the app match the files: carry out the plan.

    With PLANFILE (from plan --out) or --checksum, refuse unless the plan made
    now is exactly the one reviewed. After a failure, run it again.

    Example: reconciler plan --out plan.json && reconciler apply plan.json
    """
    options = ApplyOptions(
        saved=_read_saved_plan(planfile) if planfile else None,
        checksum=checksum,
        auto_approve=auto_approve,
        force=force,
        resolve_duplicates=resolve_duplicates,
        verify=verify,
    )
    import asyncio

    if not asyncio.run(_apply(state.target(), now(), options)):
        raise SystemExit(1)


@main.command()
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    help="How many days from now (default: policies.horizon_days, else 30).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "ics", "html"]),
    default="text",
    show_default=True,
)
@click.pass_obj
def calendar(state: State, days: int | None, fmt: str) -> None:
    """Show when the desired pushes fire, with the policies they break.

    Offline, like validate. `ics` imports into Google Calendar or Outlook;
    `html` is one self-contained page (a month grid coloured by audience).

    Example: reconciler calendar --days 14 --format html > calendar.html
    """
    from reconciler.calendar import build, render

    click.echo(render(build(state.target(), now(), days), fmt), nl=False)
