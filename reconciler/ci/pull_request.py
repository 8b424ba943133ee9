"""Pull requests: collect the files, plan them with main's connection, post one comment per target.

Three steps, in three jobs of two workflows (see reconciler-pr.yml and
reconciler-plan.yml):

1. `collect` runs in the pull request's own workflow (no secret in reach): it
   copies the pull request's schedule files and reconciler.yaml as plain files
   and writes pr.json (number, head and merge commits).
2. `plan_pull_request` runs from main's definition with a target's credentials.
   It plans the pull request's files with the pull request's settings (prune,
   protect, safety, …: the review shows what the merge will do), but the
   target's connection always comes from main's reconciler.yaml, and only once
   the environment approves it (`RECONCILER_ENDPOINT`): a pull request can never
   point the credentials elsewhere, nor change how hard the API is hit. The
   plan shows how the pull request's effective settings differ from main's
   ("Configuration changes"), and the changes to remote schedules that main's
   scope does not manage by name and action only (`Plan.withhold`), in the
   comment and in the saved plan alike.
   `record_head` notes beside the plan which commit it is of (from the event).
A pull request from a fork is validated only: `fork_note` (GITHUB_TOKEN only,
no credentials) tells its author why, once, on the pull request.

3. `post_comments` holds only GITHUB_TOKEN. It trusts no number from the
   artifact: the pull request's live head must be the head the run planned.
   Each comment is `with_marker(marker, markdown)` of what `plan_entry` reads
   from the plans-NAME artifact's two files, its marker naming this run: apply
   derives it again from that artifact to prove the comment untouched
   (reconciler.ci.proof).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.ci.actions import Env, approved, dig, event, need, summary
from reconciler.ci.errors import CiError, EventError
from reconciler.ci.github import GitHub
from reconciler.ci.markers import NO_CHECKSUM, PLAN, Marker, by_bot, find, with_marker
from reconciler.ci.targets import check_target_names
from reconciler.config.effective import changes, effective_settings
from reconciler.config.load import CONFIG_FILE, load_config
from reconciler.config.targets import Config, Target
from reconciler.documents.load import default_dir
from reconciler.errors import ReconcilerError
from reconciler.plan.changes import Plan
from reconciler.remote.approval import APPROVAL_ENV
from reconciler.views.markdown import code, comment, fence

__all__ = [
    "CONNECTION",
    "FORK_NOTE",
    "MAX_COMMENT",
    "PR_FILE",
    "PrTarget",
    "collect",
    "fork_note",
    "plan_entry",
    "plan_markdown",
    "plan_pull_request",
    "post_comments",
    "pull_request_target",
    "record_head",
    "scoped",
    "verified_pull_request",
    "write_plan",
]

#: A target's connection, and the limits that protect the job holding its credentials: always
#: main's, whatever the pull request says (fields a Target does not have yet are skipped).
CONNECTION = (
    "provider",
    "endpoint",
    "region",
    "app_key_env",
    "master_secret_env",
    "concurrency",
    "rate_limit",
    "request_timeout",
    "max_file_bytes",
)
PR_FILE = "pr.json"
MAX_COMMENT = 65_000


# --- 1. collect (the pull request's own workflow: no secret) ------------------------------


def _no_links(root: Path) -> None:
    """CiError if anything under `root` is a symlink: files are copied and read as data only."""
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if path.is_symlink():
                raise CiError(f"{path}: a symbolic link; schedule files must be plain files")


def _relative_dir(pattern: str, where: str) -> PurePosixPath:
    """The fixed folder of a schedules glob that stays inside the repository; CiError otherwise.

    Any `..` counts, after a wildcard too (`**/../../x` climbs out of the tree)."""
    folder = PurePosixPath(default_dir(pattern))
    whole = PurePosixPath(pattern)
    if whole.is_absolute() or ".." in whole.parts or "\\" in pattern:
        raise CiError(
            f"{where}: schedules {pattern!r} leaves the repository; CI plans only inside it"
        )
    return folder


def collect(config: Config, out: Path, env: Env) -> dict[str, Any]:
    """Copy reconciler.yaml and every target's schedule folder to `out`, with pr.json.

    A target name CI cannot use (see `check_target_names`) fails the pull request's check."""
    check_target_names(config)
    if out.exists():
        raise CiError(f"{out} exists; collect writes a fresh folder")
    out.mkdir(parents=True)
    if config.path is not None:
        shutil.copyfile(config.path, out / CONFIG_FILE)
    for folder in sorted({_relative_dir(t.schedules, t.name) for t in config.targets.values()}):
        source = config.root / folder
        if source.is_dir():
            _no_links(source)
            shutil.copytree(source, out / folder, dirs_exist_ok=True)
    pr = _pull_request_facts(env)
    (out / PR_FILE).write_text(json.dumps(pr, indent=2) + "\n", encoding="utf-8")
    if pr["head_repository"] != env.get("GITHUB_REPOSITORY"):
        summary(
            env,
            "This pull request comes from a fork: it is validated only, never planned "
            "with credentials. A maintainer can push the branch to this repository to plan it.",
        )
    return pr


