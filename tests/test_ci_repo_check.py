"""`reconciler ci check-repo` against the fake GitHub's recorded rulesets, branch protection and
environments: complete, then with one setting taken away at a time; and the drift issue that
reports it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from reconciler.ci.drift import DriftReport, write_report
from reconciler.ci.markers import parse
from reconciler.repo.scaffold import files
from tests.support.cli import config, run
from tests.support.clock import NOW
from tests.support.github import REPO, TOKEN, FakeGitHub, recorded

OWNERS = "/reconciler.yaml @acme/schedule-owners\n/.github/ @acme/schedule-owners\n"
EVERYTHING = 13  # 6 branch rules, CODEOWNERS, the apply paths, 3 of prod and 2 of prod-plan


@pytest.fixture
def team(repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository set up as the documentation says: two targets (`local`, `prod`), the
    scaffold's workflows, CODEOWNERS; the fake GitHub's settings complete."""
    config(
        repo,
        default_target="local",
        targets={"local": {"endpoint": "local"}, "prod": {"endpoint": "https://api.example.test"}},
    )
    for path, text in files(NOW, "acme/reconciler@" + "0" * 40).items():
        if path.parts[0] == ".github":
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text, encoding="utf-8")
    (repo / ".github" / "CODEOWNERS").write_text(OWNERS, encoding="utf-8")
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return repo


def check(*args: str) -> Result:
    return run("ci", "check-repo", *args)


def lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


def test_a_repository_set_up_as_documented_has_everything(team: Path, fake: FakeGitHub) -> None:
    result = check()
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"{REPO}: {EVERYTHING} of {EVERYTHING} settings in place, 0 missing, 0 not checked"
    ]
    paths = {path for _, path in fake.requests}
    assert f"/repos/{REPO}/rules/branches/main" in paths
    assert f"/repos/{REPO}/environments/prod/deployment-branch-policies" in paths
    # Rulesets cover everything: the classic protection (admins only) is never asked for.
    assert f"/repos/{REPO}/branches/main/protection" not in paths


def pull_request_rule(fake: FakeGitHub) -> dict[str, Any]:
    return next(r for r in fake.rules if r["type"] == "pull_request")["parameters"]  # type: ignore[no-any-return]


def status_rule(fake: FakeGitHub) -> dict[str, Any]:
    return next(r for r in fake.rules if r["type"] == "required_status_checks")["parameters"]  # type: ignore[no-any-return]


#: Each branch setting taken away from the rulesets: how, and the line that names it.
TAKEN_AWAY = {
    "pull-requests": (
        lambda f: pull_request_rule(f).update(required_approving_review_count=0),
        "changes reach main only through pull requests, approved by at least one reviewer",
        "require a pull request before merging, with at least 1 approval",
    ),
    "dismiss-stale": (
        lambda f: pull_request_rule(f).update(dismiss_stale_reviews_on_push=False),
        "a new push dismisses the approvals given before it",
        'turn on "Dismiss stale pull request approvals when new commits are pushed"',
    ),
    "last-push": (
        lambda f: pull_request_rule(f).update(require_last_push_approval=False),
        "the most recent push is approved by someone other than the person who pushed it",
        'turn on "Require approval of the most recent reviewable push"',
    ),
    "code-owner-review": (
        lambda f: pull_request_rule(f).update(require_code_owner_review=False),
        "review from Code Owners is required",
        'turn on "Require review from Code Owners"',
    ),
    "required-check": (
        lambda f: status_rule(f).update(required_status_checks=[{"context": "validate"}]),
        "the status check `reconciler-pr` (reconciler-pr) must pass before merging",
        "require status checks to pass, and add `reconciler-pr`",
    ),
    "up-to-date": (
        lambda f: status_rule(f).update(strict_required_status_checks_policy=False),
        "branches are up to date before merging (what was planned is what is merged)",
        'turn on "Require branches to be up to date before merging"',
    ),
}
WHERE = "Settings → Rules → Rulesets (or Settings → Branches) for main"


