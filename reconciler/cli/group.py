"""Command line: parse options, call the library, render, choose the exit code.

Nothing here decides anything: every command is a few calls into the library
(the manager's sync path, the validator, the importer). A `ReconcilerError`
becomes `error: MESSAGE` on stderr and exit 1; nothing a user can cause ends in
a traceback. With several targets (`--target` repeated, `--all-targets`), each
target's result is printed under its name and the exit code is the worst one.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import __version__
from reconciler.config.load import Config, Target, load_config
from reconciler.core.timing import now_from_env
from reconciler.errors import ConfigError, PlanRefused, ReconcilerError, StalePlan

if TYPE_CHECKING:
    from reconciler.apply.executor import Outcome
    from reconciler.apply.manager import Seat, SyncOptions, SyncReport, TargetResult
    from reconciler.desired.validate import Desired
    from reconciler.plan.planner import Plan

# `validate` must start fast (1000 files in under a second of CPU) and needs
# neither the API client nor the emulator: the commands that do import them
# when they run, and the emulator group is loaded only when named.
_LAZY_COMMANDS = {"emulator": "reconciler.cli.emulator", "ci": "reconciler.cli.ci"}

FORMATS = ("text", "markdown", "json")
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


# --- validate ----------------------------------------------------------------------------


def _validation(
    target: Target, desired_of: Callable[[Target], Desired]
) -> tuple[Desired | None, str | None]:
    try:
        return desired_of(target), None
    except ReconcilerError as err:
        return None, str(err)


def _validation_json(desired: Desired | None, error: str | None) -> dict[str, Any]:
    if desired is None:
        return {"valid": False, "files": 0, "schedules": 0, "error": error}
    diagnostics = desired.result.diagnostics
    errors = sum(d.severity == "error" for d in diagnostics)
    return {
        "valid": errors == 0,
        "files": len(desired.loaded.files),
        "schedules": len(desired.result.schedules),
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": [d.to_json() for d in diagnostics],
    }


def _echo_validation(desired: Desired | None, error: str | None) -> None:
    if desired is None:
        click.echo(f"error: {error}", err=True)
        return
    for diagnostic in desired.result.diagnostics:
        click.echo(str(diagnostic))
    report = _validation_json(desired, None)
    errors, warnings = report["errors"], report["warnings"]
    click.echo(
        f"{report['files']} files, {report['schedules']} valid schedules: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def validate(state: State, fmt: str) -> None:
    """Check the schedule files offline: schema, documented rules, unique names.

    Needs no credentials. Exit 0 when there are no errors (warnings are
    printed), 1 otherwise. With several targets, each is checked with its own
    settings (prefix, zone, glob) and shown under its name.

    Example: reconciler validate --format json
    """
    from reconciler.desired.validate import desired_reader, load_desired

    targets = state.targets()
    desired_of = desired_reader(now(), load_desired)
    results = {t.name: _validation(t, desired_of) for t in targets}
    reports = {name: _validation_json(*result) for name, result in results.items()}
    if fmt == "json":
        shown = reports if len(targets) > 1 else next(iter(reports.values()))
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        for name, result in results.items():
            if len(targets) > 1:
                click.echo(f"== target {name}")
            _echo_validation(*result)
    if not all(report["valid"] for report in reports.values()):
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


# --- plan --------------------------------------------------------------------------------

# Shared by plan and apply: the same words must mean the same thing in both.
_force_option = click.option(
    "--force", is_flag=True, help="Do not refuse when a safety guard trips."
)
_resolve_option = click.option(
    "--resolve-duplicates",
    type=click.Choice(["keep-oldest"]),
    help="Delete (plan: plan to delete) all but the oldest of remote schedules sharing a name.",
)


def render_plan(plan: Plan, fmt: str) -> str:
    from reconciler.views.plan import render_json, render_markdown, render_text

    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, colour=True)


def _target_error(target: str, error: BaseException | None, several: bool) -> int:
    where = f"target {target}: " if several else ""
    click.echo(f"error: {where}{error}", err=True)
    return 1


@dataclass(frozen=True)
class _PlanOutput:
    fmt: str
    out: Path | None
    detailed_exitcode: bool
    force: bool
    several: bool

    def show(self, result: TargetResult[Plan]) -> int:
        """Print one target's plan (unless gathered into one JSON list), save it; the exit code."""
        plan = result.value
        if plan is None:
            return _target_error(result.target, result.error, self.several)
        if not (self.several and self.fmt == "json"):
            click.echo(render_plan(plan, self.fmt), nl=False)
        if self.out is not None:
            path = Path(str(self.out).replace("{target}", plan.target))
            path.write_text(render_plan(plan, "json"), encoding="utf-8")
        try:
            plan.raise_if_unsafe(self.force)
        except PlanRefused as err:
            return _target_error(plan.target, err, self.several)
        return 2 if self.detailed_exitcode and plan.needs_work else 0