def _pull_request_facts(env: Env) -> dict[str, Any]:
    data = event(env)
    number = dig(data, "pull_request", "number")
    head = dig(data, "pull_request", "head", "sha")
    if not isinstance(number, int) or not isinstance(head, str):
        raise EventError(
            "not a pull_request event: no pull_request.number / head.sha in the payload"
        )
    return {
        "number": number,
        "head_sha": head,
        "merge_sha": env.get("GITHUB_SHA", ""),
        "base_sha": dig(data, "pull_request", "base", "sha"),
        "head_repository": dig(data, "pull_request", "head", "repo", "full_name"),
    }


# --- 2. plan (main's definition, a target's credentials, no write permission) -----------


@dataclass(frozen=True)
class PrTarget:
    """The target to plan a pull request with, or why there is none (`note`); `proposed` is
    the pull request's own target, its connection as the pull request writes it."""

    target: Target | None
    notes: tuple[str, ...] = ()
    proposed: Target | None = None


def pull_request_target(main: Config, name: str, pr_dir: Path) -> PrTarget:
    """Main's target `name` with the pull request's settings and main's connection."""
    main_target = main.target(name)
    pr_dir = pr_dir.resolve()
    if not pr_dir.is_relative_to(main.root.resolve()):
        raise CiError(f"{pr_dir}: the pull request's files must be inside the repository")
    _no_links(pr_dir)
    pr_config = load_config(None, pr_dir)
    added = sorted(set(pr_config.targets) - set(main.targets))
    notes = tuple(
        f"This pull request adds target {code(t)}: it is not planned here. After the merge, "
        f"every workflow refuses to send its credentials anywhere until an admin creates its "
        f"environments {code(t)} and {code(t + '-plan')} with the secrets and the variable "
        f"{code(APPROVAL_ENV)}; then apply refuses it once more and posts its plan for an "
        "operator to approve."
        for t in added
    )
    if name not in pr_config.targets:
        return PrTarget(
            None,
            (
                *notes,
                f"This pull request removes target {code(name)}: after the "
                "merge it is no longer planned or applied.",
            ),
        )
    own = pr_config.targets[name]
    folder = PurePosixPath(os.path.relpath(pr_dir, main.root.resolve()))
    _relative_dir(own.schedules, f"target {name}")
    connection = {f: getattr(main_target, f) for f in CONNECTION if hasattr(main_target, f)}
    merged = dataclasses.replace(
        own, root=main_target.root, schedules=str(folder / own.schedules), **connection
    )
    return PrTarget(merged, notes + _approval_note(main_target, own), own)


def _approval_note(main: Target, proposed: Target) -> tuple[str, ...]:
    """What the team must do when the pull request moves the target's connection."""
    before = effective_settings(main).json()["connection"]
    after = effective_settings(proposed).json()["connection"]
    if (before["provider"], before["base_url"]) == (after["provider"], after["base_url"]):
        return ()
    name = main.name
    return (
        f"This pull request moves {code(name)} to {code(after['base_url'])}. After the merge, "
        f"apply, the drift check and pull-request plans send no credential for {code(name)} "
        f"until an admin sets the variable {code(APPROVAL_ENV)} of the environments "
        f"{code(name)} and {code(name + '-plan')} to it; then re-run the apply workflow: it "
        "refuses with the plan against the new connection, which an operator approves with "
        "Run workflow.",
    )


