"""`reconciler ci …`: the steps of the workflows reconciler init writes, one command each.

Loaded only when named (like `emulator`). Each command is a call into the
reconciler.ci modules and a few lines of output; a workflow `run:` step is one
of these commands. Inputs that a person typed into "Run workflow" arrive
through environment variables (never `${{ }}` inside `run:`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from reconciler.ci import actions
from reconciler.ci.github import GitHub
from reconciler.cli.common import State, now
from reconciler.views.markdown import code, text

__all__ = [
    "apply",
    "check_repo",
    "ci",
    "collect",
    "comment",
    "drift",
    "drift_issues",
    "health",
    "plan",
    "report",
    "targets",
]

_DIR = click.Path(file_okay=False, path_type=Path)


@click.group()
def ci() -> None:
    """The CI steps: pull-request plans, apply on merge, drift issues (GitHub Actions).

    Example: reconciler ci targets
    """


@ci.command()
@click.option(
    "--only", envvar="RECONCILER_ONLY_TARGET", help="Just this target (workflow_dispatch)."
)
@click.pass_obj
def targets(state: State, only: str | None) -> None:
    """Write the targets as the job's `matrix` output (a JSON list), or fail saying why.

    Example: reconciler ci targets
    """
    from reconciler.ci.targets import check_target_names

    config = state.config()
    names = check_target_names(config)
    if only:
        names = [config.target(only).name]
    entries = [{"name": name, "local": config.targets[name].is_local} for name in names]
    actions.set_output(actions.environ(), "matrix", json.dumps(entries, separators=(",", ":")))
    click.echo(f"targets: {', '.join(names)}")


@ci.command()
@click.option("--out", type=_DIR, required=True, help="The folder to write (must not exist).")
@click.pass_obj
def collect(state: State, out: Path) -> None:
    """Copy the pull request's schedule files and reconciler.yaml, and its facts (pr.json).

    Runs in the pull request's own workflow, which holds no secret.

    Example: reconciler ci collect --out pr-data
    """
    from reconciler.ci.pull_request import collect as collect_files

    facts = collect_files(state.config(), out, actions.environ())
    click.echo(f"collected pull request #{facts['number']} at {facts['head_sha']} into {out}")


@ci.command()
@click.option("--target", "name", required=True, help="The target to plan.")
@click.option("--pr", "pr_dir", type=_DIR, required=True, help="What `ci collect` wrote.")
@click.option("--out", type=_DIR, required=True, help="Where plan-TARGET.md/.json go.")
@click.pass_obj
def plan(state: State, name: str, pr_dir: Path, out: Path) -> None:
    """Plan a pull request's files for one target, with main's connection to it.

    Writes plan-TARGET.md (the comment), plan-TARGET.json (the saved plan, or
    the error) and head-TARGET.txt (the commit planned, from the workflow_run
    event); exit 1 when planning fails or a guard refuses.

    Example: reconciler ci plan --target prod --pr pr-data --out plans
    """
    from reconciler.ci.pull_request import plan_pull_request, record_head
    from reconciler.views.plan import render_text

    env = actions.environ()
    record_head(out, name, env)
    try:
        config = state.config()
        result = asyncio.run(plan_pull_request(config, name, pr_dir, out, now(), env))
    finally:
        written = out / f"plan-{name}.md"
        if written.is_file():
            actions.summary(env, written.read_text(encoding="utf-8"))
    click.echo(render_text(result) if result is not None else f"target {name}: not planned")


@ci.command()
@click.option("--plans", type=_DIR, required=True, help="The plan-TARGET files.")
@click.option(
    "--pr",
    "pr_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="pr.json from `ci collect` (its number is checked, never trusted).",
)
@click.pass_obj
def comment(state: State, plans: Path, pr_file: Path) -> None:
    """Create or edit one sticky plan comment per target on the pull request.

    Needs GITHUB_TOKEN (pull-requests: write), a workflow_run event and
    GITHUB_RUN_ID: each comment names the run that posted it.

    Example: reconciler ci comment --plans plans --pr pr-data/pr.json
    """
    from reconciler.ci.pull_request import post_comments
    from reconciler.ci.targets import check_target_names

    env = actions.environ()
    expected = check_target_names(state.config())
    with GitHub.from_env(env) as gh:
        for line in post_comments(gh, plans, pr_file, expected, env):
            click.echo(line)


@ci.command("fork-note")
def fork_note() -> None:
    """Tell the author of a fork's pull request, once, why it is validated and not planned.

    Needs GITHUB_TOKEN (pull-requests: write) and the workflow_run event of the
    fork's reconciler-pr run.

    Example: reconciler ci fork-note
    """
    from reconciler.ci.pull_request import fork_note as tell

    env = actions.environ()
    with GitHub.from_env(env) as gh:
        for line in tell(gh, env):
            click.echo(line)


@ci.command()
@click.option("--target", "name", required=True, help="The target to apply.")
@click.option("--out", type=_DIR, required=True, help="Where a refusal is written for `ci report`.")
@click.option(
    "--checksum", envvar="RECONCILER_CHECKSUM", help="workflow_dispatch: the plan to apply."
)
@click.option("--force", is_flag=True, envvar="RECONCILER_FORCE", help="workflow_dispatch only.")
@click.option(
    "--resolve-duplicates",
    type=click.Choice(["none", "keep-oldest"]),
    envvar="RECONCILER_RESOLVE_DUPLICATES",
    help="workflow_dispatch only.",
)
@click.pass_obj
def apply(
    state: State,
    name: str,
    out: Path,
    checksum: str | None,
    force: bool,
    resolve_duplicates: str | None,
) -> None:
    """Apply on merge: only the plan reviewed on the merged pull request, for what main plans.

    The run acts when its commit is main's head, or nothing the target plans
    from changed since (GITHUB_TOKEN with contents: read compares the trees).
    The plan comment counts only as the plan run named in it posted it, for
    the commit that was merged (its run and artifact are read: pull-requests:
    read and actions: read). Exit 0 when applied, nothing to do, or superseded
    by a newer commit; 1 when refused.

    Example: reconciler ci apply --target prod --out refused
    """
    from reconciler.ci.merge import Request, apply_merged, write_refusal
    from reconciler.ci.moved import watched_paths

    env, config = actions.environ(), state.config()
    target = config.target(name)
    resolve = None if resolve_duplicates in (None, "none") else resolve_duplicates
    with GitHub.from_env(env) as gh:
        request = Request.from_env(
            env, gh, checksum=checksum or None, force=force, resolve_duplicates=resolve
        )
        watched = watched_paths(target, config.path)
        result = asyncio.run(apply_merged(gh, target, request, now(), watched))
    write_refusal(out, result)
    actions.summary(env, result.markdown or text(result.line))
    click.echo(f"{name}: {result.line}", err=result.code != 0)
    raise SystemExit(result.code)


@ci.command()
@click.option("--dir", "folder", type=_DIR, required=True, help="The refused-TARGET.json files.")
def report(folder: Path) -> None:
    """Post each refused apply on its pull request, or as an issue.

    Example: reconciler ci report --dir refused
    """
    from reconciler.ci.merge import report_refusals

    with GitHub.from_env(actions.environ()) as gh:
        for line in report_refusals(gh, folder):
            click.echo(line)


@ci.command()
@click.option("--target", "name", required=True, help="The target to check.")
@click.option("--out", type=_DIR, required=True, help="Where drift-TARGET.json goes.")
@click.pass_obj
def drift(state: State, name: str, out: Path) -> None:
    """Check one target for drift; exit 1 only when the check itself fails.

    Example: reconciler ci drift --target prod --out drift
    """
    from reconciler.ci.drift import check_drift, write_report

    env = actions.environ()
    result = asyncio.run(check_drift(state.config().target(name), now(), env))
    write_report(out, result)
    actions.summary(env, result.markdown or f"{code(name)}: {result.state}")
    click.echo(f"{name}: {result.state}{': ' + result.reason if result.reason else ''}")
    raise SystemExit(1 if result.state == "error" else 0)


@ci.command()
@click.option("--target", "name", required=True, help="The target to check.")
@click.option("--out", type=_DIR, required=True, help="Where health-TARGET.json goes.")
@click.option("--since", default="7d", show_default=True, help="How far back (7d, 36h, 90m).")
@click.pass_obj
def health(state: State, name: str, out: Path, since: str) -> None:
    """Check whether one target's pushes went out; exit 1 only when the check itself fails.

    Example: reconciler ci health --target prod --out drift
    """
    from reconciler.ci.health import check_health_report, write_health
    from reconciler.cli.health import since_option

    window, target, env = since_option(since), state.config().target(name), actions.environ()
    result = asyncio.run(check_health_report(target, now(), window, env))
    write_health(out, result)
    actions.summary(env, result.markdown or f"{code(name)} health: {result.state}")
    shown = result.reason or result.summary
    click.echo(f"{name}: health {result.state}{': ' + shown if shown else ''}")
    raise SystemExit(1 if result.state == "error" else 0)


@ci.command("drift-issues")
@click.option(
    "--dir", "folder", type=_DIR, required=True, help="The drift-TARGET.json (and health) files."
)
@click.pass_obj
def drift_issues(state: State, folder: Path) -> None:
    """Open, update or close one drift issue per target (health, settings too); exit 1 if a check failed.

    Example: reconciler ci drift-issues --dir drift
    """
    from reconciler.ci.drift import read_reports, sync_issues
    from reconciler.ci.health import read_health
    from reconciler.ci.repo_check import read_check
    from reconciler.ci.targets import check_target_names

    names = check_target_names(state.config())
    reports, health = read_reports(folder, names), read_health(folder, names)
    with GitHub.from_env(actions.environ()) as gh:
        lines, failed = sync_issues(gh, reports, health, read_check(folder))
    for line in lines:
        click.echo(line)
    raise SystemExit(1 if failed else 0)


@ci.command("check-repo")
@click.option("--out", type=_DIR, help="Also write settings.json here, for `ci drift-issues`.")
@click.option("--report-only", is_flag=True, help="Exit 0 even when a setting is missing.")
@click.option("--branch", help="The branch to check.  [default: the default branch]")
@click.pass_obj
def check_repo(state: State, out: Path | None, report_only: bool, branch: str | None) -> None:
    """List the repository settings the workflows' guarantees rest on that are missing.

    Reads the branch's rulesets (or classic protection), each real target's
    environments, and CODEOWNERS and the workflows in the checkout; one line per
    setting missing or not checked, with how to fix it. Needs GITHUB_REPOSITORY
    and GITHUB_TOKEN (contents and actions: read; classic branch protection
    needs an admin's token). Exit 1 when one is missing or not checked, unless
    --report-only.

    Example: GITHUB_REPOSITORY=acme/schedules GITHUB_TOKEN=… reconciler ci check-repo
    """
    from reconciler.ci.repo_check import section, write_check
    from reconciler.ci.repo_settings import check_repo as check

    env, config = actions.environ(), state.config()
    with GitHub.from_env(env) as gh:
        found = check(gh, config, branch or gh.default_branch())
    if out is not None:
        write_check(out, found)
    actions.summary(env, section(found))
    for line in found.lines():
        if not line.startswith("ok: "):
            click.echo(line)
    click.echo(f"{gh.repository}: {found.summary()}")
    raise SystemExit(1 if (found.missing or found.unknown) and not report_only else 0)
