"""On merge: newest wins, one target at a time, and only the plan that was reviewed is applied.

`apply_merged` is the apply job of reconciler-apply.yml for one target:

1. The run's commit C must plan as the head of the default branch does: C is
   the head, or nothing the target plans from (reconciler.yaml, its schedules
   folder) changed since (reconciler.ci.moved). A docs-only merge that lands
   while C's run waits for the environment's reviewers starts no run of its own,
   so C's run applies. When a later commit did change them, C's run does nothing
   and says so: that commit's push started its own run, and the newest applies
   (re-running an old run is harmless).
2. On a push, the pull request merged as this commit is looked up, and its last
   plan comment for the target (bot-written, exact marker) gives the reviewed
   checksum, once the comment is proven to be what the plan run its marker
   names posted, untouched since (reconciler.ci.proof). The merged tree is
   re-planned and applied only if its checksum is that one
   (`SyncOptions(checksum=…)`). No pull request, no plan, a comment that fails
   the proof, another checksum, or a tripped guard: refused, with the new plan
   written for the report job to post.
3. On workflow_dispatch (an operator, behind the environment's reviewers): the
   given checksum, and only here `force` and `resolve_duplicates`.

Either way, no client opens with the target's credentials unless reconciler.yaml's
connection is the one the environment approves (`RECONCILER_ENDPOINT`, which must
be set: reconciler.remote.approval); otherwise the run refuses, saying which key
moved and how an admin approves it, and the report job posts that.

`report_refusals` is the report job: it posts each refusal on the merged pull
request, or as an issue when the commit had none.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.apply.executor import Outcome
from reconciler.ci.actions import Env, dig, event, need
from reconciler.ci.errors import CiError
from reconciler.ci.github import GitHub
from reconciler.ci.markers import PLAN, find
from reconciler.ci.moved import changed_since, watched_paths
from reconciler.ci.proof import check_plan_comment
from reconciler.config.targets import Target
from reconciler.errors import PlanRefused, ReconcilerError, StalePlan
from reconciler.plan.changes import Plan
from reconciler.remote.approval import APPROVAL_ENV, UnapprovedConnection
from reconciler.remote.registry import check_connection
from reconciler.views.markdown import code, fence
from reconciler.views.markdown import text as inline

__all__ = [
    "ISSUE_LABEL",
    "Request",
    "Result",
    "apply_merged",
    "refusal_markdown",
    "report_refusals",
    "write_refusal",
]

ISSUE_LABEL = "reconciler"


@dataclass(frozen=True)
class Request:
    """What the run asks for: from the event, and for workflow_dispatch from its inputs."""

    event_name: str
    sha: str
    ref: str
    default_branch: str
    checksum: str | None = None
    force: bool = False
    resolve_duplicates: str | None = None
    #: The connection the environment approves (RECONCILER_ENDPOINT; None: not set).
    approved: str | None = None

    @classmethod
    def from_env(cls, env: Env, gh: GitHub, **inputs: Any) -> Request:
        default = dig(event(env), "repository", "default_branch")
        return cls(
            event_name=need(env, "GITHUB_EVENT_NAME"),
            sha=need(env, "GITHUB_SHA"),
            ref=need(env, "GITHUB_REF"),
            default_branch=default if isinstance(default, str) else gh.default_branch(),
            approved=env.get(APPROVAL_ENV),
            **inputs,
        )


@dataclass(frozen=True)
class Result:
    """How an apply ended: exit code, one line, and the markdown for the job summary."""

    code: int
    line: str
    markdown: str
    refusal: dict[str, Any] | None = None


class _Recorder:
    """Sync hooks that keep the plan (to show it when refused) and print each outcome."""

    def __init__(self) -> None:
        self.plan: Plan | None = None
        self.lines: list[str] = []

    def planned(self, plan: Plan) -> None:
        self.plan = plan

    async def confirm(self, plan: Plan, count: int) -> bool:
        return True  # only reached without a checksum, which this module never does

    def applying(self, count: int) -> None:
        pass

    def applied(self, outcome: Outcome) -> None:
        self.lines.append(outcome.line())
        print(outcome.line())


def _reviewed_checksum(
    gh: GitHub, request: Request, target: str
) -> tuple[int | None, str | None, str]:
    """(pull request, its reviewed checksum, why none) for the pushed commit."""
    pulls = [
        p
        for p in gh.pulls_of_commit(request.sha)
        if p.get("merge_commit_sha") == request.sha and p.get("merged_at")
    ]
    if not pulls:
        return (
            None,
            None,
            f"commit {request.sha} reached {request.default_branch} without a pull request",
        )
    number = int(pulls[0]["number"])
    found = find(gh.comments(number), PLAN, target)
    if found is None:
        return number, None, f"pull request #{number} has no plan for target {target}"
    checksum = found[1].reviewed_checksum
    if checksum is None:
        return number, None, f"the last plan of pull request #{number} for target {target} failed"
    head = dig(pulls[0], "head", "sha")
    merged_head = head if isinstance(head, str) else None
    untrusted = check_plan_comment(gh, *found, merged_head=merged_head, pull=number)
    if untrusted is not None:
        return number, None, untrusted
    return number, checksum, ""


def refusal_markdown(target: str, request: Request, reason: str, plan: Plan | None) -> str:
    from reconciler.views.plan import render_markdown

    lines = [
        f"### reconciler apply refused for {code(target)} at {code(request.sha[:12])}",
        "",
        f"**Why:** {inline(reason)}",
        "",
    ]
    if plan is not None:
        lines += [
            "Nothing was changed. To apply the plan below, an operator runs the "
            "**reconciler-apply** workflow (Actions → reconciler-apply → Run workflow) on "
            f"{code(request.default_branch)} with target {code(target)} and checksum "
            f"`{plan.checksum}`; "
            "the environment's reviewers approve it. Or change the files in a new pull request.",
            "",
            render_markdown(plan, limit=60_000).partition("\n")[2],
        ]
    return "\n".join(lines) + "\n"


def _refused(
    target: str, request: Request, reason: str, plan: Plan | None, pr: int | None
) -> Result:
    markdown = refusal_markdown(target, request, reason, plan)
    data = {
        "target": target,
        "sha": request.sha,
        "pull_request": pr,
        "reason": reason,
        "checksum": plan.checksum if plan is not None else None,
        "markdown": markdown,
    }
    return Result(1, f"refused: {reason}", markdown, data)


async def _sync(
    target: Target, now: datetime, options: Any, request: Request, pr: int | None
) -> Result:
    from reconciler.apply.manager import sync
    from reconciler.views.plan import summary_line

    hooks = _Recorder()
    try:
        report = await sync(target, now, options, hooks)
    except StalePlan as err:
        if hooks.plan is not None and not hooks.plan.needs_work:
            # Another run (an older commit's, planning the same tree) applied it already, or
            # someone did by hand: refusing would only post a plan with nothing in it.
            line = f"Nothing to do: the app already matches the files ({err})."
            return Result(0, line, line)
        return _refused(target.name, request, str(err), hooks.plan, pr)
    except PlanRefused as err:
        return _refused(target.name, request, str(err), hooks.plan, pr)
    except ReconcilerError as err:
        return _refused(target.name, request, f"apply failed: {err}", hooks.plan, pr)
    if report.applied is None:
        return Result(0, "Nothing to do: the app matches the files.", "Nothing to do.")
    done = report.applied.summary()
    if not report.ok:
        why = (
            "some changes failed"
            if report.failed
            else "the app does not match the files after apply"
        )
        plan = report.verified or report.plan
        return _refused(target.name, request, f"{why} ({done}); run the apply again", plan, pr)
    verified = summary_line(report.verified) if report.verified else ""
    return Result(0, f"{done} Verified.", fence("\n".join([*hooks.lines, done, verified])))


def _unapproved(target: Target, request: Request, pr: int | None) -> Result | None:
    """A refusal, before any client opens, when the environment does not approve the
    target's connection; None when it does (or the target is local)."""
    try:
        check_connection(target, request.approved, required=True)
    except UnapprovedConnection as err:
        return _refused(target.name, request, str(err), None, pr)
    return None