def _plans_json(results: Sequence[TargetResult[Plan]]) -> str:
    data = [
        r.value.data() if r.value else {"target": r.target, "error": str(r.error)} for r in results
    ]
    return json.dumps(data, indent=2, ensure_ascii=False)


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also save the plan as JSON, for `reconciler apply FILE` ({target} in the name "
    "stands for the target's name, needed with several targets).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on error.",
)
@_force_option
@_resolve_option
@click.pass_obj
def plan(state: State, /, resolve_duplicates: str | None, **options: Any) -> None:
    """Show what apply would change: the files against the app's schedules.

    The plan is printed first; then a safety guard may refuse it (exit 1).
    Several targets are planned concurrently, each printed under its name
    (with --format json: one list of plans).

    Example: reconciler --all-targets plan --format markdown --detailed-exitcode
    """
    import asyncio

    from reconciler.apply.manager import each_target, plan_target
    from reconciler.desired.validate import desired_reader

    targets, when = state.targets(), now()
    desired_of = desired_reader(when)
    output = _PlanOutput(several=len(targets) > 1, **options)
    if output.several and output.out is not None and "{target}" not in str(output.out):
        raise ConfigError("with several targets, --out needs {target} in the file name")
    results = asyncio.run(
        each_target(
            targets,
            lambda t: plan_target(
                t, when, resolve_duplicates=resolve_duplicates, desired=desired_of(t)
            ),
        )
    )
    if output.several and output.fmt == "json":
        click.echo(_plans_json(results))
    raise SystemExit(worst([output.show(result) for result in results]))


# --- apply -------------------------------------------------------------------------------


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        raise PlanRefused("no terminal to confirm on: pass --auto-approve, or apply a saved plan")
    return click.confirm(question, default=False)


async def _ask_once(waiting: Sequence[tuple[Plan, int]]) -> bool:
    counts = ", ".join(f"{plan.target}: {count}" for plan, count in waiting)
    total = sum(count for _, count in waiting)
    return _ask(f"Apply these {total} change(s) to {len(waiting)} target(s) ({counts})?")


