"""`reconciler ci check-repo`: read the repository settings reconciler's guarantees rest on.

The workflows promise that what is applied was reviewed, and that credentials
go only where their environments' owners allow. GitHub's settings, not the
workflow files, decide whether that holds: who may merge, what a merge needs,
who approves a deployment, from which branch. `check_repo` reads them through
the API and the checkout, and says which are missing and how to fix each:

    on the default branch (a ruleset's rules, or classic branch protection)
      pull-requests      changes arrive through pull requests, approved at least once
      required-check     the reconciler-pr check (its job's name) must pass
      up-to-date         branches are up to date before merging (what was planned is merged)
      dismiss-stale      a new push dismisses the approvals given before it
      last-push          the last push is approved by someone other than its author
      code-owner-review  review from Code Owners is required
    in the checkout
      codeowners         CODEOWNERS gives reconciler.yaml and every file of .github/ an owner
      workflow-paths     reconciler-apply.yml's push `paths:` cover reconciler.yaml and every
                         target's schedules folder (reconciler.ci.moved relies on it)
    for each real target T (environments)
      env:T:exists, env:T:reviewers, env:T:main-only, env:T-plan:exists, env:T-plan:main-only

Each is `ok`, `missing`, or `unknown` (it could not be read; `notes` say why).
Where to read what, and with which permission:

- rulesets: `GET /rules/branches/{branch}` (any token that reads the repository);
- classic protection: `GET /branches/{branch}/protection` needs administration:
  read, which no GITHUB_TOKEN can have. It is read only when the rulesets leave
  something unsatisfied; a 403 makes those items `unknown` ("run check-repo
  with an admin's token, or use rulesets");
- environments and their branch rules: `GET /environments`,
  `GET /environments/{name}/deployment-branch-policies` (actions: read).

"Main only" means the custom rule `main` (a branch), alone: "protected branches"
is refused, since protecting another branch later would let it deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from reconciler.ci.errors import GitHubError
from reconciler.ci.github import GitHub
from reconciler.ci.patterns import codeowners_file, filtered_in, owners_of, read_codeowners
from reconciler.ci.repo_check import Finding, RepoCheck
from reconciler.config.load import CONFIG_FILE
from reconciler.config.targets import Config
from reconciler.documents.load import default_dir

__all__ = ["check_repo"]

_WORKFLOWS = ".github/workflows"
_RULESET = "Settings → Rules → Rulesets (or Settings → Branches) for {branch}"


def check_repo(gh: GitHub, config: Config, branch: str) -> RepoCheck:
    """Every setting of the repository and of `config`'s real targets (see the docstring)."""
    notes: list[str] = []
    root = config.root
    findings = _branch(gh, branch, _check_names(root), notes)
    findings += [_codeowners(root, config.path), _workflow_paths(root, config)]
    real = [t for t in config.targets.values() if not t.is_local]
    if real:
        findings += _environments(gh, [t.name for t in real], branch, notes)
    return RepoCheck(tuple(findings), tuple(notes), tuple(t.name for t in real))


# --- the default branch: rulesets, then classic protection ------------------------------------

#: key, what it asks for, how to fix it, and the test of a pull_request rule / classic protection.
_Test = Callable[[dict[str, Any]], bool]