def _moved_on(
    gh: GitHub, target: Target, request: Request, watched: Sequence[str]
) -> tuple[Result | None, str]:
    """(a Result when this run must do nothing, a note when main moved on but this run acts)."""
    branch = request.default_branch
    head = gh.branch_head(branch)
    if head == request.sha:
        return None, ""
    changed = changed_since(gh, request.sha, head, watched)
    if changed:
        line = (
            f"Nothing done: commit {request.sha} is no longer the head of {branch} (now "
            f"{head}), and the commits since change {', '.join(changed)}: the run for the "
            "newest commit that changes them applies."
        )
        return Result(0, line, line), ""
    note = (
        f"{branch} moved on to {head} since commit {request.sha}, but nothing target "
        f"{target.name} plans from changed ({', '.join(watched)}): this run applies."
    )
    print(note)
    return None, note


async def apply_merged(
    gh: GitHub,
    target: Target,
    request: Request,
    now: datetime,
    watched: Sequence[str] | None = None,
) -> Result:
    """The apply job for one target (see the module docstring); `watched`: the paths it plans
    from (by default reconciler.yaml and its schedules folder)."""
    if request.ref != f"refs/heads/{request.default_branch}":
        return Result(
            1, f"refused: apply runs on {request.default_branch} only, not {request.ref}", ""
        )
    stop, note = _moved_on(gh, target, request, watched or watched_paths(target))
    if stop is not None:
        return stop
    result = await _apply(gh, target, request, now)
    if note:
        result = dataclasses.replace(result, markdown=f"{note}\n\n{result.markdown}")
    return result