@pytest.mark.parametrize("key", sorted(TAKEN_AWAY))
def test_a_branch_setting_missing_from_rulesets_and_protection_is_listed_with_its_fix(
    team: Path, fake: FakeGitHub, key: str
) -> None:
    take, what, fix = TAKEN_AWAY[key]
    take(fake)
    fake.protection = None  # no classic protection either (GitHub: 404 "Branch not protected")
    result = check()
    assert result.exit_code == 1
    assert lines(result) == [
        f"missing: {what}. Fix: {WHERE}: {fix}",
        f"{REPO}: {EVERYTHING - 1} of {EVERYTHING} settings in place, 1 missing, 0 not checked",
    ]
    assert TOKEN not in result.output + result.stderr


@pytest.mark.parametrize("key", sorted(TAKEN_AWAY))
def test_classic_protection_stands_in_for_the_rulesets(
    team: Path, fake: FakeGitHub, key: str
) -> None:
    """An admin's token reads the classic protection: what it requires counts too."""
    fake.rules = []
    fake.protection = recorded("branch_protection")
    assert check().exit_code == 0
    classic = copy.deepcopy(recorded("branch_protection"))
    reviews, status = classic["required_pull_request_reviews"], classic["required_status_checks"]
    {
        "pull-requests": lambda: reviews.update(required_approving_review_count=0),
        "dismiss-stale": lambda: reviews.update(dismiss_stale_reviews=False),
        "last-push": lambda: reviews.update(require_last_push_approval=False),
        "code-owner-review": lambda: reviews.update(require_code_owner_reviews=False),
        "required-check": lambda: status.update(contexts=[], checks=[]),
        "up-to-date": lambda: status.update(strict=False),
    }[key]()
    fake.protection = classic
    result = check()
    assert result.exit_code == 1
    assert lines(result)[0].startswith(f"missing: {TAKEN_AWAY[key][1]}. Fix:")


def test_with_a_github_token_what_rulesets_leave_out_is_not_checked_and_says_why(
    team: Path, fake: FakeGitHub
) -> None:
    """GITHUB_TOKEN cannot read classic protection (403): unknown, never "in place"."""
    pull_request_rule(fake).update(dismiss_stale_reviews_on_push=False)
    result = check()
    assert result.exit_code == 1
    assert lines(result)[0] == "could not check: a new push dismisses the approvals given before it"
    assert "note: cannot read the classic branch protection of main (GitHub GET" in result.output
    assert "which a GITHUB_TOKEN never has" in result.output
    assert check("--report-only").exit_code == 0


def environment(fake: FakeGitHub, name: str) -> dict[str, Any]:
    return fake.environments[name]


ENVIRONMENT_CASES = {
    "no prod-plan": (
        lambda f: f.environments.pop("prod-plan"),
        [
            "the environment prod-plan (plans and the drift check of prod)",
            "only main deploys to prod-plan",
        ],
    ),
    "no reviewers": (
        lambda f: environment(f, "prod").update(protection_rules=[]),
        ["prod requires reviewers"],
    ),
    "every branch": (
        lambda f: environment(f, "prod").update(deployment_branch_policy=None),
        ["only main deploys to prod"],
    ),
    "protected branches": (
        lambda f: environment(f, "prod").update(
            deployment_branch_policy={"protected_branches": True, "custom_branch_policies": False}
        ),
        ["only main deploys to prod"],
    ),
    "release branches too": (
        lambda f: f.branch_policies["prod"].append(
            {"id": 2, "name": "release/*", "type": "branch"}
        ),
        ["only main deploys to prod"],
    ),
    "a tag named main": (
        lambda f: f.branch_policies.update(prod=[{"id": 3, "name": "main", "type": "tag"}]),
        ["only main deploys to prod"],
    ),
}


@pytest.mark.parametrize("case", sorted(ENVIRONMENT_CASES))
def test_an_environment_setting_missing_is_listed(team: Path, fake: FakeGitHub, case: str) -> None:
    take, missing = ENVIRONMENT_CASES[case]
    take(fake)
    result = check()
    assert result.exit_code == 1
    found = [line.split(". Fix: ")[0].removeprefix("missing: ") for line in lines(result)[:-1]]
    assert found == missing
    assert "Settings → Environments → prod" in result.output


def test_environments_the_token_cannot_read_are_not_checked(team: Path, fake: FakeGitHub) -> None:
    fake.faults.append(("GET", r".*/environments", 403))
    result = check()
    assert result.exit_code == 1
    assert sum(line.startswith("could not check: ") for line in lines(result)) == 5
    assert "the job needs actions: read" in result.output