def _at_least_one(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


_REVIEW_ITEMS: tuple[tuple[str, str, str, _Test, _Test], ...] = (
    (
        "pull-requests",
        "changes reach {branch} only through pull requests, approved by at least one reviewer",
        "require a pull request before merging, with at least 1 approval",
        lambda p: _at_least_one(p.get("required_approving_review_count")),
        lambda p: _at_least_one(p.get("required_approving_review_count")),
    ),
    (
        "dismiss-stale",
        "a new push dismisses the approvals given before it",
        'turn on "Dismiss stale pull request approvals when new commits are pushed"',
        lambda p: p.get("dismiss_stale_reviews_on_push") is True,
        lambda p: p.get("dismiss_stale_reviews") is True,
    ),
    (
        "last-push",
        "the most recent push is approved by someone other than the person who pushed it",
        'turn on "Require approval of the most recent reviewable push"',
        lambda p: p.get("require_last_push_approval") is True,
        lambda p: p.get("require_last_push_approval") is True,
    ),
    (
        "code-owner-review",
        "review from Code Owners is required",
        'turn on "Require review from Code Owners"',
        lambda p: p.get("require_code_owner_review") is True,
        lambda p: p.get("require_code_owner_reviews") is True,
    ),
)


def _check_names(root: Path) -> tuple[str, ...]:
    """The names of reconciler-pr.yml's jobs: the status checks a pull request reports."""
    path = root / _WORKFLOWS / "reconciler-pr.yml"
    try:
        jobs = yaml.safe_load(path.read_text(encoding="utf-8")).get("jobs") or {}
        names = tuple(str(job.get("name") or key) for key, job in dict(jobs).items())
    except (OSError, ValueError, AttributeError, TypeError, yaml.YAMLError):
        names = ()
    return names or ("reconciler-pr",)


def _branch(gh: GitHub, branch: str, checks: tuple[str, ...], notes: list[str]) -> list[Finding]:
    rules: list[dict[str, Any]] = []
    try:
        rules = gh.branch_rules(branch)
    except GitHubError as err:
        notes.append(f"cannot read the rulesets of {branch}: {err}")
    reviews = [_params(r) for r in rules if r.get("type") == "pull_request"]
    status = [_params(r) for r in rules if r.get("type") == "required_status_checks"]
    by_rules = _from_rules(branch, reviews, status, checks)
    if all(ok for ok, _ in by_rules.values()):
        return [replace(f, state="ok") for _, f in by_rules.values()]
    try:
        classic: dict[str, Any] | None = gh.branch_protection(branch)
        read = True
    except GitHubError as err:
        classic, read = None, False
        notes.append(
            f"cannot read the classic branch protection of {branch} ({err}): it needs "
            "administration: read, which a GITHUB_TOKEN never has; what the rulesets do not "
            "cover was not checked. Run `reconciler ci check-repo` with an admin's token, or "
            "keep these settings in a ruleset (any token reads those)"
        )
    by_classic = _from_classic(classic or {}, checks)
    found = []
    for key, (ok, finding) in by_rules.items():
        state = "ok" if ok or by_classic.get(key) else ("missing" if read else "unknown")
        found.append(replace(finding, state=state))
    return found


def _params(rule: dict[str, Any]) -> dict[str, Any]:
    params = rule.get("parameters")
    return params if isinstance(params, dict) else {}


def _from_rules(
    branch: str,
    reviews: list[dict[str, Any]],
    status: list[dict[str, Any]],
    checks: tuple[str, ...],
) -> dict[str, tuple[bool, Finding]]:
    where = _RULESET.format(branch=branch)
    found: dict[str, tuple[bool, Finding]] = {}
    for key, what, fix, by_rule, _ in _REVIEW_ITEMS:
        ok = any(by_rule(p) for p in reviews)
        found[key] = (ok, Finding(key, "missing", what.format(branch=branch), f"{where}: {fix}"))
    contexts = {
        str(c.get("context"))
        for p in status
        for c in p.get("required_status_checks") or []
        if isinstance(c, dict)
    }
    named = " or ".join(f"`{c}`" for c in checks)
    found["required-check"] = (
        bool(contexts & set(checks)),
        Finding(
            "required-check",
            "missing",
            f"the status check {named} (reconciler-pr) must pass before merging",
            f"{where}: require status checks to pass, and add {named}",
        ),
    )
    found["up-to-date"] = (
        any(p.get("strict_required_status_checks_policy") is True for p in status),
        Finding(
            "up-to-date",
            "missing",
            "branches are up to date before merging (what was planned is what is merged)",
            f'{where}: turn on "Require branches to be up to date before merging"',
        ),
    )
    return found


def _from_classic(protection: dict[str, Any], checks: tuple[str, ...]) -> dict[str, bool]:
    reviews = protection.get("required_pull_request_reviews")
    status = protection.get("required_status_checks")
    reviews = reviews if isinstance(reviews, dict) else None
    status = status if isinstance(status, dict) else None
    found = {key: reviews is not None and test(reviews) for key, *_, test in _REVIEW_ITEMS}
    contexts = set(map(str, (status or {}).get("contexts") or []))
    contexts |= {
        str(c.get("context")) for c in (status or {}).get("checks") or [] if isinstance(c, dict)
    }
    found["required-check"] = bool(contexts & set(checks))
    found["up-to-date"] = status is not None and status.get("strict") is True
    return found


# --- the checkout -----------------------------------------------------------------------------


def _codeowners(root: Path, config_path: Path | None) -> Finding:
    where = codeowners_file(root)
    config = _config_name(root, config_path)
    github = sorted(
        p.relative_to(root).as_posix() for p in (root / ".github").rglob("*") if p.is_file()
    ) or [f"{_WORKFLOWS}/reconciler-apply.yml"]
    wanted = [config, *github, *([where] if where else [])]
    what = f"CODEOWNERS gives {config} and every file under .github/ an owner"
    fix = (
        f"add .github/CODEOWNERS with the lines `/{config} @your-org/schedule-owners` and "
        "`/.github/ @your-org/schedule-owners` (owners who review what may reach the credentials)"
    )
    if where is None:
        return Finding("codeowners", "missing", what, fix + "; there is no CODEOWNERS")
    rules = read_codeowners((root / where).read_text(encoding="utf-8", errors="replace"))
    unowned = [p for p in dict.fromkeys(wanted) if not owners_of(rules, p)]
    if not unowned:
        return Finding("codeowners", "ok", what, fix)
    shown = ", ".join(unowned[:5]) + (" …" if len(unowned) > 5 else "")
    return Finding("codeowners", "missing", what, f"{fix}; in {where}, no owner for {shown}")


def _config_name(root: Path, config_path: Path | None) -> str:
    if config_path is None:
        return CONFIG_FILE
    try:
        return config_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return config_path.name


def _workflow_paths(root: Path, config: Config) -> Finding:
    """Every file a target plans from starts an apply run when it changes (any file of its
    schedules folder: reconciler.ci.moved compares the folder, not the glob)."""
    apply = f"{_WORKFLOWS}/reconciler-apply.yml"
    samples = [_config_name(root, config.path)]
    for target in config.targets.values():
        folder = PurePosixPath(default_dir(target.schedules))
        samples += [(folder / "any.yaml").as_posix(), (folder / "a/b/any.txt").as_posix()]
    what = f"{apply} starts on every push that changes reconciler.yaml or a schedules folder"
    fix = f"in {apply}, list under `on.push.paths` every folder your targets' `schedules` read"
    try:
        workflow = yaml.safe_load((root / apply).read_text(encoding="utf-8"))
        on = workflow.get("on", workflow.get(True))
        paths = on["push"].get("paths")
    except (OSError, ValueError, AttributeError, TypeError, KeyError, yaml.YAMLError):
        return Finding("workflow-paths", "missing", what, f"{fix} (cannot read {apply})")
    if paths is None:
        return Finding("workflow-paths", "ok", what, fix)
    left = [s for s in dict.fromkeys(samples) if not filtered_in([str(p) for p in paths], s)]
    if not left:
        return Finding("workflow-paths", "ok", what, fix)
    return Finding("workflow-paths", "missing", what, f"{fix}: a change to {left[0]} starts none")


# --- environments -----------------------------------------------------------------------------


def _environments(
    gh: GitHub, targets: Sequence[str], branch: str, notes: list[str]
) -> list[Finding]:
    try:
        known = {str(e.get("name")): e for e in gh.environments()}
    except GitHubError as err:
        notes.append(f"cannot read the environments ({err}): the job needs actions: read")
        known = None
    found: list[Finding] = []
    for name in targets:
        found += _environment(gh, known, name, name, branch, notes, reviewers=True)
        found += _environment(gh, known, f"{name}-plan", name, branch, notes, reviewers=False)
    return found


def _environment(
    gh: GitHub,
    known: dict[str, dict[str, Any]] | None,
    env: str,
    target: str,
    branch: str,
    notes: list[str],
    *,
    reviewers: bool,
) -> Iterable[Finding]:
    where = f"Settings → Environments → {env}"
    role = "apply" if reviewers else "plans and the drift check"
    items = [
        (
            "exists",
            f"the environment {env} ({role} of {target})",
            f"create it ({where}) with the target's secrets",
        ),
        *(
            [("reviewers", f"{env} requires reviewers", f"{where}: add required reviewers")]
            if reviewers
            else []
        ),
        (
            "main-only",
            f"only {branch} deploys to {env}",
            f"{where}: Deployment branches and tags → Selected branches and tags, "
            f"with the one rule `{branch}` (a branch)",
        ),
    ]
    states = _environment_states(gh, known, env, branch, notes) if known is not None else {}
    for key, what, fix in items:
        state = "unknown" if known is None else states.get(key, "missing")
        yield Finding(f"env:{env}:{key}", state, what, fix, target)


def _environment_states(
    gh: GitHub, known: dict[str, dict[str, Any]], env: str, branch: str, notes: list[str]
) -> dict[str, str]:
    data = known.get(env)
    if data is None:
        return {}
    rules = [r for r in data.get("protection_rules") or [] if isinstance(r, dict)]
    states = {"exists": "ok"}
    if any(r.get("type") == "required_reviewers" and r.get("reviewers") for r in rules):
        states["reviewers"] = "ok"
    policy = data.get("deployment_branch_policy")
    if isinstance(policy, dict) and policy.get("custom_branch_policies") is True:
        try:
            allowed = gh.deployment_branch_policies(env)
        except GitHubError as err:
            notes.append(f"cannot read the deployment branch rules of {env} ({err})")
            states["main-only"] = "unknown"
            return states
        if allowed and all(
            p.get("name") == branch and p.get("type", "branch") == "branch" for p in allowed
        ):
            states["main-only"] = "ok"
    return states