async def _apply(gh: GitHub, target: Target, request: Request, now: datetime) -> Result:
    from reconciler.apply.manager import SyncOptions, plan_target

    if request.event_name == "workflow_dispatch":
        if not request.checksum:
            raise CiError("workflow_dispatch needs the checksum of the plan to apply")
        options = SyncOptions(
            checksum=request.checksum,
            force=request.force,
            resolve_duplicates=request.resolve_duplicates,
        )
        return _unapproved(target, request, None) or await _sync(
            target, now, options, request, None
        )
    if request.event_name != "push":
        raise CiError(f"apply runs on push and workflow_dispatch, not {request.event_name}")
    if request.checksum or request.force or request.resolve_duplicates:
        raise CiError("checksum, force and resolve-duplicates are for workflow_dispatch only")
    pr, checksum, why = _reviewed_checksum(gh, request, target.name)
    refused = _unapproved(target, request, pr)
    if refused is not None:
        return refused
    if checksum is None:
        try:
            plan: Plan | None = await plan_target(target, now)
        except ReconcilerError as err:
            plan, why = None, f"{why}; and planning failed: {err}"
        return _refused(target.name, request, why, plan, pr)
    return await _sync(target, now, SyncOptions(checksum=checksum), request, pr)


def write_refusal(out: Path, result: Result) -> None:
    if result.refusal is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    name = result.refusal["target"]
    (out / f"refused-{name}.json").write_text(
        json.dumps(result.refusal, indent=2) + "\n", encoding="utf-8"
    )


def report_refusals(gh: GitHub, folder: Path) -> list[str]:
    """Post each refusal on its pull request, or as an issue; what was done, one line each."""
    done = []
    for path in sorted(folder.glob("refused-*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            target, markdown, pr = (
                str(data["target"]),
                str(data["markdown"]),
                data.get("pull_request"),
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CiError(f"{path}: not a refusal written by reconciler ci apply ({err})") from None
        if isinstance(pr, int) and not isinstance(pr, bool):
            gh.create_comment(pr, markdown)
            done.append(f"posted the refusal for {target} on #{pr}")
        else:
            gh.ensure_label(ISSUE_LABEL, "B60205", "reconciler needs an operator")
            issue = gh.create_issue(
                f"reconciler: apply refused for {target}", markdown, [ISSUE_LABEL]
            )
            done.append(f"opened issue #{issue.get('number')} for the refusal on {target}")
    return done