def scoped(plan: Plan, main: Target, proposed: Target | None) -> Plan:
    """`plan` as a pull request's review shows it: the settings against main's, and nothing
    of the remote schedules main's `manage_prefix` does not cover."""
    prefix = main.manage_prefix
    shown = plan.withhold(lambda name: name.startswith(prefix))
    if proposed is None:
        return shown
    moved = changes(effective_settings(main), effective_settings(proposed))
    return dataclasses.replace(shown, setting_changes=moved)


def plan_markdown(name: str, plan: Plan | None, error: str | None, notes: tuple[str, ...]) -> str:
    from reconciler.views.plan import render_markdown

    if plan is not None:
        body = render_markdown(plan, limit=MAX_COMMENT - 2_000)
    else:
        body = f"<!-- {PLAN} target={comment(name)} -->\n### reconciler plan for {code(name)}\n\n"
        if error is not None:
            body += f"**The plan failed:**\n\n{fence(error)}"
    if notes:
        body += "\n" + "\n".join(f"> [!NOTE]\n> {note}\n" for note in notes)
    return body


def record_head(out: Path, name: str, env: Env) -> str | None:
    """head-NAME.txt: the pull request commit this plan job plans, from its workflow_run event
    (GitHub's, never the pull request's); apply checks the plan comment's head against it
    (reconciler.ci.proof). None, writing nothing, outside a workflow_run event."""
    head = dig(event(env), "workflow_run", "head_sha") if env.get("GITHUB_EVENT_PATH") else None
    if not isinstance(head, str):
        return None
    out.mkdir(parents=True, exist_ok=True)
    (out / f"head-{name}.txt").write_text(head + "\n", encoding="utf-8")
    return head