@pytest.mark.parametrize(
    ("owners", "unowned"),
    [
        (None, "there is no CODEOWNERS"),
        (
            "/reconciler.yaml @a\n.github/* @a\n",  # the folder's files, not deeper ones
            "no owner for .github/workflows/reconciler-apply.yml",
        ),
        ("/.github/ @a\n", "no owner for reconciler.yaml"),
    ],
)
def test_codeowners_must_cover_reconciler_yaml_and_all_of_github(
    team: Path, owners: str | None, unowned: str
) -> None:
    codeowners = team / ".github" / "CODEOWNERS"
    if owners is None:
        codeowners.unlink()
    else:
        codeowners.write_text(owners, encoding="utf-8")
    result = check()
    assert result.exit_code == 1
    (line, _) = lines(result)
    assert line.startswith(
        "missing: CODEOWNERS gives reconciler.yaml and every file under .github/ an owner."
    )
    assert unowned in line


def test_codeowners_with_one_owner_for_everything_is_enough(team: Path) -> None:
    (team / ".github" / "CODEOWNERS").write_text("* @acme/everyone\n", encoding="utf-8")
    assert check().exit_code == 0


def test_a_schedules_folder_the_apply_workflow_does_not_watch_is_listed(team: Path) -> None:
    config(
        team,
        default_target="local",
        schedules="pushes/**/*.yaml",
        targets={"local": {"endpoint": "local"}, "prod": {"endpoint": "https://api.example.test"}},
    )
    result = check()
    assert result.exit_code == 1
    assert lines(result)[0] == (
        "missing: .github/workflows/reconciler-apply.yml starts on every push that changes "
        "reconciler.yaml or a schedules folder. Fix: in .github/workflows/reconciler-apply.yml, "
        "list under `on.push.paths` every folder your targets' `schedules` read: a change to "
        "pushes/any.yaml starts none"
    )


# --- in the drift issue ----------------------------------------------------------------------


def issues_job(team: Path) -> Result:
    """The drift workflow's issues job: both targets' reports (clean), check-repo, the issues."""
    for name in ("local", "prod"):
        write_report(team / "drift", DriftReport(name, "clean", summary="0 to change"))
    assert check("--report-only", "--out", "drift").exit_code == 0
    return run("ci", "drift-issues", "--dir", "drift")


def test_a_missing_setting_opens_the_issue_of_each_real_target_and_closes_it_when_fixed(
    team: Path, fake: FakeGitHub
) -> None:
    assert issues_job(team).output.strip().splitlines() == ["local: no drift", "prod: no drift"]
    assert fake.issues == {}

    environment(fake, "prod").update(protection_rules=[])
    result = issues_job(team)
    (issue,) = fake.issues.values()
    assert result.output.strip().splitlines() == [
        "local: no drift",
        f"prod: settings missing, opened #{issue['number']}",
    ]
    assert issue["title"] == "Repository settings to fix for target prod"
    marker = parse(issue["body"])
    assert marker is not None
    assert (marker.target, marker.checksum) == ("prod", "none")
    assert marker.settings is not None
    assert marker.settings.startswith("sha256:")
    assert "### Repository settings" in issue["body"]
    assert (
        "- **Missing:** prod requires reviewers. Fix: Settings → Environments → prod: "
        "add required reviewers." in issue["body"]
    )
    assert json.loads((team / "drift" / "settings.json").read_text())["targets"] == ["prod"]

    issues_job(team)  # the same: nothing said
    assert fake.comments_on(issue["number"]) == []

    fake.branch_policies["prod-plan"] = []  # another one goes missing
    issues_job(team)
    (said,) = fake.comments_on(issue["number"])
    assert said["body"] == (
        "Repository settings missing for `prod`: prod requires reviewers; only main deploys "
        "to prod-plan. The issue's settings section says how to fix each."
    )

    fake.environments = {e["name"]: e for e in recorded("environments")["environments"]}
    fake.branch_policies["prod-plan"] = fake.branch_policies["prod"]
    result = issues_job(team)
    assert (
        f"prod: drift gone, and the repository settings are in place, closed #{issue['number']}"
        in result.output
    )
    assert issue["state"] == "closed"