class _Hooks:
    """The CLI's view of one target's sync: the plan, the question, progress lines or a bar."""

    def __init__(self, prefix: str, auto_approve: bool, seat: Seat | None = None) -> None:
        self.prefix, self.auto_approve, self.seat = prefix, auto_approve, seat
        self.bar: Any = None

    def planned(self, plan: Plan) -> None:
        click.echo(render_plan(plan, "text"), nl=False)

    async def confirm(self, plan: Plan, count: int) -> bool:
        if self.auto_approve:
            return True
        if self.seat is not None:
            return await self.seat.confirm(plan, count)
        return _ask(f"Apply these {count} change(s)?")

    def applying(self, count: int) -> None:
        if sys.stdout.isatty() and not self.prefix:
            self.bar = click.progressbar(length=count, label="Applying", file=sys.stderr)
            self.bar.__enter__()

    def applied(self, outcome: Outcome) -> None:
        if self.bar is not None:
            self.bar.update(1)
        else:
            click.echo(self.prefix + outcome.line())

    def close(self) -> None:
        """End the bar, if any, whatever happened (the failures are listed after it)."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def show_failed(self, report: SyncReport) -> None:
        if self.bar is not None:  # the bar showed no lines: list what failed
            for outcome in report.failed:
                click.echo(outcome.line())


def _echo_report(report: SyncReport, prefix: str) -> int:
    from reconciler.views.plan import summary_line

    if report.applied is None:
        click.echo(f"{prefix}Nothing to do.")
        return 0
    click.echo(prefix + report.applied.summary())
    if report.failed:
        click.echo(f"{prefix}Some changes failed: run apply again to finish the work.", err=True)
    elif report.verified is not None and report.drifted:
        line = summary_line(report.verified)
        click.echo(f"{prefix}verify: the app does not match the files yet: {line}", err=True)
    elif report.verified is not None:
        click.echo(f"{prefix}Verified: the app matches the files.")
    return 0 if report.ok else 1


async def _apply_all(
    targets: Sequence[Target], options: SyncOptions, auto_approve: bool
) -> list[TargetResult[tuple[SyncReport, str]]]:
    from reconciler.apply.manager import JointApproval, each_target, sync
    from reconciler.desired.validate import desired_reader

    approval = JointApproval(_ask_once, len(targets)) if len(targets) > 1 else None
    when = now()
    desired_of = desired_reader(when)

    async def one(target: Target) -> tuple[SyncReport, str]:
        seat = approval.seat() if approval is not None else None
        prefix = f"[{target.name}] " if approval is not None else ""
        hooks = _Hooks(prefix, auto_approve, seat)
        try:
            report = await sync(target, when, options, hooks, desired_of(target))
        finally:
            hooks.close()
            if seat is not None:
                seat.leave()
        hooks.show_failed(report)
        return report, prefix

    return await each_target(targets, one)


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StalePlan(f"{path}: not a saved plan ({err})") from None
    if not isinstance(saved, dict) or "checksum" not in saved:
        raise StalePlan(f"{path}: not a saved plan (no checksum); make one with plan --out")
    return saved


@main.command()
@click.argument(
    "planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--checksum", help="Apply only if the plan still has this checksum.")
@_force_option
@_resolve_option
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Plan again afterwards and fail unless nothing is left to do.",
)
@click.pass_obj
def apply(state: State, /, planfile: Path | None, auto_approve: bool, **options: Any) -> None:
    """Make the app match the files: carry out the plan.

    With PLANFILE (from plan --out) or --checksum, refuse unless the plan made
    now is exactly the one reviewed. After a failure, run it again. Several
    targets are applied concurrently after one confirmation.

    Example: reconciler plan --out plan.json && reconciler apply plan.json
    """
    import asyncio

    from reconciler.apply.manager import SyncOptions

    targets, several = state.targets(), len(state.targets()) > 1
    if several and (planfile is not None or options["checksum"]):
        raise ConfigError("a saved plan or --checksum is for one target: pick it with --target")
    saved = _read_saved_plan(planfile) if planfile else None
    sync_options = SyncOptions(saved=saved, **options)
    results = asyncio.run(_apply_all(targets, sync_options, auto_approve))
    codes = [
        _echo_report(*r.value) if r.value else _target_error(r.target, r.error, several)
        for r in results
    ]
    raise SystemExit(worst(codes))


# --- import and history ----------------------------------------------------------------


async def _import(target: Target, directory: Path, overwrite: bool) -> tuple[list[Path], list[str]]:
    from reconciler.apply.manager import open_client
    from reconciler.repo.importer import plan_files, write_files

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

    from reconciler.repo.importer import default_dir

    target = state.target()
    folder = target.root / (directory or Path(default_dir(target.schedules)))
    written, warnings = asyncio.run(_import(target, folder, overwrite))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in written:
        click.echo(f"wrote {path.relative_to(target.root)}")
    shown = folder.relative_to(target.root) if folder.is_relative_to(target.root) else folder
    click.echo(f"Imported {len(written)} schedule(s) into {shown}.")


async def _history(target: Target, ref: str) -> tuple[str, str, list[Any]]:
    from reconciler.apply.manager import open_client
    from reconciler.views.history import runs_of

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

    from reconciler.views import history as runs_view

    target = state.target()
    found_name, schedule_id, runs = asyncio.run(_history(target, name))
    site = target.site_zone
    if fmt == "json":
        data = runs_view.render_json(found_name, schedule_id, runs, site)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        text = runs_view.render_text(found_name, schedule_id, runs, site, target.site_timezone)
        click.echo(text, nl=False)


# --- calendar ----------------------------------------------------------------------------


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
    from reconciler.views.calendar.text import build, render

    click.echo(render(build(state.target(), now(), days), fmt), nl=False)


# --- init --------------------------------------------------------------------------------


@main.command()
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
    click.echo(
        f"Scaffolded {len(written)} files in {directory}. Next: `reconciler plan`, then read "
        "README.md (environments, secrets, branch protection)."
    )