def write_plan(
    out: Path, name: str, plan: Plan | None, error: str | None, notes: tuple[str, ...]
) -> None:
    """plan-NAME.md (the comment's body) and plan-NAME.json (the saved plan, or the error)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"plan-{name}.md").write_text(plan_markdown(name, plan, error, notes), encoding="utf-8")
    data: dict[str, Any] = plan.data() if plan is not None else {"target": name, "error": error}
    (out / f"plan-{name}.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


async def plan_pull_request(
    main: Config, name: str, pr_dir: Path, out: Path, now: datetime, env: Env
) -> Plan | None:
    """Plan target `name` for the pull request in `pr_dir`; write both files; the plan (None: none).

    Raises (after writing the error into the files) when planning fails, main's connection
    is not the approved one (`env`'s RECONCILER_ENDPOINT), or a guard refuses.
    """
    from reconciler.apply.manager import plan_target

    notes: tuple[str, ...] = ()
    try:
        chosen = pull_request_target(main, name, pr_dir)
        notes = chosen.notes
        plan = None
        if chosen.target is not None:
            approved(main.target(name), env)  # before a client opens: main's, approved
            plan = await plan_target(chosen.target, now)
            plan = scoped(plan, main.target(name), chosen.proposed)
    except ReconcilerError as err:
        write_plan(out, name, None, str(err), notes)
        raise
    write_plan(out, name, plan, None, notes)
    if plan is not None:
        plan.raise_if_unsafe()
    return plan


# --- 3. comment (GITHUB_TOKEN only) -------------------------------------------------------


def plan_entry(markdown: bytes, saved: bytes) -> tuple[str, str]:
    """(checksum, markdown) that the comment job posts for plan-NAME.md and plan-NAME.json.

    Read as `Path.read_text` would (UTF-8, universal newlines), the markdown cut
    to MAX_COMMENT characters; the checksum is the saved plan's, or `none`.
    Apply calls this on the plan run's artifact to know what the comment said.
    """
    checksum: Any = None
    with contextlib.suppress(ValueError, AttributeError):
        checksum = json.loads(_text(saved)).get("checksum")
    return str(checksum or NO_CHECKSUM), _text(markdown)[:MAX_COMMENT]


def _text(data: bytes) -> str:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


def _plan_files(plans: Path, expected: list[str]) -> dict[str, tuple[str, str]]:
    """target -> (checksum, markdown) for every plan written, and a stand-in for each missing one."""
    found: dict[str, tuple[str, str]] = {}
    for name in expected:
        md, saved = plans / f"plan-{name}.md", plans / f"plan-{name}.json"
        if not md.is_file() or not saved.is_file():
            text = plan_markdown(
                name, None, "the plan job did not finish; see the workflow run", ()
            )
            found[name] = (NO_CHECKSUM, text)
            continue
        try:
            saved_bytes = saved.read_bytes()
        except OSError:
            saved_bytes = b""
        found[name] = plan_entry(md.read_bytes(), saved_bytes)
    return found


def verified_pull_request(gh: GitHub, pr_file: Path, env: Env) -> tuple[int, str] | str:
    """(number, head) when the artifact's number names an open pull request of this repository
    whose head is the commit this run planned; otherwise why not."""
    head = dig(event(env), "workflow_run", "head_sha")
    if not isinstance(head, str):
        raise EventError("not a workflow_run event: no workflow_run.head_sha in the payload")
    try:
        number = json.loads(pr_file.read_text(encoding="utf-8"))["number"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CiError(f"{pr_file}: not the pull request's facts ({err})") from None
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise CiError(f"{pr_file}: the pull request number is not a positive integer")
    live = gh.pull(number)
    if dig(live, "head", "repo", "full_name") != gh.repository or live.get("state") != "open":
        return f"pull request #{number} is not an open pull request from this repository"
    if dig(live, "head", "sha") != head:
        return (
            f"pull request #{number} is at {dig(live, 'head', 'sha')}, not at {head} which "
            "this run planned: a newer run posts its plan"
        )
    return number, head


def _run_id(env: Env) -> int:
    """This run's id (GITHUB_RUN_ID): the plan comment names it, and apply checks it."""
    run = need(env, "GITHUB_RUN_ID")
    if not run.isascii() or not run.isdigit() or int(run) <= 0:
        raise EventError(f"GITHUB_RUN_ID {run!r} is not a run id")
    return int(run)


def post_comments(
    gh: GitHub, plans: Path, pr_file: Path, expected: list[str], env: Env
) -> list[str]:
    """Create or edit one sticky plan comment per target; what was done, one line each."""
    checked = verified_pull_request(gh, pr_file, env)
    if isinstance(checked, str):
        return [f"nothing posted: {checked}"]
    number, head = checked
    run = _run_id(env)
    comments = gh.comments(number)
    done = []
    for name, (checksum, markdown) in _plan_files(plans, expected).items():
        body = with_marker(Marker(PLAN, name, checksum, head, run), markdown)
        existing = find(comments, PLAN, name)
        if existing is None:
            gh.create_comment(number, body)
            done.append(f"posted the plan for {name} on #{number}")
        elif existing[0].get("body") != body:
            gh.edit_comment(int(existing[0]["id"]), body)
            done.append(f"updated the plan for {name} on #{number}")
        else:
            done.append(f"the plan for {name} on #{number} is unchanged")
    return done


FORK_NOTE = "<!-- reconciler-fork -->"


def fork_note(gh: GitHub, env: Env) -> list[str]:
    """Tell the author of a fork's pull request, once, why it is validated and never planned.

    Runs from the default branch's definition on the workflow_run event of the
    fork's reconciler-pr run; the pull request is found through the API by the
    event's head (owner, branch and commit), never by anything the fork uploaded.
    """
    data = dig(event(env), "workflow_run")
    fork = dig(data, "head_repository", "full_name")
    branch, head = dig(data, "head_branch"), dig(data, "head_sha")
    if not all(isinstance(v, str) for v in (fork, branch, head)):
        raise EventError("not a workflow_run event: no head_repository, head_branch, head_sha")
    if fork == gh.repository:
        return [f"{fork} is this repository, not a fork: nothing to say"]
    body = (
        f"{FORK_NOTE}\n### reconciler: validated, not planned\n\n"
        f"This pull request comes from a fork ({code(fork)}). reconciler checked its files, "
        "but does not plan them: a plan runs with the production credentials of each "
        "target, and this repository never lends them to a fork's files or code. A "
        "maintainer who has read the change can push its branch to this repository; a "
        "pull request from there is planned as usual.\n"
    )
    done = []
    for pull in gh.open_pulls_from(str(fork).split("/")[0], str(branch)):
        number = pull.get("number")
        if dig(pull, "head", "repo", "full_name") != fork or dig(pull, "head", "sha") != head:
            continue
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        told = any(
            by_bot(c) and str(c.get("body") or "").startswith(FORK_NOTE)
            for c in gh.comments(number)
        )
        if not told:
            gh.create_comment(number, body)
        done.append(f"#{number}: {'already told' if told else 'told'} why it is not planned")
    return done or [f"no open pull request from {fork}:{branch} at {head}"]
